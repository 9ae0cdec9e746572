"""true_false: a true/false statement judged against the instructor's key.

Ground truth: the spec's key, with a computed demonstration when the spec names one.
The key is "true" or "false", with the reason from the course's key; when the spec names a ``demonstration``, a small computation (see ``auditor checks list``)
recomputes the statement's truth value and is shown as evidence.

Method: the claim stage reads "true", "false" or "hedged" from the answer (T./F., **TRUE**,
"flase", "generally true, but..."). Agreeing with the key -> pass; disagreeing -> fail, or
review when the key is marked contested; hedged or unreadable -> review. If the demonstration's
computed verdict contradicts the key, the outcome is review (the key needs a look).

Tolerance: exact match of the normalised verdict.

Common mistakes: answering the explanation but never stating a verdict (review, not a guess);
a verdict word contradicted by its own explanation (the claim stage notes it).
"""
from __future__ import annotations

from auditor.models import Answer, Claim, Outcome, QuestionSpec
from checks.engines.keyed_answer import judge_against_key
from checks.demonstrations import run_demonstration


def check_true_false(question: QuestionSpec, answer: Answer, claim: Claim) -> Outcome:
    """A true/false verdict against the key; contested disagreements go to review."""
    evidence: tuple[str, ...] = ()
    computed = None
    method = "the instructor's key" + (f" ({question.reason})" if question.reason else "")
    if question.demonstration:
        demo = run_demonstration(question.demonstration)
        evidence = (f"demonstration {demo.name}: the statement is computed to be {demo.key}", *demo.lines)
        computed = demo.key
        method += f"; backed by the computed demonstration {demo.name}"
    return judge_against_key(answer=answer, claim=claim, key=question.key, contested=question.contested,
                             noun="true/false verdict", method=method, evidence=evidence,
                             computed=computed)
