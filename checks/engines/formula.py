"""A student's formula (a string) -> a sympy expression, without ``eval``.

``sympy.sympify`` and ``parse_expr`` evaluate Python code, so an answer's text must never reach
them. This parser walks the ``ast`` of the (already normalised) formula and accepts only numbers,
the allowed symbol names, parentheses, + - * / ** and unary minus; anything else raises
``FormulaError``.
"""
from __future__ import annotations

import ast
from functools import lru_cache
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


#: exact rational points at which a difference is evaluated before any simplification
_PROBES = ((sympy.Rational(1, 3), sympy.Rational(2, 7), sympy.Rational(5, 11)),
           (sympy.Rational(3, 13), sympy.Rational(4, 9), sympy.Rational(1, 17)))


@lru_cache(maxsize=1024)
def equivalent(a: sympy.Expr, b: sympy.Expr) -> bool:
    """True when ``a - b`` is identically zero (sympy expressions are hashable: a class's
    repeated answers are decided once).

    Exact, in three steps, cheapest first: ``a - b`` evaluated at rational points in exact
    arithmetic; a value that is definitely non-zero proves them different.  Otherwise, ``a - b``
    expanding to 0 proves them equal (polynomials); otherwise ``simplify(a - b) == 0`` decides.
    """
    diff = a - b
    free = sorted(diff.free_symbols, key=str)
    for probe in _PROBES:
        if len(free) > len(probe):
            break
        value = diff.subs(dict(zip(free, probe)))
        if value.is_number and value.is_finite and value.is_zero is False:
            return False
    if sympy.expand(diff) == 0:
        return True
    return sympy.simplify(diff) == 0
