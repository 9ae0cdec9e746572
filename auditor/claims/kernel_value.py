"""A code answer's claim from the kernel: the value the student's code computed.

A value the code computes (``n_majors = len(df['major'].unique())``, ``is_n_co = bool(p > alpha)``,
an ``if``/``else`` that sets a boolean) cannot be read from the text, and the literal ``True`` a
cell shows may sit in a branch that does not run. When the question names its answer variables
(``answer_names``, or a sub-question named by its variable) and the text gives no claim, the
pipeline fetches those variables from the sandboxed kernel right after the question's last cell
ran (``auditor.execute.kernel_values``: plain data, never pickle) and this module turns them into
a claim of the question's kind. The kernel produces the data; nothing here runs student code.

A value that is missing stays unreadable with the reason (the cell that failed before it, e.g. a
data file the course did not provide with ``--data``), so the reviewer sees the cause, never a guess.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Sequence

from auditor.claims.code_value import as_kind, asserted_values
from auditor.claims.confidence import assess
from auditor.models import Answer, CellError, Claim, QuestionSpec, Span

#: claim kinds a plain kernel value can stand for
KINDS = ("number", "probability", "verdict", "choice", "shape")
_MAX_ITEMS = 64


def answer_variables(question: QuestionSpec) -> tuple[str, ...]:
    """The variables holding the question's claim: ``answer_names``, else a sub-question's own name."""
    return question.answer_names or tuple(p for p in question.phrases if p.isidentifier())


def wanted(question: QuestionSpec, answer: Answer, claim: Claim | None) -> tuple[str, ...]:
    """The variables to fetch for ``question``: its answer variables when its answer is code whose
    claim the text did not give; () otherwise."""
    if question.claim not in KINDS or not answer.answered or (claim is not None and claim.readable):
        return ()
    if not any(s.source == "code" for s in answer.segments):
        return ()
    return answer_variables(question)


def _plain(value: Any) -> Any:
    """A fetched value as plain Python: small arrays become (nested) lists, 0-d arrays scalars."""
    tolist = getattr(value, "tolist", None)
    if tolist is not None and getattr(value, "size", _MAX_ITEMS + 1) <= _MAX_ITEMS:
        return tolist()
    return value


def _why_missing(cell: int | None, errors: Sequence[CellError], message: str) -> str:
    before = [e for e in errors if cell is None or e.cell <= cell]
    if before:
        e = before[0]
        evalue = e.evalue if len(e.evalue) <= 160 else e.evalue[:159] + "\u2026"
        return f"cell {e.cell} failed first ({e.ename}: {evalue})"
    return message or "the kernel did not define it"


def from_kernel(question: QuestionSpec, names: Sequence[str], values: Mapping[str, Any], cell: int | None,
                errors: Sequence[CellError] = (), message: str = "", previous: Claim | None = None) -> Claim:
    """The claim of ``question.claim`` from the fetched ``values`` of ``names`` (after ``cell``)."""
    kind = str(question.claim)
    missing = [n for n in names if n not in values]
    if missing:
        why = _why_missing(cell, errors, message)
        note = f"{', '.join(missing)} is computed by the student's code and was not available after running it: {why}"
        return _unreadable(kind, note, previous)
    got = [as_kind(kind, _plain(values[n])) for n in names]
    if any(g is None for g in got):
        shown = ", ".join(f"{n} = {type(values[n]).__name__}" for n, g in zip(names, got) if g is None)
        return _unreadable(kind, f"the kernel's value is not a {kind} ({shown})", previous)
    value: Any = got[0]
    if len(names) > 1:
        if kind not in ("number", "choice"):
            return _unreadable(kind, f"{len(names)} answer variables for one {kind}", previous)
        value = [v for g in got for v in (g if isinstance(g, list) else [g])]
    text = "\n".join(f"{n} = {_plain(values[n])!r}" for n in names)
    where = f"after cell {cell}" if cell is not None else "after the last cell"
    return assess(Claim(kind=kind, value=value, span=Span(cell if cell is not None else -1, text),
                        notes=(f"computed by the student's code: {', '.join(names)} read from the kernel {where}",)))


def not_run(question: QuestionSpec, names: Sequence[str], why: str, previous: Claim | None = None,
            answers: Sequence[Answer] = ()) -> Claim:
    """The claim when the notebook was not run: what the student's own asserts pin the answer
    variables to (``assert u_ice == 108``) in its answer's code (``answers``: the question's own and its
    parent's), else unreadable, saying the value needs execution."""
    kind = str(question.claim)
    pinned: dict[str, tuple[Any, str, int]] = {}
    for seg in (seg for a in answers for seg in a.segments):
        if seg.source == "code":
            pinned.update({n: (v, t, seg.cell) for n, (v, t) in asserted_values(seg.text, tuple(names), kind).items()})
    value, text, cell = pinned.get(names[0], (None, "", -1)) if len(names) == 1 else (None, "", -1)
    got = as_kind(kind, value) if value is not None else None
    if got is not None:
        return assess(Claim(kind=kind, value=got, span=Span(cell, text), notes=(
            f"read from the student's own assert: {names[0]} is computed by the student's code, "
            f"which was not run ({why}); running it checks the value",)))
    return _unreadable(kind, f"{', '.join(names)} is computed by the student's code; the notebook was not run ({why})",
                       previous)


def _unreadable(kind: str, note: str, previous: Claim | None) -> Claim:
    base = previous if previous is not None else Claim(kind=kind, readable=False)
    return replace(base, kind=kind, value=None, readable=False, notes=(note,))
