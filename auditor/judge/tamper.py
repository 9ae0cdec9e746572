"""Tamper detection: did the submission change the FACTS of a question's code cell?

A spec question may carry ``canonical`` facts (see docs/spec-format.md and docs/ci.md):

- code (keys ``model_code``, ``snippet``, ``code``): Python source of the question's cell, e.g. the
  CNN's ``nn.Sequential``. Both the canonical source and the submission's cell are parsed with
  ``ast`` (never executed) and reduced to normalised facts: literal assignments (``p1 = 0.1``) and
  calls with their arguments (``Conv2d(in_channels=3, out_channels=4, kernel_size=3, padding=1)``).
- scalars (any other key, e.g. ``p1 = 0.1``): the value the cell must assign to that name or pass
  as that keyword argument.
- text (key ``text``): the markdown of the question's statement; its facts are the numbers it
  states, in order (``p=0.1``, ``kernel size 3``), read from the rendered markdown (markdown-it),
  so list markers, renumbering, bullet style, emphasis and line breaks are not facts.  The
  question's markdown cell is the first one containing one of the question's phrases; the numbers
  of the canonical text must appear in it in order (an answer appended to the cell may add more).

What counts as the same fact (formatting-only edits are not tampering): whitespace, comments,
trailing commas, IPython magics (``!pip``, ``%matplotlib``), keyword vs positional arguments of
``torch.nn`` layers (bound with the layer's real signature), arguments spelled at their default
value, ``3`` vs ``(3, 3)`` for a 2d layer, lists vs tuples, a literal passed through a variable
(``p1 = 0.1; nn.Dropout(p=p1)`` vs ``nn.Dropout(p=0.1)``), the names of local variables, and extra
statements the student added (printing, their own working).  What is tampering: a canonical fact
that is missing or has another value (a layer added, removed, reordered or with another kernel
size, p1 changed, the snippet's sizes changed), or a cell that no longer parses.

The checks never use the edited cell for the truth: they compute it from the spec's params; this
module only reports the change, as ``Finding(kind="tampered")`` with a short diff of the facts.
"""
from __future__ import annotations

import ast
import difflib
import functools
import inspect
import re
from typing import Any, Iterable, Mapping

from auditor.models import AssignmentSpec, Finding, ParsedNotebook, QuestionSpec

CODE_KEYS = ("model_code", "snippet", "code")
TEXT_KEY = "text"
# a number not glued to a name on its left (the 1 of p1 / p_1 is not a number; 32x32 is two)
_NUMBER = re.compile(r"(?<![A-WYZa-wyz_\d.])\d+(?:\.\d+)?")
_MAX_DIFF_LINES = 16
_VAR = "<var>"          # how a local variable is shown: its name is not a fact
_NESTED = "…"           # a call passed as an argument is shown on its own line below

Block = tuple[str, ...]


# --------------------------------------------------------------------------- public API

def detect_tampering(
    nb: ParsedNotebook, spec: AssignmentSpec, located: Mapping[str, int]
) -> tuple[Finding, ...]:
    """One ``tampered`` finding per question whose located code cell changed a canonical fact.

    ``located`` maps a question id (or, for a sub-statement, its parent's id) to the index of the
    code cell extraction found for it.  A question without canonical facts, or without a located
    code cell, is not judged here.
    """
    by_index = {c.index: c for c in nb.cells}
    findings: list[Finding] = []
    for q in spec.questions:
        if isinstance(q.canonical.get(TEXT_KEY), str):
            text_cell = _question_markdown_cell(nb, q)
            message = compare_text(q, text_cell.source) if text_cell is not None else None
            if message:
                findings.append(Finding(kind="tampered", message=message, cell=text_cell.index, question=q.id))
        index = located.get(q.id, located.get(q.parent) if q.parent else None)
        if not _code_facts(q) or index is None:
            continue
        cell = by_index.get(index)
        if cell is None or cell.cell_type != "code":
            continue
        message = compare_cell(q, cell.source)
        if message:
            findings.append(Finding(kind="tampered", message=message, cell=cell.index, question=q.id))
    return tuple(findings)


def compare_text(question: QuestionSpec, markdown: str) -> str | None:
    """A message with a short diff when ``markdown`` changes the numbers of the canonical text."""
    canon = text_facts(question.canonical[TEXT_KEY])
    sub = text_facts(markdown)
    pos = 0
    missing = []
    for number in canon:
        try:
            pos = sub.index(number, pos) + 1
        except ValueError:
            missing.append(number)
    if not missing:
        return None
    diff = list(difflib.unified_diff(canon, sub, "assignment", "submission", n=1, lineterm=""))
    return (
        f"{question.id}: the question's text was changed (number(s) {', '.join(missing)} of the "
        "assignment's text missing or changed); checks use the assignment's own facts\n"
        + "\n".join(_cut(diff))
    )


def text_facts(markdown: str) -> list[str]:
    """The numbers a markdown text states, in order, normalised (``0.10`` -> ``0.1``)."""
    from auditor.load.markdown_blocks import parse_blocks

    facts: list[str] = []
    for block in parse_blocks(markdown):
        for raw in _NUMBER.findall(block.text):
            value = float(raw)
            facts.append(str(int(value)) if value.is_integer() else repr(value))
    return facts


def _question_markdown_cell(nb: ParsedNotebook, question: QuestionSpec):
    from auditor.extract.answers import normalise

    phrases = [normalise(p) for p in question.phrases if p.strip()]
    for cell in nb.cells:
        if cell.cell_type == "markdown" and any(p in normalise(cell.source) for p in phrases):
            return cell
    return None


def _code_facts(question: QuestionSpec) -> dict[str, Any]:
    return {k: v for k, v in question.canonical.items() if k != TEXT_KEY}


def _cut(diff: list[str]) -> list[str]:
    if len(diff) > _MAX_DIFF_LINES:
        return diff[:_MAX_DIFF_LINES] + [f"... ({len(diff) - _MAX_DIFF_LINES} more diff lines)"]
    return diff


def compare_cell(question: QuestionSpec, source: str) -> str | None:
    """A message with a short diff when ``source`` changes ``question``'s canonical facts, else None."""
    heads = _canonical_heads(question)
    try:
        sub = _parsed_facts(source)
    except SyntaxError as exc:
        if not any(h in source for h in heads):
            return None
        return (
            f"{question.id}: the question's code cell no longer parses as Python "
            f"(line {exc.lineno}: {exc.msg}); checks use the assignment's own facts"
        )
    if heads.isdisjoint({_head(b) for b in sub.blocks} | set(sub.bound)):
        # the cell shares nothing with the question's code: extraction located another cell
        # (e.g. a `!pip install` cell before the snippet); nothing to compare, no accusation
        return None
    problems: list[str] = []
    canon_lines: list[str] = []
    sub_lines: list[str] = []
    code_first = sorted(_code_facts(question).items(), key=lambda kv: not _is_code(*kv))
    for key, value in code_first:
        if _is_code(key, value):
            canon = _parsed_facts(value)               # a spec error raises SyntaxError
            missing = [b for b in canon.blocks if b not in _subsequence(canon.blocks, sub.blocks)]
            if missing:
                problems.append(f"{len(missing)} fact(s) of the canonical {key} changed or missing")
                shown = _relevant(sub.blocks, canon.blocks)
                canon_lines += [line for b in canon.blocks for line in b]
                sub_lines += [line for b in shown for line in b]
        else:
            want = _normalise_literal(value, "")
            found = sub.values_of(key)
            if want not in found:
                problems.append(f"{key} changed")
                _add_new(canon_lines, [f"{key} = {want!r}"])
                _add_new(sub_lines, [f"{key} = {v!r}" for v in found] or [f"{key}: (missing)"])
    if not problems:
        return None
    diff = _cut(list(difflib.unified_diff(canon_lines, sub_lines, "assignment", "submission", n=1, lineterm="")))
    return (
        f"{question.id}: the question's code was changed ({'; '.join(problems)}); "
        "checks use the assignment's own facts\n" + "\n".join(diff)
    )


def _canonical_heads(question: QuestionSpec) -> set[str]:
    """Names that identify the question's code: assigned names, called layers and functions."""
    heads: set[str] = set()
    for key, value in _code_facts(question).items():
        if _is_code(key, value):
            heads |= {_head(b) for b in _parsed_facts(value).blocks}
        else:
            heads.add(key)
    return heads - {_VAR}


@functools.lru_cache(maxsize=4096)
def _parsed_facts(source: str) -> "CellFacts":
    """A cell's facts, parsed once per process: the spec's canonical code, and the code cells
    that a class leaves as given (read only: never mutate the result)."""
    return CellFacts.from_source(source)


def _is_code(key: str, value: Any) -> bool:
    return key in CODE_KEYS and isinstance(value, str)


def _add_new(lines: list[str], new: list[str]) -> None:
    lines += [line for line in new if line not in lines]


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
            return True, _normalise_literal(ast.literal_eval(_Substitute(self).visit(_copy(node))), layer)
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
            name = _VAR if dotted is not None else ast.unparse(_Substitute(self).visit(_copy(call.func)))
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
        sig = _layer_signature(name) if dotted is not None and name != _VAR and not starred else None
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
            if default is not inspect.Parameter.empty and text == repr(_normalise_literal(default, name)):
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
                return ast.Name(_VAR, ast.Load())
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


def _normalise_literal(value: Any, layer: str) -> Any:
    """Lists -> tuples; ``(3, 3)`` -> ``3`` for a 2d layer (same meaning)."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple):
        value = tuple(_normalise_literal(v, "") for v in value)
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


def _subsequence(canon: list[Block], sub: list[Block]) -> list[Block]:
    """The canonical blocks found in ``sub`` in order (greedy; extra submission blocks are allowed)."""
    found: list[Block] = []
    pos = 0
    for block in canon:
        try:
            pos = sub.index(block, pos) + 1
        except ValueError:
            continue
        found.append(block)
    return found


def _relevant(sub: list[Block], canon: list[Block]) -> list[Block]:
    """Submission blocks worth showing in a diff: those that start like some canonical block."""
    heads = {_head(b) for b in canon}
    return [b for b in sub if _head(b) in heads]


def _head(block: Block) -> str:
    first = block[0].strip()
    for sep in (" = ", "("):
        if sep in first:
            return first.split(sep, 1)[0]
    return first
