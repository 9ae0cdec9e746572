"""Stage 2a: assignment specs (TOML) -> frozen AssignmentSpec.

Format: docs/spec-format.md. Shipped specs live in ``auditor/specs/*.toml``.
"""
from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from auditor.models import AssignmentSpec, QuestionSpec, SectionSpec, freeze

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
# "<section>/<n>", "<section>/<n>.<k>"; <n> may carry the notebook's own numbering ("q/2a", "q/6bi", "q/1b-2")
_ID = re.compile(r"^(?P<section>[a-z0-9]+(?:-[a-z0-9]+)*)/(?P<n>\d+[a-z0-9]*(?:-[a-z0-9]+)*)(?:\.(?P<k>\d+))?$")
#: ``key = "TODO"``: an instructor has not filled the key in yet (``auditor init`` writes it)
KEY_TODO = "TODO"
CLAIM_KINDS = {None, "number", "probability", "verdict", "shape", "cause", "yesno", "code"}


class SpecError(Exception):
    """An assignment spec that cannot be used; the message names the file and the problem."""


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
    known = {
        "id", "phrases", "claim", "check", "params", "key", "contested", "reason", "demonstration",
        "points", "answered_elsewhere", "fetch", "canonical", "answer_patterns",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"{path}: question {qid}: unknown field(s) {', '.join(unknown)}")
    k = int(m["k"]) if m["k"] else None
    key, check, params, reason = raw.get("key"), raw.get("check"), raw.get("params", {}), str(raw.get("reason", ""))
    if isinstance(key, str) and key.strip().upper() == KEY_TODO:
        # no key yet: the claim is still read and shown; the question is graded by hand, never failed
        key, check, params = None, None, {}
        reason = reason or f"no key yet (key = \"{KEY_TODO}\" in the spec{', check ' + raw['check'] if raw.get('check') else ''})"
    return QuestionSpec(
        id=qid,
        section=m["section"],
        number=int(re.match(r"\d+", m["n"]).group()),
        sub=k,
        phrases=tuple(str(p) for p in phrases),
        claim=claim,
        check=check,
        params=freeze(params),
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
    )


def _patterns(path: str, qid: str, patterns) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise SpecError(f"{path}: question {qid}: answer_patterns {p!r} is not a valid regex: {exc}") from None
    return list(patterns)


def parse_spec(text: str, path: str = "<spec>") -> AssignmentSpec:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    meta = raw.get("assignment")
    if not isinstance(meta, dict) or not meta.get("id"):
        raise SpecError(f"{path}: missing [assignment] table with an 'id'")
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


def load_spec(path: str | os.PathLike) -> AssignmentSpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read spec: {exc}") from None
    return parse_spec(text, str(path))


@lru_cache(maxsize=None)
def _shipped(directory: str) -> tuple[AssignmentSpec, ...]:
    return tuple(load_spec(p) for p in sorted(Path(directory).glob("*.toml")))


def shipped_specs(directory: str | os.PathLike | None = None) -> tuple[AssignmentSpec, ...]:
    """All specs shipped with auditor (or found in ``directory``), loaded once per process."""
    return _shipped(str(directory or SPECS_DIR))


def spec_from_argument(value: str | os.PathLike) -> AssignmentSpec:
    """``--assignment`` value: a spec file, or the id of a shipped spec (e.g. ``dl-summary-D``)."""
    if not Path(value).exists():
        for spec in shipped_specs():
            if spec.id == str(value):
                return spec
        if not str(value).endswith(".toml"):
            known = ", ".join(s.id for s in shipped_specs())
            raise SpecError(f"{value}: neither a spec file nor a shipped spec id (shipped: {known})")
    return load_spec(value)


def spec_bytes(spec: AssignmentSpec) -> bytes:
    """The spec file's bytes (for cache keys)."""
    try:
        return Path(spec.path).read_bytes()
    except OSError:
        return repr(spec).encode()
