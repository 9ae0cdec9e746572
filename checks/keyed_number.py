"""keyed_number: a number the question asks for, judged against the instructor's key.

Ground truth: the spec's key (a number, or a list of numbers for a question that asks for several
values in order, e.g. two dimensions, or a shape's dimensions). It is written by the instructor
(``auditor init`` proposes this check for questions whose wording asks for a count, a value, an
average, a prediction, or a shape that no code in the question lets the auditor compute).

Method: the claim stage reads the number the student states (in prose, as a literal in the answer
code, printed, or - for a value the student's code computes - the answer variable's value fetched
from the sandboxed kernel after the answer ran); equal to the key within the tolerance -> pass;
different -> fail; no number could be read (e.g. the code could not run without the course's data)
-> review, never a guess; no key -> review. A contested key that disagrees -> review.

Tolerance: relative ``rel_tol`` (default 1e-3, a printed value rounded to four significant figures
agrees) and absolute 1e-9.

Common mistakes: a boundary slip (``>=`` for "over"), the other quantile, a count taken before a
cleaning step: each gives a different number and fails.
"""
from __future__ import annotations

import math
from typing import Any

from auditor.models import Answer, Claim, Outcome, QuestionSpec, Status


def _numbers(value: Any) -> list[float] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    return None


def check_keyed_number(question: QuestionSpec, answer: Answer, claim: Claim, *, rel_tol: float = 1e-3) -> Outcome:
    """A stated number (or list of numbers) against the key, within ``rel_tol``."""
    key = _numbers(question.key)
    method = "the instructor's key" + (f" ({question.reason})" if question.reason else "") + \
        f", relative tolerance {rel_tol:g}"

    def outcome(status: Status, message: str) -> Outcome:
        return Outcome(status, expected=question.key, message=message, method=method)

    if not answer.answered:
        return outcome(Status.UNANSWERED, "no answer")
    got = _numbers(claim.value) if claim is not None and claim.readable else None
    if got is None:
        return outcome(Status.REVIEW, "answered, but no number could be read (a value computed by code is read "
                                      "from the kernel when the spec names the answer variables, or from what the "
                                      "notebook prints)")
    if key is None:
        return outcome(Status.REVIEW, f"claimed {claim.value!r}; the spec has no numeric key for this question")
    same = len(got) == len(key) and all(math.isclose(g, k, rel_tol=rel_tol, abs_tol=1e-9) for g, k in zip(got, key))
    if same:
        return outcome(Status.PASS, f"claimed {claim.value!r}, as the key")
    if question.contested:
        return outcome(Status.REVIEW, f"claimed {claim.value!r}, the key says {question.key!r}, but the key is "
                                      "contested: a human decides")
    return outcome(Status.FAIL, f"claimed {claim.value!r}, expected {question.key!r}")
