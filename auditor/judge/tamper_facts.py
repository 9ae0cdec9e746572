"""Facts of a question's cell, for tamper detection (``auditor.judge.tamper`` compares them).

Code: a cell's Python source (IPython magics turned into plain Python first) is parsed with
``ast``, never executed, and reduced to ordered blocks of normalised facts (literal assignments,
calls with their arguments bound to the ``torch.nn`` layer's real signature) plus every literal
bound to a name.  Text: the numbers a markdown statement gives, in order.  What normalisation
makes equal is listed in ``auditor.judge.tamper``'s docstring.
"""
from __future__ import annotations

import ast
import functools
import inspect
import re
from typing import Any, Iterable

# a number not glued to a name on its left (the 1 of p1 / p_1 is not a number; 32x32 is two)
_NUMBER = re.compile(r"(?<![A-WYZa-wyz_\d.])\d+(?:\.\d+)?")
VAR = "<var>"           # how a local variable is shown: its name is not a fact
_NESTED = "…"           # a call passed as an argument is shown on its own line below

Block = tuple[str, ...]


def text_facts(markdown: str) -> list[str]:
    """The numbers a markdown text states, in order, normalised (``0.10`` -> ``0.1``)."""
    from auditor.load.markdown_blocks import parse_blocks

    facts: list[str] = []
    for block in parse_blocks(markdown):
        for raw in _NUMBER.findall(block.text):
            value = float(raw)
            facts.append(str(int(value)) if value.is_integer() else repr(value))
    return facts


@functools.lru_cache(maxsize=4096)
def parsed_facts(source: str) -> "CellFacts":
    """A cell's facts, parsed once per process: the spec's canonical code, and the code cells
    that a class leaves as given (read only: never mutate the result)."""
    return CellFacts.from_source(source)


# --------------------------------------------------------------------------- facts of a cell

class CellFacts:
    """Normalised facts of one code cell: ordered blocks, plus every literal bound to a name."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.literals: dict[str, Any] = {}          # name -> current literal value (in source order)
        self.bound: dict[str, list[Any]] = {}       # name -> every literal it was given (assign or keyword)
        self.local_names: set[str] = set()

    @classmethod
    def from_source(cls, source: str) -> "CellFacts":
        facts = cls()
        tree = ast.parse(_python_of(source))
        facts.local_names = {
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        facts._statements(tree.body)
        return facts

    def values_of(self, name: str) -> list[Any]:
        return self.bound.get(name, [])

    # -- statements in source order
    def _statements(self, body: Iterable[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                continue
            nested = [getattr(stmt, f, None) for f in ("body", "orelse", "finalbody")]
            if any(isinstance(n, list) and n and isinstance(n[0], ast.stmt) for n in nested):
                for n in nested:
                    if isinstance(n, list):
                        self._statements(n)
                continue
            if self._literal_assignment(stmt):
                continue
            lines: list[str] = []
            for call in _outer_calls(stmt):
                lines += self._render_call(call, 0)
            if lines:
                self.blocks.append(tuple(lines))

    def _literal_assignment(self, stmt: ast.stmt) -> bool:
        if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        elif isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        else:
            return False
        pairs: list[tuple[str, ast.expr]] = []
        for target in targets:
            if isinstance(target, ast.Name):
                pairs.append((target.id, value))
            elif (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List))
                  and len(target.elts) == len(value.elts)
                  and all(isinstance(t, ast.Name) for t in target.elts)):
                pairs += [(t.id, v) for t, v in zip(target.elts, value.elts)]
            else:
                return False
        resolved = []
        for name, node in pairs:
            ok, literal = self._literal(node, "")
            if not ok:
                return False
            resolved.append((name, literal))
        for name, literal in resolved:
            self.literals[name] = literal
            self.bound.setdefault(name, []).append(literal)
            self.blocks.append((f"{name} = {literal!r}",))
        return True

    # -- expressions
    def _literal(self, node: ast.expr, layer: str) -> tuple[bool, Any]:
        try:
            return True, normalise_literal(ast.literal_eval(_Substitute(self).visit(_copy(node))), layer)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            return False, None

    def _render_arg(self, node: ast.expr, layer: str) -> str:
        if isinstance(node, ast.Call):
            return _NESTED
        ok, literal = self._literal(node, layer)
        if ok:
            return repr(literal)
        return ast.unparse(_Substitute(self).visit(_copy(node)))

    def _render_call(self, call: ast.Call, depth: int) -> list[str]:
        dotted = _dotted(call.func)
        if dotted is None or dotted.split(".")[0] in self.local_names:
            name = VAR if dotted is not None else ast.unparse(_Substitute(self).visit(_copy(call.func)))
        else:
            name = dotted.rsplit(".", 1)[-1]
        args = self._arguments(call, name, dotted)
        lines = ["  " * depth + f"{name}({', '.join(args)})"]
        for node in list(call.args) + [k.value for k in call.keywords]:
            for inner in _outer_calls_in_expr(node):
                lines += self._render_call(inner, depth + 1)
        return lines

    def _arguments(self, call: ast.Call, name: str, dotted: str | None) -> list[str]:
        starred = any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
        sig = _layer_signature(name) if dotted is not None and name != VAR and not starred else None
        rendered_pos = [self._render_arg(a, name) for a in call.args]
        rendered_kw = {k.arg: self._render_arg(k.value, name) for k in call.keywords if k.arg}
        for k in call.keywords:
            if k.arg:
                ok, literal = self._literal(k.value, name)
                if ok:
                    self.bound.setdefault(k.arg, []).append(literal)
        if sig is None:
            return rendered_pos + [f"{k}={v}" for k, v in sorted(rendered_kw.items())]
        try:
            bound = sig.bind_partial(*rendered_pos, **rendered_kw)
        except TypeError:
            return rendered_pos + [f"{k}={v}" for k, v in sorted(rendered_kw.items())]
        for param_name, text in list(bound.arguments.items()):
            if param_name in rendered_kw or param_name not in sig.parameters:
                continue
            ok, literal = self._literal(call.args[list(bound.arguments).index(param_name)], name)
            if ok:
                self.bound.setdefault(param_name, []).append(literal)
        out = []
        for param_name, text in bound.arguments.items():
            default = sig.parameters[param_name].default
            if default is not inspect.Parameter.empty and text == repr(normalise_literal(default, name)):
                continue
            if (param_name == "stride" and default is None
                    and text == bound.arguments.get("kernel_size")):
                continue  # pooling: stride defaults to kernel_size
            out.append(f"{param_name}={text}")
        return out


class _Substitute(ast.NodeTransformer):
    """Replace names bound to literals by their value and other local names by a placeholder."""

    def __init__(self, facts: CellFacts) -> None:
        self.facts = facts

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load):
            if node.id in self.facts.literals:
                value = self.facts.literals[node.id]
                return ast.Constant(value) if not isinstance(value, tuple) else ast.parse(repr(value), mode="eval").body
            if node.id in self.facts.local_names:
                return ast.Name(VAR, ast.Load())
        return node


# --------------------------------------------------------------------------- helpers

def _python_of(source: str) -> str:
    """Cell source with IPython syntax (magics, !shell) turned into plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def _dotted(func: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
        return ".".join(reversed(parts))
    return None


def _outer_calls_in_expr(node: ast.AST) -> list[ast.Call]:
    """Calls inside ``node`` that are not themselves inside another call, in source order."""
    if isinstance(node, ast.Call):
        return [node]
    found: list[ast.Call] = []
    for child in ast.iter_child_nodes(node):
        found += _outer_calls_in_expr(child)
    return found


def _outer_calls(stmt: ast.stmt) -> list[ast.Call]:
    found: list[ast.Call] = []
    for child in ast.iter_child_nodes(stmt):
        if isinstance(child, ast.expr):
            found += _outer_calls_in_expr(child)
    return found


def normalise_literal(value: Any, layer: str) -> Any:
    """Lists -> tuples; ``(3, 3)`` -> ``3`` for a 2d layer (same meaning)."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple):
        value = tuple(normalise_literal(v, "") for v in value)
        dims = {"1d": 1, "2d": 2, "3d": 3}.get(layer[-2:]) if layer else None
        if dims and len(value) == dims and len(set(value)) == 1 and all(isinstance(v, int) for v in value):
            return value[0]
    return value


@functools.lru_cache(maxsize=None)
def _layer_signature(name: str) -> inspect.Signature | None:
    """The constructor signature of ``torch.nn.<name>`` (looked up by name, nothing executed)."""
    try:
        import torch.nn as nn
    except ImportError:  # pragma: no cover - torch is a dependency
        return None
    cls = getattr(nn, name, None)
    if not isinstance(cls, type):
        return None
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    params = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return sig.replace(parameters=params)
