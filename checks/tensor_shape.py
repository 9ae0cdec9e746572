"""tensor_shape: the shape of a named tensor produced by the question's snippet.

Ground truth: the shape of a named tensor after the question's snippet, computed by torch.
The shape of ``target`` (e.g. ``Y``) after the spec's ``snippet`` (the canonical
code of the question), computed by torch itself. The course's embedding snippet gives
(5, 6, 7, 8, 42000): an index tensor of shape (5, 6, 7, 8) looked up in a 42-entry table of
42000-dimensional vectors appends the embedding dimension.

Method: the snippet is parsed with ``ast`` and interpreted on torch's meta device
(``checks.engines.torch_snippet``): tensor factories (``torch.randint/rand/zeros/...``) and
whitelisted layers (``nn.Embedding``, ``nn.Linear``, ...) are real torch objects without storage,
so shapes come from torch's own shape rules and a 42000-wide embedding costs no memory. The
snippet is never executed.

Tolerance: exact, dimension by dimension. The claim is a list of ints (from "(5,6,7,8,42000)",
"[5, 6, ...]" or "5x6x7x8x42000").

Common mistakes: (5, 6, 7, 8, 42) (the number of embeddings instead of their dimension),
(5, 6, 7, 8) (forgetting the new last dimension), (42, 42000) (the weight's shape).
"""
from __future__ import annotations

from auditor.models import Answer, Claim, Outcome
from checks.engines.shape_claim import judge_snippet_shape


def check_tensor_shape(answer: Answer, claim: Claim, *, snippet: str, target: str = "Y") -> Outcome:
    """Shape of a named tensor of the question's snippet, computed by torch on the meta device."""
    return judge_snippet_shape(answer, claim, snippet, None, target)
