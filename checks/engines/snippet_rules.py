"""What the snippet evaluator (``checks.engines.snippet_interpreter``) accepts, and its limits.

The whitelists (layers, tensor factories, torch / functional functions, tensor methods, module
attributes, dtypes, builtins), the size limits, ``UnsupportedCode``, the markers the evaluator
binds names to (a torch namespace, an unknown value, a lazily evaluated value) and the ``ast``
helpers that need no evaluator.  The public entry point is ``checks.engines.torch_snippet``.
"""
from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

LAYERS: dict[str, type[nn.Module]] = {
    name: getattr(nn, name)
    for name in (
        "Sequential", "Identity", "Flatten", "Unflatten",
        "Linear", "Bilinear", "Embedding",
        "Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d",
        "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d",
        "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm",
        "Dropout", "Dropout2d",
        "ReLU", "LeakyReLU", "ELU", "GELU", "SELU", "Sigmoid", "Tanh", "Softplus",
        "Softmax", "LogSoftmax", "Hardtanh",
    )
}
FACTORIES = frozenset({"rand", "randn", "randint", "zeros", "ones", "empty", "full"})
TORCH_FUNCTIONS = frozenset({
    "matmul", "cat", "stack", "flatten", "reshape", "mean", "sum", "relu", "sigmoid", "tanh",
    "softmax", "transpose", "permute", "unsqueeze", "squeeze", "exp", "log", "abs", "bmm", "einsum",
})
FUNCTIONAL = frozenset({
    "relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "embedding", "max_pool2d",
    "avg_pool2d", "conv2d", "one_hot", "gelu", "leaky_relu",
})
TENSOR_METHODS = frozenset({
    "view", "reshape", "permute", "transpose", "unsqueeze", "squeeze", "flatten", "t",
    "contiguous", "float", "double", "long", "int", "mean", "sum", "matmul", "expand", "size",
    "dim", "numel", "relu", "sigmoid", "tanh", "softmax", "exp", "log", "abs", "pow",
})
MODULE_ATTRIBUTES = frozenset({
    "weight", "bias", "in_features", "out_features", "in_channels", "out_channels",
    "kernel_size", "stride", "padding", "dilation", "num_embeddings", "embedding_dim", "p",
})
DTYPES = frozenset({
    "float16", "float32", "float64", "bfloat16", "half", "float", "double",
    "int8", "int16", "int32", "int64", "long", "int", "uint8", "bool",
})
BUILTINS: dict[str, Callable[..., Any]] = {
    "range": range, "len": len, "tuple": tuple, "list": list, "int": int, "float": float,
    "min": min, "max": max, "abs": abs,
}
PRELUDE = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional"}
NO_OP_METHODS = frozenset({"eval", "train", "zero_grad"})

MAX_ITEMS = 10_000            # longest list/range the evaluator builds
MAX_NUMBER = 10**12           # largest number arithmetic may produce
MAX_CPU_PARAMETERS = 5_000_000
MAX_CPU_ELEMENTS = 10_000_000

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.MatMult: operator.matmul,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
}


class UnsupportedCode(ValueError):
    """The code uses something the evaluator does not rebuild (the message says what)."""


@dataclass(frozen=True)
class _Namespace:
    dotted: str                 # "torch" | "torch.nn" | "torch.nn.functional"


@dataclass(frozen=True)
class _Unknown:
    reason: str


class _Thunk:
    """A value bound in the code, evaluated at most once, on demand."""

    def __init__(self, compute: Callable[[], Any]):
        self._compute = compute
        self._done = False
        self._value: Any = None

    def get(self) -> Any:
        if not self._done:
            self._value = self._compute()
            self._done = True
        return self._value


def _where(node: ast.AST) -> str:
    return f"line {getattr(node, 'lineno', '?')}"


def _check_number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise UnsupportedCode(f"number {value!r} is too large to rebuild")
    return value


def _check_length(n: int, node: ast.AST) -> None:
    if n > MAX_ITEMS:
        raise UnsupportedCode(f"{_where(node)}: a sequence of {n} items is too long to rebuild")



def _unpack(value: Any, i: int, n: int) -> Any:
    if isinstance(value, _Unknown):
        return value
    if not isinstance(value, (tuple, list, torch.Size)) or len(value) != n:
        return _Unknown(f"cannot unpack {type(value).__name__} into {n} names")
    return value[i]


def _bind_loop_target(target: ast.expr, item: Any, scope: dict[str, _Thunk]) -> None:
    if isinstance(target, ast.Name):
        scope[target.id] = _Thunk(lambda: item)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for i, element in enumerate(target.elts):
            _bind_loop_target(element, _unpack(item, i, len(target.elts)), scope)
    else:
        raise UnsupportedCode(f"{_where(target)}: loop target not rebuilt")


def _bound_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in sub.names)
    return names
