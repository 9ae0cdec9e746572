"""Rebuild the torch objects a question's code defines, without executing that code.

The code of a question (a CNN, an MLP, an embedding snippet) is parsed with ``ast`` and
interpreted by a small evaluator that knows only:

* literals, tuples/lists, arithmetic on numbers, ``[a, b] * n`` (which repeats the SAME
  objects, exactly as Python does: ``[nn.Linear(H, H), nn.Sigmoid()] * 24`` shares one Linear),
  list comprehensions over ``range``;
* names bound by earlier assignments in the same code (``N = 42``, ``p1, p2 = 0.1, 0.2``);
  ``torch``, ``nn`` and ``F`` are pre-bound (notebooks import them in an earlier cell);
* ``import torch`` / ``import torch.nn as nn`` / ``from torch import nn`` /
  ``import torch.nn.functional as F`` / ``from torch.nn import Linear``;
* the layer classes in ``LAYERS``, the tensor factories in ``FACTORIES``, the functions in
  ``TORCH_FUNCTIONS`` and ``FUNCTIONAL``, the tensor methods in ``TENSOR_METHODS``.

Anything else (a ``def``, a loop, an unknown call) does not stop the parse: the names it binds
become unknown and only fail, with ``UnsupportedCode``, if a requested value depends on them.
Evaluation is lazy: asking for ``Y`` evaluates only what ``Y`` depends on.

Objects are built on a chosen device: ``"meta"`` (the default) gives shapes and parameter
counts without allocating memory (a 42000-wide embedding costs nothing); ``"cpu"`` is used
only after a meta build showed the model is small (see ``MAX_CPU_PARAMETERS``).

Layout: ``snippet_rules`` holds the whitelists, limits and ``UnsupportedCode``;
``snippet_interpreter`` the evaluator ``TorchSnippet`` (and the meta-device layer builds); this
module the helpers checks use, and it re-exports the public names of the other two.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from checks.engines.snippet_interpreter import TorchSnippet, parameter_count
from checks.engines.snippet_rules import (
    BUILTINS, DTYPES, FACTORIES, FUNCTIONAL, LAYERS, MAX_CPU_ELEMENTS, MAX_CPU_PARAMETERS, MAX_ITEMS,
    MAX_NUMBER, MODULE_ATTRIBUTES, NO_OP_METHODS, PRELUDE, TENSOR_METHODS, TORCH_FUNCTIONS, UnsupportedCode,
)

__all__ = [
    "BUILTINS", "DTYPES", "FACTORIES", "FUNCTIONAL", "LAYERS", "MAX_CPU_ELEMENTS", "MAX_CPU_PARAMETERS",
    "MAX_ITEMS", "MAX_NUMBER", "MODULE_ATTRIBUTES", "NO_OP_METHODS", "PRELUDE", "TENSOR_METHODS",
    "TORCH_FUNCTIONS", "TorchSnippet", "UnsupportedCode", "build_model", "find_model_name", "flat_layers",
    "parameter_count", "question_source",
]


# ---------------------------------------------------------------------- helpers for checks

def find_model_name(snippet: TorchSnippet, preferred: str | None = None) -> str:
    """The name of the model the code defines: ``preferred`` or the only ``nn.Module`` bound."""
    if preferred:
        return preferred
    modules = []
    for name in snippet.names():
        try:
            if isinstance(snippet.value(name), nn.Module):
                modules.append(name)
        except UnsupportedCode:
            continue
    if len(modules) != 1:
        found = ", ".join(modules) or "none"
        raise UnsupportedCode(f"cannot tell which model the code defines (modules found: {found})")
    return modules[0]


def build_model(code: str, target: str | None = None, device: str = "meta") -> nn.Module:
    """The ``nn.Module`` bound to ``target`` (or the only one) in ``code``, built on ``device``.

    A CPU build is refused when the meta build has more than ``MAX_CPU_PARAMETERS`` parameters.
    """
    meta = TorchSnippet(code, "meta")
    try:
        name: str | None = find_model_name(meta, target)
    except UnsupportedCode:
        # an unassigned ``nn.Sequential(...)`` as the cell's last expression is the model too
        if target or meta.last_expression is None or not isinstance(_safe_last(meta), nn.Module):
            raise
        name = None
    model = meta.value(name) if name else meta.last_value()
    label = repr(name) if name else "the last expression"
    if not isinstance(model, nn.Module):
        raise UnsupportedCode(f"{label} is a {type(model).__name__}, not a model")
    if device == "meta":
        return model
    count = parameter_count(model)
    if count > MAX_CPU_PARAMETERS:
        raise UnsupportedCode(f"{label} has {count} parameters, too many to rebuild on the CPU")
    rebuilt = TorchSnippet(code, device)
    return rebuilt.value(name) if name else rebuilt.last_value()


def _safe_last(snippet: TorchSnippet) -> Any:
    try:
        return snippet.last_value()
    except UnsupportedCode:
        return None



def flat_layers(model: nn.Module) -> list[nn.Module]:
    """The layers of a (nested) Sequential in application order; repeated modules repeat."""
    if isinstance(model, nn.Sequential):
        out: list[nn.Module] = []
        for layer in model:
            out.extend(flat_layers(layer))
        return out
    return [model]


def question_source(canonical: str | None, question_code: str | None) -> tuple[str, str]:
    """The code to rebuild and where it came from: the spec's canonical code, else the notebook's."""
    if canonical:
        return canonical, "the spec's copy of the question code"
    if question_code:
        return question_code, "the question's code cell in the notebook"
    raise UnsupportedCode("no code to rebuild: the spec gives none and the question has no code cell")
