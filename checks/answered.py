"""answered: questions with no automatic check (explanations, derivations, essays).

Ground truth: none (no automatic truth); only whether the student answered.

Method: ``answer.answered`` from the extraction stage (a marker without content is not an
answer). Answered -> ``manual`` (a human grades it); not answered -> ``unanswered``. A question
the spec marks ``answered_elsewhere`` (e.g. variant B's backpropagation/2, answered in a separate
file) is ``manual`` with a note even when the notebook holds nothing.

Tolerance: not applicable.

Common mistakes: an answer marker (``**Answer:**``) left empty counts as unanswered.
"""
from __future__ import annotations

from auditor.models import Answer, Outcome, QuestionSpec, Status


def check_answered(question: QuestionSpec, answer: Answer) -> Outcome:
    """Answered or not; answered questions are graded by hand (status manual)."""
    if question.answered_elsewhere:
        where = "answered in a separate file"
        if answer.answered:
            where += " (the notebook also holds an answer)"
        return Outcome(Status.MANUAL, message=f"{where}: grade by hand", method="no automatic check")
    if answer.answered:
        return Outcome(Status.MANUAL, message="answered: grade by hand", method="no automatic check")
    return Outcome(Status.UNANSWERED, message="no answer found", method="no automatic check")
