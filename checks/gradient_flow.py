"""gradient_flow: does a network defined in the question have vanishing or exploding gradients?

Ground truth: vanishing, exploding or healthy, from per-layer gradient norms of the network.
The first/last ratio of the norms, for the network rebuilt from the question's code (``model_code`` param, else the question's code cell) with default init:
``vanishing`` below 1e-3, ``exploding`` above 1e3, otherwise ``healthy``.

Method: ``checks.engines.gradient_flow``: the code is parsed with ``ast`` (never executed), the
network is built from whitelisted layers on the CPU under seed 0, a standard-normal batch goes
forward, the sum of outputs is backpropagated, and the gradient norm at every weighted layer's
output is recorded per application (a module repeated with ``[...] * 24`` is one module applied
24 times).

Tolerance: the thresholds are three orders of magnitude; verdicts near them are not expected
for textbook networks. A network that cannot be rebuilt gives ``review``.

Common mistakes: blaming the learning rate or the data for a plateau caused by saturating
activations; claiming ReLU cannot vanish (small init does it, see relu_small_init_vanishing).
"""
from __future__ import annotations

from auditor.models import Answer, Claim, Outcome, Status
from checks.engines.gradient_flow import measure_gradient_flow
from checks.engines.keyed_answer import judge_against_key
from checks.engines.torch_snippet import UnsupportedCode, question_source

SYNONYMS = {"other": "healthy", "none": "healthy"}


def check_gradient_flow(answer: Answer, claim: Claim, question_code: str | None, *,
                        model_code: str | None = None, target: str | None = None,
                        input_shape: list[int] | None = None) -> Outcome:
    """Vanishing / exploding / healthy gradients, measured by per-layer gradient norms."""
    try:
        code, origin = question_source(model_code, question_code)
        flow = measure_gradient_flow(code, target, (), tuple(input_shape) if input_shape else None)
    except UnsupportedCode as exc:
        return Outcome(Status.REVIEW, message=f"cannot rebuild the network: {exc}")
    method = f"per-layer gradient norms of the network rebuilt from {origin} (default init, seed 0)"
    if claim is not None and isinstance(claim.value, str):
        claim = Claim(claim.kind, SYNONYMS.get(claim.value.lower(), claim.value.lower()), claim.readable,
                      claim.span, claim.notes, claim.extra)
    return judge_against_key(answer=answer, claim=claim, key=flow.verdict, contested=False,
                             noun="gradient verdict", method=method, evidence=flow.lines())
