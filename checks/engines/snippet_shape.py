"""The shape a question's code snippet produces, computed by torch on the meta device.

Shared by ``tensor_shape`` (a named variable of the spec's snippet) and ``output_shape`` (a
named variable or the value of the last expression of any snippet).
"""
from __future__ import annotations

from functools import lru_cache

import torch

from checks.engines.torch_snippet import TorchSnippet, UnsupportedCode


@lru_cache(maxsize=64)
def snippet_shape(code: str, target: str | None = None) -> tuple[int, ...]:
    """Shape of ``target`` (or of the last expression) after the snippet, without running it.

    The snippet is interpreted by ``TorchSnippet`` on the meta device: tensors have shapes but
    no storage, so ``nn.Embedding(42, 42000)`` applied to a (5, 6, 7, 8) index tensor costs nothing.
    """
    snippet = TorchSnippet(code, "meta")
    value = snippet.value(target) if target else snippet.last_value()
    if isinstance(value, torch.Tensor):
        return tuple(int(n) for n in value.shape)
    if isinstance(value, torch.Size):
        return tuple(int(n) for n in value)
    raise UnsupportedCode(f"{target or 'the last expression'} is a {type(value).__name__}, not a tensor or shape")


def compare_shapes(claimed: list[int] | tuple[int, ...], truth: tuple[int, ...]) -> str:
    """'' when equal, else a short description of the difference."""
    claimed = tuple(claimed)
    if claimed == truth:
        return ""
    if len(claimed) != len(truth):
        return f"{len(claimed)} dimensions claimed, the tensor has {len(truth)}"
    wrong = [f"dim {i}: {c} vs {t}" for i, (c, t) in enumerate(zip(claimed, truth)) if c != t]
    return "; ".join(wrong)
