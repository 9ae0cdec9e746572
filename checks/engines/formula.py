"""A student's formula (a string) -> a sympy expression, without ``eval``.

``sympy.sympify`` and ``parse_expr`` evaluate Python code, so an answer's text must never reach
them. This parser walks the ``ast`` of the (already normalised) formula and accepts only numbers,
the allowed symbol names, parentheses, + - * / ** and unary minus; anything else raises
``FormulaError``.
"""
from __future__ import annotations

import ast
from typing import Iterable

import sympy

MAX_LENGTH = 500


class FormulaError(ValueError):
    """The formula is not a plain arithmetic expression in the allowed symbols."""


def parse_formula(text: str, symbols: Iterable[str]) -> sympy.Expr:
    allowed = {name: sympy.Symbol(name) for name in symbols}
    text = text.strip().replace("^", "**")
    if not text or len(text) > MAX_LENGTH:
        raise FormulaError("empty or too long formula")
    if "=" in text:                       # "q = 1-(1-p1)(1-p2)": keep the right-hand side
        text = text.rsplit("=", 1)[1]
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise FormulaError(f"not an arithmetic expression: {text!r}") from None
    return _convert(tree.body, allowed)


def _convert(node: ast.expr, allowed: dict[str, sympy.Symbol]) -> sympy.Expr:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return sympy.nsimplify(node.value) if isinstance(node.value, float) else sympy.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id not in allowed:
            raise FormulaError(f"unknown symbol {node.id!r} (allowed: {', '.join(allowed)})")
        return allowed[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _convert(node.operand, allowed)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _convert(node.left, allowed), _convert(node.right, allowed)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.Pow) and right.is_number and abs(right) <= 16:
            return left ** right
    raise FormulaError(f"unsupported part of the formula: {ast.dump(node)[:60]}")


def equivalent(a: sympy.Expr, b: sympy.Expr) -> bool:
    """True when ``a - b`` simplifies to zero."""
    return sympy.simplify(a - b) == 0
