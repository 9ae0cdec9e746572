"""yes_no: a yes/no question judged against the key, with computed evidence where possible.

Ground truth: the spec's key, confirmed by a measurement when the spec gives one.
The key is "yes" or "no". For "does swapping the activation fix the
gradient problem?" (the course: replacing sigmoid by tanh in the pirates MLP; key "no") the
spec gives ``model_code`` and ``swap = {"Sigmoid" = "Tanh"}``: the gradient flow of the network is
measured before and after the swap with the same helper as ``gradient_cause``; the computed
answer is "yes" only when the swapped network is healthy. With tanh the first/last gradient-norm
ratio is still about 1e-6 (tanh' <= 1 and it saturates), so the answer is "no".
A ``demonstration`` named in the spec is shown too (its verdict "true" means "yes").

Method: claim "yes"/"no" compared with the key; the computed answer must agree with the key,
else review. Unreadable or hedged -> review; contested disagreement -> review.

Tolerance: vanishing below a 1e-3 first/last gradient-norm ratio, exploding above 1e3.

Common mistakes: "yes, tanh is zero-centred" (it is, but its derivative still shrinks the
gradient at every layer of a deep stack).
"""
from __future__ import annotations

from typing import Mapping

from auditor.models import Answer, Claim, Outcome, QuestionSpec
from checks.demonstrations import run_demonstration
from checks.engines.gradient_flow import measure_gradient_flow
from checks.engines.keyed_answer import judge_against_key
from checks.engines.torch_snippet import UnsupportedCode, question_source


def check_yes_no(question: QuestionSpec, answer: Answer, claim: Claim, question_code: str | None, *,
                 model_code: str | None = None, swap: Mapping[str, str] | None = None,
                 target: str | None = None) -> Outcome:
    """A yes/no answer against the key; an activation swap is measured, not assumed."""
    evidence: list[str] = []
    computed = None
    method = "the instructor's key" + (f" ({question.reason})" if question.reason else "")
    if swap:
        try:
            code, origin = question_source(model_code, question_code)
            pairs = tuple(sorted(swap.items()))
            before = measure_gradient_flow(code, target)
            after = measure_gradient_flow(code, target, pairs)
            evidence += ["as defined:", *before.lines(), "after the swap:", *after.lines()]
            computed = "yes" if after.verdict == "healthy" and before.verdict != "healthy" else "no"
            method += f"; gradient flow of the network from {origin} measured before and after the swap"
        except UnsupportedCode as exc:
            evidence.append(f"the network could not be rebuilt to confirm the key: {exc}")
    if question.demonstration:
        demo = run_demonstration(question.demonstration)
        evidence += [f"demonstration {demo.name}: {'yes' if demo.verdict else 'no'}", *demo.lines]
        computed = computed or ("yes" if demo.verdict else "no")
    return judge_against_key(answer=answer, claim=claim, key=question.key, contested=question.contested,
                             noun="yes/no answer", method=method, evidence=evidence, computed=computed)
