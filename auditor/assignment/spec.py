"""Stage 2a: assignment specs (TOML) -> frozen AssignmentSpec.

Format: docs/spec-format.md; schema: ``auditor.assignment.schema``. Shipped specs live in
``auditor/specs/*.toml``; more folders come from ``spec_dirs`` (``--specs DIR``) and the
environment variable ``AUDITOR_SPECS`` (folders separated by ``os.pathsep``). They are searched
in that order - ``spec_dirs``, ``AUDITOR_SPECS``, shipped - and the first spec with an id wins,
so a course's folder can shadow a shipped spec.

``extends = "ID"`` builds a spec on another (found in the same folders or the spec's own folder):
the base's sections and questions are kept in order; ``remove = [ids]`` drops questions; a
``[[questions]]`` entry whose id the base has overrides the fields it names (tables such as
``params`` are replaced whole), a new id is added, and the questions are then ordered by section,
number and sub-number. A ``[[sections]]`` entry with a known slug replaces that section, a new
one is appended. ``[assignment]`` fields not given are inherited; ``[signature]`` and
``[template]`` are inherited only when the spec has none.
"""
from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from auditor.assignment.schema import CLAIM_KINDS as _KINDS, SpecError, validate_document
from auditor.models import AssignmentSpec, QuestionSpec, SectionSpec, freeze

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
ENV_VAR = "AUDITOR_SPECS"
# "<section>/<n>", "<section>/<n>.<k>"; <n> may carry the notebook's own numbering ("q/2a", "q/6bi", "q/1b-2")
_ID = re.compile(r"^(?P<section>[a-z0-9]+(?:-[a-z0-9]+)*)/(?P<n>\d+[a-z0-9]*(?:-[a-z0-9]+)*)(?:\.(?P<k>\d+))?$")
CLAIM_KINDS = {None, *_KINDS}
TODO = "TODO"
KEY_TODO = TODO  # the name the discover branch uses

__all__ = ["SpecError", "parse_spec", "load_spec", "shipped_specs", "spec_from_argument", "spec_dirs_from_env",
           "search_dirs", "slugify", "spec_bytes", "SPECS_DIR", "ENV_VAR"]


def slugify(heading: str) -> str:
    """Section slug as in LABELING.md: lowercase, runs of non-alphanumerics -> '-', trimmed."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def _question(path: str, raw: dict[str, Any], sections: set[str]) -> QuestionSpec:
    qid = raw.get("id")
    if not isinstance(qid, str) or not (m := _ID.match(qid)):
        raise SpecError(f"{path}: question id {qid!r} is not '<section>/<n>' or '<section>/<n>.<k>'")
    if m["section"] not in sections:
        raise SpecError(f"{path}: question {qid}: section {m['section']!r} is not declared in [[sections]]")
    claim = raw.get("claim")
    if claim not in CLAIM_KINDS:
        raise SpecError(f"{path}: question {qid}: claim {claim!r} is not one of {sorted(k for k in CLAIM_KINDS if k)}")
    phrases = raw.get("phrases", [])
    if isinstance(phrases, str):
        phrases = [phrases]
    key = raw.get("key")
    reason, check = str(raw.get("reason", "")), raw.get("check")
    if isinstance(key, str) and key.strip().upper() == TODO:
        # a draft's key the instructor has not filled in yet: the claim is read (params such as a choice's
        # options still serve the reader) and shown; the question is graded by hand, never failed
        key, check = None, None
        named = f", check {raw['check']}" if raw.get("check") else ""
        reason = reason or f'no key yet (key = "{TODO}" in the spec{named})'
    key = freeze(key)
    k = int(m["k"]) if m["k"] else None
    return QuestionSpec(
        id=qid,
        section=m["section"],
        number=int(re.match(r"\d+", m["n"]).group()),
        sub=k,
        phrases=tuple(str(p) for p in phrases),
        claim=claim,
        check=check,
        params=freeze(raw.get("params", {})),
        key=key,
        contested=bool(raw.get("contested", False)),
        reason=reason,
        demonstration=raw.get("demonstration"),
        points=float(raw.get("points", 0.0)),
        answered_elsewhere=bool(raw.get("answered_elsewhere", False)),
        fetch=tuple(raw.get("fetch", ())),
        canonical=freeze(raw.get("canonical", {})),
        parent=f"{m['section']}/{m['n']}" if k else None,
        answer_patterns=tuple(_patterns(path, qid, raw.get("answer_patterns", ()))),
        answer_names=tuple(raw.get("answer_names", ())),
    )


def _patterns(path: str, qid: str, patterns) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise SpecError(f"{path}: question {qid}: answer_patterns {p!r} is not a valid regex: {exc}") from None
    return list(patterns)


def _document(text: str, path: str) -> dict[str, Any]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    validate_document(raw, path)
    meta = raw.get("assignment")
    if not isinstance(meta, dict) or not meta.get("id"):
        raise SpecError(f"{path}: missing [assignment] table with an 'id'")
    return raw


def _build(raw: Mapping[str, Any], path: str) -> AssignmentSpec:
    meta = raw["assignment"]
    sections = []
    for s in raw.get("sections", []):
        heading = s.get("heading")
        if not heading:
            raise SpecError(f"{path}: a [[sections]] entry has no heading")
        sections.append(SectionSpec(slug=s.get("slug") or slugify(heading), heading=heading,
                                    aliases=tuple(s.get("aliases", ()))))
    slugs = {s.slug for s in sections}
    questions = [_question(path, q, slugs) for q in raw.get("questions", [])]
    ids = [q.id for q in questions]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SpecError(f"{path}: duplicate question id(s) {', '.join(dupes)}")
    for q in questions:
        if q.parent and q.parent not in ids:
            raise SpecError(f"{path}: sub-statement {q.id} has no parent question {q.parent}")
    template = raw.get("template", {})
    return AssignmentSpec(
        id=str(meta["id"]),
        title=str(meta.get("title", meta["id"])),
        variant=meta.get("variant"),
        path=str(path),
        sections=tuple(sections),
        questions=tuple(questions),
        signature=freeze({str(k): float(v) for k, v in raw.get("signature", {}).items()}),
        description=str(meta.get("description", "")),
        template=freeze(template),
    )


# --------------------------------------------------------------------------- extends

def _section_slug(entry: Mapping[str, Any]) -> str:
    return entry.get("slug") or slugify(entry.get("heading", ""))


def _merge(base: Mapping[str, Any], child: Mapping[str, Any], path: str) -> dict[str, Any]:
    """``child`` (a document with ``extends``) applied to its resolved ``base`` (see the module doc)."""
    merged: dict[str, Any] = {k: v for k, v in base.items() if k not in ("extends", "remove")}
    merged["assignment"] = {**base.get("assignment", {}), **child["assignment"]}
    for table in ("signature", "template"):
        if table in child:
            merged[table] = child[table]
    sections = list(base.get("sections", []))
    for entry in child.get("sections", []):
        slug = _section_slug(entry)
        at = next((i for i, s in enumerate(sections) if _section_slug(s) == slug), None)
        if at is None:
            sections.append(entry)
        else:
            sections[at] = entry
    merged["sections"] = sections
    questions = {q["id"]: dict(q) for q in base.get("questions", [])}
    for qid in child.get("remove", []):
        if qid not in questions:
            raise SpecError(f"{path}: remove names {qid!r}, which the base spec {child['extends']!r} does not have")
        del questions[qid]
    for entry in child.get("questions", []):
        questions[entry["id"]] = {**questions.get(entry["id"], {}), **entry}
    order = {_section_slug(s): i for i, s in enumerate(sections)}

    def place(q: Mapping[str, Any]) -> tuple:
        m = _ID.match(str(q["id"]))
        if not m:
            return (len(order), 0, str(q["id"]), 0)
        n = re.match(r"\d+", m["n"]).group()
        return (order.get(m["section"], len(order)), int(n), m["n"][len(n):], int(m["k"] or 0))

    merged["questions"] = sorted(questions.values(), key=place)
    return merged


def _resolve(raw: dict[str, Any], path: str, index: Mapping[str, tuple[str, dict]], chain: tuple[str, ...] = ()) -> dict:
    base_id = raw.get("extends")
    if base_id is None:
        if "remove" in raw:
            raise SpecError(f"{path}: remove needs extends (there is no base spec to remove from)")
        return raw
    own = str(raw["assignment"]["id"])
    if base_id in chain or base_id == own:
        raise SpecError(f"{path}: extends {base_id!r} makes a cycle ({' -> '.join((*chain, own, base_id))})")
    if base_id not in index and _local(path, base_id) is None:
        raise SpecError(f"{path}: extends {base_id!r}, but no spec has that id "
                        f"(known: {', '.join(sorted(index)) or 'none'})")
    base_path, base_raw = _local(path, base_id) or index[base_id]
    return _merge(_resolve(base_raw, base_path, index, (*chain, own)), raw, path)


def _local(path: str, sid: str) -> tuple[str, dict] | None:
    """The spec ``sid`` in the folder of ``path`` (a base is looked up next to its variant first)."""
    folder = Path(path).parent
    if path == "<spec>" or not folder.is_dir():
        return None
    return next(((p, raw) for p, raw in _documents(str(folder.resolve())) if str(raw["assignment"]["id"]) == sid), None)


def parse_spec(text: str, path: str = "<spec>", spec_dirs: Sequence[str | os.PathLike] = ()) -> AssignmentSpec:
    """A spec from its TOML text; ``extends`` is resolved among the folders of ``search_dirs``
    (and the spec file's own folder)."""
    raw = _document(text, path)
    if raw.get("extends") is not None:
        raw = _resolve(raw, path, _index(search_dirs(spec_dirs)))
    elif "remove" in raw:
        raise SpecError(f"{path}: remove needs extends (there is no base spec to remove from)")
    return _build(raw, path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read spec: {exc}") from None


def load_spec(path: str | os.PathLike, spec_dirs: Sequence[str | os.PathLike] = ()) -> AssignmentSpec:
    return parse_spec(_read(Path(path)), str(path), spec_dirs)


def spec_dirs_from_env() -> tuple[str, ...]:
    """The folders named by ``AUDITOR_SPECS`` (``os.pathsep``-separated; empty parts ignored)."""
    return tuple(p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip())


def search_dirs(spec_dirs: Iterable[str | os.PathLike] = ()) -> tuple[str, ...]:
    """Where specs are looked up, first wins: ``spec_dirs``, then ``AUDITOR_SPECS``, then the shipped ones."""
    out: list[str] = []
    for d in (*spec_dirs, *spec_dirs_from_env(), SPECS_DIR):
        p = str(Path(d).resolve())
        if p not in out:
            out.append(p)
    return tuple(out)


@lru_cache(maxsize=64)
def _documents(directory: str) -> tuple[tuple[str, dict], ...]:
    d = Path(directory)
    if not d.is_dir():
        raise SpecError(f"{directory}: spec folder does not exist")
    docs = []
    for p in sorted(d.glob("*.toml")):
        text = _read(p)
        try:
            is_spec = "assignment" in tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            is_spec = True  # reported by _document, naming the file
        if is_spec:  # other TOML files (pyproject.toml, ...) in a course folder are not specs
            docs.append((str(p), _document(text, str(p))))
    return tuple(docs)


def _index(dirs: Sequence[str]) -> dict[str, tuple[str, dict]]:
    """id -> (path, document) over ``dirs``, first folder wins; a duplicate id within one folder is an error."""
    index: dict[str, tuple[str, dict]] = {}
    for directory in dirs:
        here: dict[str, str] = {}
        for path, raw in _documents(directory):
            sid = str(raw["assignment"]["id"])
            if sid in here:
                raise SpecError(f"{path}: spec id {sid!r} is also used by {here[sid]}")
            here[sid] = path
            index.setdefault(sid, (path, raw))
    return index


@lru_cache(maxsize=16)
def _specs(dirs: tuple[str, ...]) -> tuple[AssignmentSpec, ...]:
    index = _index(dirs)
    return tuple(_build(_resolve(raw, path, index), path) for sid, (path, raw) in sorted(index.items(), key=lambda t: t[1][0]))


def shipped_specs(directory: str | os.PathLike | None = None,
                  spec_dirs: Sequence[str | os.PathLike] = ()) -> tuple[AssignmentSpec, ...]:
    """The specs ``--assignment auto`` considers, loaded once per process: those of ``directory``
    alone when given, else those of ``spec_dirs``, ``AUDITOR_SPECS`` and the shipped folder."""
    if directory is not None:
        return _specs((str(Path(directory).resolve()),))
    return _specs(search_dirs(spec_dirs))


def spec_from_argument(value: str | os.PathLike, spec_dirs: Sequence[str | os.PathLike] = ()) -> AssignmentSpec:
    """``--assignment`` value: a spec file, or the id of a spec in the search folders (e.g. ``dl-summary-D``)."""
    if not Path(value).exists():
        specs = shipped_specs(spec_dirs=spec_dirs)
        for spec in specs:
            if spec.id == str(value):
                return spec
        if not str(value).endswith(".toml"):
            known = ", ".join(s.id for s in specs)
            raise SpecError(f"{value}: neither a spec file nor a known spec id (shipped: {known})")
    return load_spec(value, spec_dirs)


def spec_files(path: str | os.PathLike, spec_dirs: Sequence[str | os.PathLike] = ()) -> tuple[str, ...]:
    """The spec file and the files of the specs it extends (what a sandbox must hide: the bases
    hold keys too). Files that cannot be read or resolved end the chain quietly."""
    files: list[str] = []
    current: str | None = str(path)
    while current and current not in files and os.path.isfile(current):
        files.append(current)
        try:
            base_id = _document(_read(Path(current)), current).get("extends")
            found = _local(current, base_id) or _index(search_dirs(spec_dirs)).get(base_id) if base_id else None
        except SpecError:
            break
        current = found[0] if found else None
    return tuple(files)


def spec_bytes(spec: AssignmentSpec) -> bytes:
    """The spec file's bytes, plus the resolved spec when it extends another (for cache keys:
    a change to a base spec must change the key of every spec built on it)."""
    try:
        data = Path(spec.path).read_bytes()
    except OSError:
        return repr(spec).encode()
    return data + b"\0" + repr(spec).encode() if re.search(rb"(?m)^extends\s*=", data) else data
