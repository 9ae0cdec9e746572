"""output_shape: the shape of the tensor any question snippet produces.

Ground truth: the shape of a snippet's named tensor or last expression, computed by torch.
The shape of ``target`` (a variable name) or, without a target, of the value of
the snippet's last expression (what the notebook cell displays), e.g. the CNN cell of the course
ends with ``cnn(torch.rand(size=(1, 3, 1024, 1024))).shape`` -> [1, 32, 122, 122]. The code is
the spec's ``snippet`` when given, else the question's code cell in the notebook.

Method: the same meta-device interpreter as ``tensor_shape`` (``checks.engines.snippet_shape``):
parsed with ``ast``, rebuilt from whitelisted layers and tensor factories, never executed.

Tolerance: exact, dimension by dimension.

Common mistakes: forgetting the batch dimension; using the padding formula without the
floor; confusing the output's spatial size with the receptive field.
"""
from __future__ import annotations

from auditor.models import Answer, Claim, Outcome
from checks.engines.shape_claim import judge_snippet_shape


def check_output_shape(answer: Answer, claim: Claim, question_code: str | None, *,
                       snippet: str | None = None, target: str | None = None) -> Outcome:
    """Shape of a snippet's output (a named variable or its last expression), on the meta device."""
    return judge_snippet_shape(answer, claim, snippet, question_code, target)
