"""A TA's decisions on answers: points, rubric items, a comment, a corrected reading.

A decision is made for a group of answers at once (one write, all or nothing: see
auditor.review.database).  For an answer the auditor left to ``review`` (its reading of the claim
was unsure), the TA confirms the reading ("the reading is right") or states what the student
claimed; the claim is then judged again by the same check the batch used (auditor.plugins.run_check
on the question's spec), with the TA's claim and the answer's text - and nothing else: no kernel,
no student code runs in this process.  A check that then passes gives the question's points, a
fail gives 0, anything else leaves the points to the TA.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from auditor.models import Answer, AssignmentSpec, Claim, Outcome, QuestionSpec, Segment, Status
from auditor.review.classdata import SPECLESS, AnswerItem, ClassBatch
from auditor.review.database import Decision, ReviewDB, Write

#: the values each claim kind takes (auditor.claims.read), for a TA's typed correction
WORDS = {
    "verdict": ("true", "false", "hedged"),
    "cause": ("vanishing", "exploding", "other"),
    "yesno": ("yes", "no"),
}
_ALIASES = {"t": "true", "f": "false", "y": "yes", "n": "no"}


class DecisionError(ValueError):
    """A decision that cannot be made as asked (message says why); nothing was stored."""


class ChangedAnswer(DecisionError):
    """The answer text the TA saw is not the batch's any more (the batch was re-run meanwhile)."""


def parse_claim(kind: str | None, text: Any) -> Any:
    """A TA's typed claim in the normal form of ``kind`` (LABELING.md); DecisionError if it is not one."""
    raw = str(text).strip()
    low = _ALIASES.get(raw.lower(), raw.lower())
    if kind in WORDS:
        if low not in WORDS[kind]:
            raise DecisionError(f"a {kind} claim is one of {', '.join(WORDS[kind])}, not {raw!r}")
        return low
    if kind == "number":
        m = re.fullmatch(r"[+-]?\d+", raw.replace(",", ""))
        if not m:
            raise DecisionError(f"a number claim is a whole number, not {raw!r}")
        return int(raw.replace(",", ""))
    if kind == "probability":
        try:
            value = float(raw)
        except ValueError:
            raise DecisionError(f"a probability claim is a number such as 0.28, not {raw!r}") from None
        if not math.isfinite(value):
            raise DecisionError(f"a probability claim is a finite number, not {raw!r}")
        return value
    if kind == "shape":
        dims = re.findall(r"\d+", raw)
        if not dims or re.search(r"[^\d\s,x×()\[\]]", raw.lower()):
            raise DecisionError(f"a shape claim is a list of whole numbers such as (4, 3, 16), not {raw!r}")
        return [int(d) for d in dims]
    if kind == "choice":
        picks = [t for t in re.split(r"[\s,;/]+|\band\b", low.strip("()[]")) if t]
        if not picks or any(not re.fullmatch(r"[a-z]|[ivx]{1,5}|\d{1,3}", t) for t in picks):
            raise DecisionError(f"a choice claim is the option(s) picked, such as 3 or b, d, not {raw!r}")
        return [int(t) if t.isdigit() else t for t in picks]
    if kind == "code":
        if low not in ("true", "false", "yes", "no"):
            raise DecisionError(f"a code claim is true (the code is written) or false, not {raw!r}")
        return low in ("true", "yes")
    raise DecisionError("this question has no claim to correct: give points instead")


class SpecIndex:
    """The assignment specs a batch was judged against, by id (shipped specs, or the batch's spec file);
    for a spec-less audit, the spec inferred again from the submission's notebook (read, never run)."""

    def __init__(self, batch: ClassBatch):
        self._root = Path(str(batch.meta.get("root") or "."))
        self._inferred: dict[str, AssignmentSpec | None] = {}
        from auditor.assignment.spec import SpecError, load_spec, shipped_specs

        specs: dict[str, AssignmentSpec] = {s.id: s for s in shipped_specs()}
        given = str(batch.meta.get("assignment") or "auto")
        if given != "auto" and Path(given).is_file():
            try:
                spec = load_spec(given)
                specs[spec.id] = spec
            except SpecError:
                pass
        self._specs = specs

    def _specless(self, file: str) -> AssignmentSpec | None:
        if file not in self._inferred:
            from auditor.assignment.specless import infer_spec
            from auditor.load.notebook import InputError, load_notebook

            try:
                self._inferred[file] = infer_spec(load_notebook(self._root / file))
            except (InputError, OSError):
                self._inferred[file] = None
        return self._inferred[file]

    def question(self, assignment: str, qid: str, file: str | None = None) -> QuestionSpec | None:
        if assignment == SPECLESS:
            spec = self._specless(file) if file else None
        else:
            spec = self._specs.get(assignment)
        if spec is None:
            return None
        try:
            return spec.question(qid)
        except KeyError:
            return None

    def spec(self, assignment: str) -> AssignmentSpec | None:
        return self._specs.get(assignment)


def rejudge(q: QuestionSpec, item: AnswerItem, value: Any) -> Outcome:
    """Judge ``value`` (the claim a TA confirmed or typed) with the question's own check."""
    from auditor.plugins import run_check
    from auditor.judge.registry import get_check

    claim = Claim(kind=q.claim or "", value=value, readable=True, notes=("reading given by a TA",))
    answer = Answer(question_id=q.id, answered=True, segments=(Segment(cell=-1, text=item.text, source="markdown"),))
    return run_check(get_check(q.check or "answered"), question=q, answer=answer, claim=claim)


@dataclass(frozen=True)
class Member:
    file: str
    version: int                    # of the decision the TA saw (0: none)
    hash: str | None = None         # of the answer text the TA saw (None: not checked)


_KEEP = object()


def _check_points(points: Any, max_points: float) -> float | None:
    if points is None or points == "":
        return None
    try:
        value = float(points)
    except (TypeError, ValueError):
        raise DecisionError(f"points must be a number, not {points!r}") from None
    if not math.isfinite(value) or value < 0:
        raise DecisionError(f"points must be 0 or more, not {points!r}")
    if max_points and value > max_points + 1e-9:
        raise DecisionError(f"points must be at most {max_points:g} for this question, not {value:g}")
    return value


def decide(db: ReviewDB, batch: ClassBatch, specs: SpecIndex, assignment: str, question: str,
           members: Sequence[Member], *, points: Any = _KEEP, comment: Any = _KEEP, rubric: Any = _KEEP,
           reading: Any = None, grader: str = "") -> list[Decision]:
    """Write one decision for every member (an answer to ``assignment``/``question`` with the version
    the TA saw).  ``reading``: None, "right" (confirm the auditor's reading) or the claim as typed.
    Raises DecisionError for a bad request, database.StaleWrite when another grader got there first."""
    info = batch.question(assignment, question)
    if info is None:
        raise DecisionError(f"no question {question!r} of {assignment!r} in this batch")
    if not members:
        raise DecisionError("no answers chosen")
    changes: dict[str, Any] = {}
    if points is not _KEEP:
        changes["points"] = _check_points(points, info.max_points)
    if comment is not _KEEP:
        changes["comment"] = str(comment or "")[:4000]
    if rubric is not _KEEP:
        valid = {r.id for r in db.rubric(assignment, question)}
        ids = [int(i) for i in rubric or []]
        if set(ids) - valid:
            raise DecisionError("a ticked rubric item does not belong to this question")
        changes["rubric"] = sorted(set(ids))
    items: list[AnswerItem] = []
    for m in members:
        item = batch.item(m.file, question)
        if item is None or item.assignment != assignment:
            raise DecisionError(f"{m.file}: no answer to {question} in this batch")
        if m.hash is not None and m.hash != item.hash:
            raise ChangedAnswer(f"{item.student_id}'s answer changed since you loaded the page (the batch was "
                                "run again): nothing was saved; reload to see the new text")
        items.append(item)
    writes = []
    for m, item in zip(members, items):
        c = dict(changes)
        if reading is not None:
            c.update(_reading(specs, assignment, question, item, reading, info.max_points,
                              points_given="points" in changes and changes["points"] is not None))
        writes.append(Write(m.file, question, assignment, item.hash, int(m.version), c))
    return db.write(writes, grader=grader)


def _reading(specs: SpecIndex, assignment: str, question: str, item: AnswerItem, reading: Any,
             max_points: float, *, points_given: bool) -> dict[str, Any]:
    q = specs.question(assignment, question, item.file)
    if q is None or not q.claim:
        raise DecisionError("this question has no reading to correct (no claim is read for it): give points")
    if reading == "right":
        if item.claimed is None:
            raise DecisionError(f"{item.file}: the auditor read no claim here: type what the student claimed")
        value, how = item.claimed, "confirmed"
    else:
        value, how = parse_claim(q.claim, reading), "corrected"
    out = rejudge(q, item, value)
    result: dict[str, Any] = {"reading": {"claimed": value, "how": how, "status": out.status.value,
                                          "message": out.message, "was": item.claimed,
                                          "was_status": item.status}}
    if not points_given and out.status in (Status.PASS, Status.FAIL):
        result["points"] = (q.points or max_points) if out.status == Status.PASS else 0.0
    return result


def decision_views(decisions: Mapping[tuple[str, str], Decision]) -> dict[str, dict[str, Any]]:
    """file -> decision as JSON-able dict, for one question's page."""
    return {file: d.as_json() for (file, _q), d in decisions.items()}
