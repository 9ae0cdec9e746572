"""A loss written as a string in a spec (``"mean(X @ W + b)"``) -> a torch computation, no ``eval``.

Only numbers, the given tensor names, + - * / ** @, unary minus, ``.T`` and the functions in
``FUNCTIONS`` are accepted; anything else raises ``LossExpressionError``.
"""
from __future__ import annotations

import ast
from typing import Callable, Mapping

import torch

FUNCTIONS: Mapping[str, Callable[..., torch.Tensor]] = {
    "mean": torch.mean, "sum": torch.sum, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
    "sigmoid": torch.sigmoid, "relu": torch.relu, "sin": torch.sin, "cos": torch.cos,
    "abs": torch.abs, "sqrt": torch.sqrt, "square": torch.square,
}
_BINARY = {
    ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul, ast.Div: torch.div,
    ast.Pow: torch.pow, ast.MatMult: torch.matmul,
}


class LossExpressionError(ValueError):
    """The loss expression uses something outside the allowed arithmetic."""


def loss_names(expression: str) -> tuple[str, ...]:
    """The tensor names the expression uses (function names excluded), in order of appearance."""
    out: list[str] = []
    for node in ast.walk(_parse(expression)):
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in out:
            out.append(node.id)
    return tuple(out)


def evaluate_loss(expression: str, tensors: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return _eval(_parse(expression).body, tensors)


def _parse(expression: str) -> ast.Expression:
    try:
        return ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise LossExpressionError(f"loss {expression!r} is not an expression") from None


def _eval(node: ast.expr, tensors: Mapping[str, torch.Tensor]) -> torch.Tensor:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return torch.tensor(float(node.value), dtype=torch.float64)
    if isinstance(node, ast.Name) and node.id in tensors:
        return tensors[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, tensors)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, tensors), _eval(node.right, tensors))
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return _eval(node.value, tensors).T
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and not node.keywords and len(node.args) == 1):
        return FUNCTIONS[node.func.id](_eval(node.args[0], tensors))
    raise LossExpressionError(f"unsupported part of the loss: {ast.dump(node)[:60]}")
