"""Judging a claimed shape against the shape a snippet produces (tensor_shape, output_shape)."""
from __future__ import annotations

from auditor.models import Answer, Claim, Outcome, Status
from checks.engines.keyed_answer import unreadable
from checks.engines.snippet_shape import compare_shapes, snippet_shape
from checks.engines.torch_snippet import UnsupportedCode, question_source


def judge_snippet_shape(answer: Answer, claim: Claim | None, snippet: str | None, question_code: str | None,
                        target: str | None) -> Outcome:
    """Recompute the shape of ``target`` (or the last expression) and compare the claimed list of ints.

    The code is ``snippet`` (the spec's canonical code) when given, else ``question_code``.
    """
    what = f"{target}.shape" if target else "the shape of the last expression"
    try:
        code, origin = question_source(snippet, question_code)
        truth = snippet_shape(code, target)
    except UnsupportedCode as exc:
        return Outcome(Status.REVIEW, message=f"cannot recompute {what}: {exc}")
    expected = list(truth)
    method = f"{origin} interpreted on torch's meta device (never executed): {what} = {expected}"
    evidence = (f"torch (meta device) computes {what} == torch.Size({expected})",)
    if not answer.answered:
        return Outcome(Status.UNANSWERED, expected, "no answer", method, evidence)
    value = None if unreadable(claim) else claim.value
    if not isinstance(value, (list, tuple)) or not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        return Outcome(Status.REVIEW, expected, "answered, but no shape could be read", method, evidence)
    difference = compare_shapes(value, truth)
    if not difference:
        return Outcome(Status.PASS, expected, f"claimed {list(value)}, correct", method, evidence)
    return Outcome(Status.FAIL, expected, f"claimed {list(value)}, expected {expected} ({difference})", method, evidence)
