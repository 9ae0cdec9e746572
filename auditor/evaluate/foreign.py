"""Measure discovery on other courses' notebooks, from their blank template alone.

A *set* is a folder with ``template.ipynb``, ``submissions/``, ``labels/`` (one JSON per
submission, format in the corpus's README: ``questions: {id: {answered, claim, correct, cell}}``)
and ``key.md``. For each set: ``auditor init`` drafts a spec from the template (no hand edits);
every submission is audited with it (not run, unless ``--execute``: reading is measured), then

* questions found: a labelled item is found when a reported question of its own is located at
  the label's cell(s): its region (anchor to last cell) covers them and covers no other labelled
  item's cell; items sharing one cell need as many reported questions there (sub-questions);
* answered/blank agreement, over all labelled items (an item not found disagrees);
* claims read: labelled verdicts, selections and numbers read to the labelled value (an item
  not found is not read);
* with the keys of ``key.md`` written over the draft's ``key = "TODO"`` lines (as an instructor
  would), false passes (pass, label says wrong) and misread fails (fail, label says right).
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from auditor.evaluate.agreement import ANSWERED_STATUSES, Disagreement


@dataclass
class SetFigures:
    name: str
    notebooks: int = 0
    errors: int = 0
    items: int = 0
    found: int = 0
    answered_agree: int = 0
    claims_total: int = 0
    claims_read: int = 0
    claims_need_run: int = 0     # not read because the value is computed by code that was not run / could not run
    keys_filled: int = 0
    false_passes: int = 0
    misread_fails: int = 0
    executed: bool = False       # the submissions were run in the sandbox (computed values read from the kernel)
    disagreements: list[Disagreement] = field(default_factory=list)

    def line(self) -> str:
        def pct(a: int, b: int) -> str:
            return f"{a / b:.1%} ({a}/{b})" if b else "n/a (0/0)"
        return (f"{self.name}: found {pct(self.found, self.items)}, answered {pct(self.answered_agree, self.items)}, "
                f"claims {pct(self.claims_read, self.claims_total)}"
                + (f" ({self.claims_need_run} more computed by code not run)" if self.claims_need_run else "")
                + f", keys filled {self.keys_filled}, "
                f"false passes {self.false_passes}, misread fails {self.misread_fails}"
                + (", run in the sandbox" if self.executed else ""))


def is_set(folder: Path) -> bool:
    return (folder / "template.ipynb").is_file() and (folder / "labels").is_dir() and (folder / "submissions").is_dir()


def find_sets(root: str | Path) -> list[Path]:
    """``root`` itself when it is a set, else its sub-folders that are sets."""
    root = Path(root)
    if is_set(root):
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and is_set(p)) if root.is_dir() else []


# --------------------------------------------------------------------------- keys

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def key_value(text: str) -> Any:
    """A key cell of key.md as a value: **True** -> "true", **[1, 3]** -> [1, 3], **(ii)** -> ["ii"],
    **6** -> 6, **'steps'** -> "steps"; None when the cell has no single bold value."""
    bold = _BOLD.findall(text)
    if len(bold) != 1:
        return None
    raw = bold[0].strip()
    if raw.lower() in ("true", "false"):
        return raw.lower()
    m = re.match(r"^((?:\(\s*[ivx]+\s*\)\s*)+)", raw, re.I)
    if m:
        return sorted(re.findall(r"[ivx]+", m.group(1).lower()))
    if re.fullmatch(r"'[^']+'", raw):
        return raw.strip("'")
    try:
        return json.loads(raw)
    except ValueError:
        return None


def read_keys(key_md: Path) -> dict[str, Any]:
    """{item id: key} from the table rows of key.md whose header names a ``key`` column."""
    keys: dict[str, Any] = {}
    col = None
    for line in key_md.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            col = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        lowered = [c.lower() for c in cells]
        if "key" in lowered and "id" in lowered:
            col = lowered.index("key")
            continue
        if col is None or set(line) <= set("|-: ") or len(cells) <= col:
            continue
        value = key_value(cells[col])
        if value is not None:
            keys[cells[0]] = value
    return keys


def fill_keys(draft: str, keys: dict[str, Any]) -> str:
    """The draft with ``key = "TODO"`` replaced, per question id, by the instructor's key."""
    out: list[str] = []
    qid = None
    for line in draft.splitlines():
        m = re.match(r'^id = "(.+)"$', line)
        if m:
            qid = m.group(1)
        if line.startswith('key = "TODO"') and qid in keys:
            line = "key = " + json.dumps(keys[qid])
        elif line.startswith("[") and not line.startswith("[questions"):
            qid = None
        out.append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- comparing

def _norm_claim(value: Any) -> Any:
    """Verdicts -> "true"/"false", options -> sorted lowercase strings, numbers -> float."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        v = value.strip().lower()
        return v if v in ("true", "false") else None
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return tuple(float(v) for v in value)
        if value and all(isinstance(v, str) and re.fullmatch(r"[ivx]+|[a-h]", v.lower()) for v in value):
            return tuple(sorted(v.lower() for v in value))
    return None


def checkable(label_claim: Any) -> bool:
    """A labelled verdict, selection or number (prose, categories and records are not measured)."""
    return _norm_claim(label_claim) is not None


def same_value(label_claim: Any, got: Any) -> bool:
    a, b = _norm_claim(label_claim), _norm_claim(got)
    if a is None or b is None:
        return False
    if isinstance(a, float) and isinstance(b, tuple) and len(b) == 1:
        b = b[0]
    if isinstance(b, float) and isinstance(a, tuple) and len(a) == 1:
        b = (b,)
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return False
        if a and isinstance(a[0], float) and isinstance(b[0], float):
            return all(math.isclose(x, y, rel_tol=1e-3, abs_tol=1e-9) for x, y in zip(a, b)) or \
                sorted(a) == sorted(b) and all(float(x).is_integer() for x in a)
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)
    return a == b


def _cells(item: dict) -> tuple[int, ...]:
    c = item.get("cell")
    if isinstance(c, list):
        return tuple(int(x) for x in c if isinstance(x, int))
    return (int(c),) if isinstance(c, int) else ()


def match_items(label: dict, spans: dict[str, tuple[int, int]], order: list[str],
                parents: dict[str, str]) -> dict[str, str]:
    """{item id: question id}: each labelled item to a reported question of its own (see module doc)."""
    items = {iid: _cells(it) for iid, it in label.get("questions", {}).items()}
    all_cells = {iid: set(cs) for iid, cs in items.items()}
    groups: dict[tuple[int, ...], list[str]] = {}
    for iid, cs in items.items():
        if cs:
            groups.setdefault(cs, []).append(iid)
    out: dict[str, str] = {}
    for cs, group in groups.items():
        cands = []
        for qid in order:
            lo, hi = spans.get(qid, (None, None))
            if lo is None or not all(lo <= c <= hi for c in cs):
                continue
            others = [o for o, ocs in all_cells.items() if o not in group and any(lo <= c <= hi for c in ocs)]
            if not others:
                cands.append(qid)
        if len(group) > 1:
            leaves = [q for q in cands if q in parents]
            cands = leaves if len(leaves) >= len(group) else cands
        else:
            tops = [q for q in cands if q not in parents]
            cands = tops or cands
        for iid, qid in zip(group, cands):
            out[iid] = qid
    return out


# --------------------------------------------------------------------------- one set

def evaluate_set(set_dir: str | Path, *, spec_less: bool = False, execute: bool | None = None) -> SetFigures:
    """The set's figures (module doc). ``spec_less``: no template at all, each submission audited
    with the spec inferred from itself (no keys, so no false passes to count). ``execute``: run each
    submission in the sandbox, with the set's ``data/`` folder when it has one, so values the
    students' code computes are read from the kernel; None (default): run the sets that have
    ``data/``."""
    from auditor.assignment.draft import draft_spec
    from auditor.assignment.spec import parse_spec
    from auditor.extract.answers import extract
    from auditor.load.notebook import InputError, load_notebook
    from auditor.pipeline import audit_parsed
    from auditor.report.result_json import result_to_dict

    set_dir = Path(set_dir)
    fig = SetFigures(set_dir.name)
    draft = draft_spec(load_notebook(set_dir / "template.ipynb"))
    spec = parse_spec(draft, f"<draft of {set_dir.name}/template.ipynb>")
    parents = {q.id: q.parent for q in spec.questions if q.parent}
    order = [q.id for q in spec.questions]
    keys = read_keys(set_dir / "key.md") if (set_dir / "key.md").is_file() else {}
    data = set_dir / "data"
    execute = data.is_dir() if execute is None else execute
    fig.executed = execute
    run = {"execute": execute, "data_dir": str(data) if execute and data.is_dir() else None}

    runs: list[tuple[str, dict, Any, dict[str, str]]] = []
    votes: dict[str, Counter] = {}
    for label_path in sorted((set_dir / "labels").glob("*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        name = label.get("notebook", label_path.stem)
        fig.notebooks += 1
        try:
            nb = load_notebook(set_dir / "submissions" / f"{name}.ipynb")
        except InputError as exc:
            fig.errors += 1
            fig.disagreements.append(Disagreement(name, "*", "error", None, str(exc)))
            continue
        own = spec
        if spec_less:
            from auditor.assignment.specless import infer_spec

            own = infer_spec(nb)
            parents = {q.id: q.parent for q in own.questions if q.parent}
            order = [q.id for q in own.questions]
        result = result_to_dict(audit_parsed(nb, assignment=own, **run))
        ext = extract(nb, own)
        spans = {qid: (ext.anchor_cells[qid], ext.last_cells.get(qid, ext.anchor_cells[qid]))
                 for qid in ext.anchor_cells}
        spans.update({sub: spans[p] for sub, p in parents.items() if p in spans})
        matched = match_items(label, spans, order, parents)
        for iid, qid in matched.items():
            votes.setdefault(iid, Counter())[qid] += 1
        runs.append((name, label, nb, matched))
        _score(fig, name, label, result, matched)

    if spec_less:
        return fig
    # the instructor fills the keys in: the question each item is found at most often gets the item's key
    by_question = {votes[i].most_common(1)[0][0]: keys[i] for i in votes if i in keys}
    keyed_text = fill_keys(draft, by_question)
    fig.keys_filled = draft.count('\nkey = "TODO"') - keyed_text.count('\nkey = "TODO"')
    keyed = parse_spec(keyed_text, f"<keyed draft of {set_dir.name}>")
    for name, label, nb, matched in runs:
        result = result_to_dict(audit_parsed(nb, assignment=keyed, **run))
        by_id = {q["id"]: q for q in result.get("questions", [])}
        for iid, item in label.get("questions", {}).items():
            q = by_id.get(matched.get(iid, ""))
            if q is None or item.get("correct") is None:
                continue
            if q["status"] == "pass" and item["correct"] is False:
                fig.false_passes += 1
                fig.disagreements.append(Disagreement(name, iid, "false-pass", item.get("claim"), q.get("claimed")))
            if q["status"] == "fail" and item["correct"] is True:
                fig.misread_fails += 1
                fig.disagreements.append(Disagreement(name, iid, "misread-fail", item.get("claim"), q.get("claimed")))
    return fig


def _score(fig: SetFigures, name: str, label: dict, result: dict, matched: dict[str, str]) -> None:
    by_id = {q["id"]: q for q in result.get("questions", [])}
    for iid, item in label.get("questions", {}).items():
        fig.items += 1
        q = by_id.get(matched.get(iid, ""))
        if q is None:
            fig.disagreements.append(Disagreement(name, iid, "found", item.get("cell"), None))
        else:
            fig.found += 1
            if q["status"] == "error":
                fig.errors += 1
                fig.disagreements.append(Disagreement(name, iid, "error", None, q.get("message", "")))
            got = q["status"] in ANSWERED_STATUSES
            if got == bool(item.get("answered")):
                fig.answered_agree += 1
            else:
                fig.disagreements.append(Disagreement(name, iid, "answered", item.get("answered"), q["status"],
                                                      (q.get("answer_excerpt") or "")[:100]))
        if item.get("answered") and checkable(item.get("claim")):
            fig.claims_total += 1
            if q is not None and same_value(item["claim"], q.get("claimed")):
                fig.claims_read += 1
            else:
                if q is not None and "computed by the student's code" in q.get("message", ""):
                    fig.claims_need_run += 1
                fig.disagreements.append(Disagreement(name, iid, "claimed", item.get("claim"),
                                                      q.get("claimed") if q else None,
                                                      (q or {}).get("evidence", "")))


def evaluate_sets(root: str | Path, *, execute: bool | None = None) -> list[SetFigures]:
    return [evaluate_set(s, execute=execute) for s in find_sets(root)]


def total(figures: Iterable[SetFigures]) -> SetFigures:
    out = SetFigures("all sets")
    for f in figures:
        for name in ("notebooks", "errors", "items", "found", "answered_agree", "claims_total", "claims_read",
                     "claims_need_run", "keys_filled", "false_passes", "misread_fails"):
            setattr(out, name, getattr(out, name) + getattr(f, name))
    return out
