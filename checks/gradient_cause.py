"""gradient_cause: the cause of a training plateau in a network the question defines.

Ground truth: the spec's key, checked against the cause measured from per-layer gradient norms.
The course's key is "vanishing" for the pirates MLP: per-layer gradient norms of ``nn.Sequential(Linear, Sigmoid, *[Linear,
Sigmoid] * 24, Linear)`` (42 repeats in variant B) with default init fall from about 8 at the
output to about 1e-20 at the first layer, so the cause is ``vanishing``. The repeated block is
ONE shared Linear applied 24 times; the measurement follows every application.

Method: ``checks.engines.gradient_flow`` on the spec's ``model_code`` (else the notebook's
question cell), never executing the code; the computed cause (vanishing / exploding / other)
must agree with the key, else ``review``. The claim ("vanishing", "exploding", "other") is
compared with the key.

Tolerance: vanishing when the first/last gradient-norm ratio is below 1e-3, exploding above 1e3.

Common mistakes: "overfitting", "learning rate too high", "exploding gradients" (sigmoid
derivatives are at most 1/4, so products shrink), "dead neurons" (a ReLU problem, not sigmoid's).
"""
from __future__ import annotations

from auditor.models import Answer, Claim, Outcome, QuestionSpec
from checks.engines.gradient_flow import measure_gradient_flow
from checks.engines.keyed_answer import judge_against_key
from checks.engines.torch_snippet import UnsupportedCode, question_source

CAUSE_OF = {"vanishing": "vanishing", "exploding": "exploding", "healthy": "other"}


def check_gradient_cause(question: QuestionSpec, answer: Answer, claim: Claim, question_code: str | None, *,
                         model_code: str | None = None, target: str | None = None) -> Outcome:
    """Vanishing / exploding / other, against the key and the measured gradient flow."""
    try:
        code, origin = question_source(model_code, question_code)
        flow = measure_gradient_flow(code, target)
    except UnsupportedCode as exc:
        return judge_against_key(answer=answer, claim=claim, key=question.key, contested=question.contested,
                                 noun="cause", method="the instructor's key",
                                 evidence=(f"the network could not be rebuilt to confirm the key: {exc}",))
    computed = CAUSE_OF[flow.verdict]
    return judge_against_key(
        answer=answer, claim=claim, key=question.key if question.key is not None else computed,
        contested=question.contested, noun="cause",
        method=f"per-layer gradient norms of the network rebuilt from {origin}: {computed}",
        evidence=flow.lines(), computed=computed)
