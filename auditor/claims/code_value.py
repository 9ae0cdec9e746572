"""A claim stated as a Python value in an answer cell (nbgrader / Otter code answers):
``q1f_answer = 3``, ``ans = False``, ``lm_1 = bool(0.005 <= 0.01)``, ``q6a_i = 32`` /
``q6a_ii = 1``.

The code is parsed, never run: only literals and arithmetic/comparisons of literals are
evaluated (a tiny constant folder). A value computed from data (``n = df['x'].sum()``) is not
readable here: it exists only after execution, and the caller falls back to the other readers.
The code's printed output is not consulted here. ``asserted_values`` reads what the student's own
``assert`` statements pin a computed answer to (``assert u_ice == 108``, ``assert is_n_co``): the
student's claim about a value that only execution can confirm.
"""
from __future__ import annotations

import ast
import operator
import re
from typing import Any

from auditor.models import Answer, Claim, Span

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
        ast.Eq: operator.eq, ast.NotEq: operator.ne}


class _NotConstant(Exception):
    pass


def _fold(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_fold(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        v = _fold(node.operand)
        return (not v) if isinstance(node.op, ast.Not) else (-v if isinstance(node.op, ast.USub) else +v)
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        left, right = _fold(node.left), _fold(node.right)
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (left, right)):
            raise _NotConstant
        try:
            return _BIN[type(node.op)](left, right)
        except ZeroDivisionError:
            raise _NotConstant from None
    if isinstance(node, ast.Compare) and all(type(o) in _CMP for o in node.ops):
        values = [_fold(node.left), *(_fold(c) for c in node.comparators)]
        return all(_CMP[type(o)](a, b) for o, a, b in zip(node.ops, values, values[1:]))
    if isinstance(node, ast.BoolOp):
        values = [_fold(v) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("bool", "int", "float") \
            and len(node.args) == 1 and not node.keywords:
        return {"bool": bool, "int": int, "float": float}[node.func.id](_fold(node.args[0]))
    raise _NotConstant


def _is_print(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "display")


def _parse_strict(code: str) -> tuple[str, ast.Module, list[str]] | None:
    try:
        return code, ast.parse(code), []
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parse_lenient(code: str) -> tuple[str, ast.Module, list[str]] | None:
    """(code, tree, lines dropped): the code parsed whole, else its unindented lines that parse on
    their own (an answer's code can miss a line, e.g. the closing bracket the template also has).
    Only for named answer variables: what was dropped is checked for assignments to them."""
    whole = _parse_strict(code)
    if whole is not None:
        return whole
    kept: list[str] = []
    dropped: list[str] = []
    for line in code.splitlines():
        if line[:1].isspace():  # inside a block or a bracket: never promoted to the top level
            dropped.append(line)
            continue
        try:
            ast.parse(line)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            dropped.append(line)
            continue
        kept.append(line)
    text = "\n".join(kept)
    try:
        return text, ast.parse(text), dropped
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def literal_assignments(code: str, answers: tuple[str, ...] = ()) -> list[tuple[str, Any, str]]:
    """(name, value, statement text) of each top-level ``name = <constant expression>``.
    ``answers``: names known to be answer variables (kept even when the code goes on to use them)."""
    parsed = _parse_lenient(code) if answers else _parse_strict(code)
    if parsed is None:
        return []
    code, tree, dropped = parsed
    out: list[tuple[str, Any, str]] = []
    literal_nodes: set[int] = set()
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, text = node.targets[0], ast.get_source_segment(code, node) or ""
        pairs = [(target, node.value)]
        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) and \
                len(target.elts) == len(node.value.elts):
            pairs = list(zip(target.elts, node.value.elts))  # has_five, is_long = True, False
        for t, v in pairs:
            if not isinstance(t, ast.Name):
                continue
            try:
                value = _fold(v)
            except (_NotConstant, TypeError, ValueError, OverflowError, RecursionError):
                continue
            out.append((t.id, value, text))
            literal_nodes.add(id(node))
    # a name the code goes on to change (``u_ice = 0`` then ``u_ice += 1`` in a loop) holds a computed value
    changed = {n.id for node in ast.walk(tree) if isinstance(node, (ast.AugAssign, ast.For, ast.With, ast.Assign))
               and id(node) not in literal_nodes for n in ast.walk(node) if isinstance(n, ast.Name)
               and isinstance(n.ctx, ast.Store)}
    # a literal the code then uses (``age = 75`` then ``pred = a * age + b``) is an input, not the answer
    # (names only shown - the cell's last expression, ``print(...)`` - are the answer itself)
    used: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and (stmt is tree.body[-1] or _is_print(stmt.value)):
            continue
        used |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    # a statement cut from the answer (its closing line was template text) may assign the name too
    changed |= {o[0] for o in out if any(re.match(rf"\s*{re.escape(o[0])}\s*[-+*/%@]?=(?!=)", ln) for ln in dropped)}
    return [o for o in out if o[0] not in changed and (o[0] not in used or o[0] in answers)]


def asserted_values(code: str, names: tuple[str, ...], kind: str) -> dict[str, tuple[Any, str]]:
    """{name: (value, assert statement)} for ``assert name == <constant>`` (either side), ``assert
    name is True``; for a verdict also ``assert name`` (True) and ``assert not name`` (False).
    A name asserted to two different values is left out."""
    parsed = _parse_lenient(code)
    if parsed is None:
        return {}
    code, tree, _ = parsed
    found: dict[str, set] = {}
    text: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        t, name, value = node.test, None, None
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], (ast.Eq, ast.Is)):
            for a, b in ((t.left, t.comparators[0]), (t.comparators[0], t.left)):
                if isinstance(a, ast.Name) and a.id in names:
                    try:
                        name, value = a.id, _fold(b)
                    except (_NotConstant, TypeError, ValueError, OverflowError, RecursionError):
                        name = None
                    break
        elif kind == "verdict" and isinstance(t, ast.Name) and t.id in names:
            name, value = t.id, True
        elif kind == "verdict" and isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not) \
                and isinstance(t.operand, ast.Name) and t.operand.id in names:
            name, value = t.operand.id, False
        if name is not None:
            found.setdefault(name, set()).add(value)
            text[name] = ast.get_source_segment(code, node) or ""
    return {n: (next(iter(v)), text[n]) for n, v in found.items() if len(v) == 1}


def as_kind(kind: str, value: Any) -> Any:
    if kind == "verdict":
        return ("true" if value else "false") if isinstance(value, bool) else None
    if kind in ("number", "probability"):
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, list) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                     for v in value):
            return value
        return None
    if kind == "choice":  # an option picked in code: q1f_answer = 3, picks = ["ii", "iv"]
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, (int, str)) and not isinstance(v, bool)
                                                     for v in value):
            return value
        return None
    if kind == "shape":
        if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return value
        return None
    return None


def read_code_value(kind: str, answer: Answer, names: tuple[str, ...] = ()) -> Claim | None:
    """The claim of ``kind`` from the answer's code, or None when the code states none.
    ``names``: the answer variables the question asks for, when it names them (only those count)."""
    code_segments = [s for s in answer.segments if s.source == "code"]
    if not code_segments or (any(s.source == "markdown" for s in answer.segments) and not names):
        return None
    found: list[tuple[str, Any, str, int]] = []
    for seg in code_segments:
        found.extend((n, v, t, seg.cell) for n, v, t in literal_assignments(seg.text, answers=names))
    if names:  # only the named variables, and all of them (one computed: read after execution)
        found = [f for f in found if f[0] in names]
        if {f[0] for f in found} != set(names):
            return None
    if not found:
        return None
    latest: dict[str, tuple[Any, str, int]] = {}
    for name, value, text, cell in found:
        latest[name] = (value, text, cell)
    values = [as_kind(kind, v) for v, _, _ in latest.values()]
    if len(latest) == 1 or kind == "verdict":
        value, text, cell = list(latest.values())[-1]
        got = values[-1]
    elif kind in ("number", "shape") and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for v, _, _ in latest.values()):
        got = [v for v, _, _ in latest.values()]  # several answer variables (q6a_i, q6a_ii): their values in order
        text, cell = "\n".join(t for _, t, _ in latest.values()), list(latest.values())[-1][2]
    else:
        return None
    if got is None:
        return None
    return Claim(kind=kind, value=got, span=Span(cell, text), notes=("read from the code's literal value",))


_NUMBER_LINE = re.compile(r"^\s*(?:np\.float\d*\()?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\)?\s*$")


def printed_values(kind: str, answer: Answer, names: tuple[str, ...]) -> Claim | None:
    """Several answer variables shown by a code-only answer, one printed number per line
    (``display(a_hat)`` then ``display(b_hat)``): their values in printed order. None unless the
    output holds exactly one such line per name."""
    if kind != "number" or len(names) < 2 or not answer.segments or \
            any(s.source == "markdown" for s in answer.segments):
        return None
    lines = [(s.cell, m) for s in answer.segments if s.source == "output"
             for ln in s.text.splitlines() if (m := _NUMBER_LINE.match(ln))]
    if len(lines) != len(names):
        return None
    values = [float(m.group(1)) if any(c in m.group(1) for c in ".eE") else int(m.group(1)) for _, m in lines]
    return Claim(kind=kind, value=values, span=Span(lines[-1][0], "\n".join(m.group(0).strip() for _, m in lines)),
                 notes=(f"read from the printed values of {', '.join(names)}",))


def printed_only(kind: str, answer: Answer) -> Answer:
    """A code-only answer whose value is computed: its number is what the code printed, never a
    number inside an expression (``pred = a * 75 + b`` does not claim 75)."""
    if kind not in ("number", "probability") or not answer.segments or \
            any(s.source == "markdown" for s in answer.segments):
        return answer
    return Answer(answer.question_id, answer.answered, tuple(s for s in answer.segments if s.source == "output"),
                  answer.placement, answer.note)
