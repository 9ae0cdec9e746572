"""Read whether a code answer computes numerical gradients (the TODOs replaced).

Method: parse each code segment with ``ast`` (IPython magics and shell lines
blanked first; never executed).  The answer is filled when some statement that is
not in the question's template computes a difference quotient: a division whose
numerator is a subtraction (``(f(W + h) - f(W)) / h``, ``(loss_plus - loss_minus) /
(2 * eps)``), directly or through an augmented assignment.  Comments (the
template's ``# grad_W = ...`` TODO lines) are not code.  When a segment does not
parse (a student's syntax error), its non-comment lines are searched for the same
shape with a token pattern instead.
"""
from __future__ import annotations

import ast
import re
from typing import Any, Mapping

from auditor.claims.text import make_doc
from auditor.models import Answer, Claim, QuestionSpec

_MAGIC = re.compile(r"^[ \t]*[!%].*$", re.M)
_DIFF_QUOTIENT = re.compile(r"\([^#\n]*-[^#\n]*\)\s*/\s*\(?\s*[\w.*\s]+")


def _template_lines(params: Mapping[str, Any]) -> set[str]:
    lines: set[str] = set()
    for v in params.values():
        if isinstance(v, str) and "\n" in v:
            lines |= {ln.strip() for ln in v.splitlines() if ln.strip()}
    return lines


def _difference_names(tree: ast.AST) -> set[str]:
    """Names assigned a difference (``d = f1 - f0``, ``d -= f0``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Sub):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Sub) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _is_difference_quotient(node: ast.AST, differences: set[str]) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left = node.left
        if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Sub):
            return True
        return isinstance(left, ast.Name) and left.id in differences
    return False


def _filled_lines(code: str, template: set[str]) -> list[int]:
    """1-based line numbers of non-template statements that compute a difference quotient."""
    src = _MAGIC.sub("", code)
    lines = src.splitlines()
    try:
        tree = ast.parse(src)
    except SyntaxError:
        out = []
        for i, ln in enumerate(lines, 1):
            body = ln.split("#", 1)[0]
            if body.strip() and body.strip() not in template and _DIFF_QUOTIENT.search(body):
                out.append(i)
        return out
    out = []
    differences = _difference_names(tree)
    for node in ast.walk(tree):
        if _is_difference_quotient(node, differences):
            ln = getattr(node, "lineno", 0)
            if 0 < ln <= len(lines) and lines[ln - 1].strip() not in template:
                out.append(ln)
    return sorted(set(out))


def read_code_filled(answer: Answer, question: QuestionSpec | None = None) -> Claim:
    segs = tuple(s for s in answer.segments if s.source == "code" and s.text.strip())
    if not segs:
        return Claim(kind="code", value=False, notes=("no code in the answer",))
    template = _template_lines(question.params if question else {})
    doc = make_doc(segs)
    for seg, base in zip(doc.segments, doc.starts):
        hits = _filled_lines(seg.text, template)
        if hits:
            line_no = hits[0]
            lines = seg.text.splitlines()
            # offset of that line inside the joined doc
            off = base + sum(len(x) + 1 for x in lines[: line_no - 1])
            stripped = lines[line_no - 1]
            off += len(stripped) - len(stripped.lstrip())
            return Claim(kind="code", value=True, span=doc.quote(off, off + len(stripped.strip())))
    return Claim(kind="code", value=False, notes=("no numerical-gradient computation found in the code",))
