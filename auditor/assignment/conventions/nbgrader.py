"""nbgrader: cells carry ``metadata.nbgrader`` (``grade_id``, ``solution``, ``grade``, ``locked``,
``points``). A ``solution`` cell (code, or markdown shipped as ``YOUR ANSWER HERE``) is an answer
slot; a ``grade`` cell that is not a solution holds the tests; locked cells are template.
"""
from __future__ import annotations

import ast
from typing import Any, Mapping

from auditor.models import Cell, ParsedNotebook

_NOT_ANSWERS = frozenset({"pd", "np", "plt", "sns", "stats", "patsy", "sm", "df", "len", "isinstance", "int", "float",
                          "str", "bool", "list", "dict", "set", "tuple", "abs", "round", "sum", "min", "max", "type",
                          "True", "False", "None", "math", "all", "any", "np.nan"})


def meta(cell: Cell) -> Mapping[str, Any]:
    got = cell.metadata.get("nbgrader") if cell.metadata else None
    return got if isinstance(got, Mapping) else {}


def is_solution(cell: Cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_nbgrader(nb: ParsedNotebook) -> bool:
    return any(is_solution(c) for c in nb.cells)


def closes_question(cell: Cell) -> bool:
    """A test cell or a locked template cell ends the answer region of the question before it."""
    m = meta(cell)
    return bool(m) and not m.get("solution") and bool(m.get("grade") or m.get("locked"))


def points(cell: Cell) -> float | None:
    p = meta(cell).get("points")
    try:
        return float(p) if p is not None else None
    except (TypeError, ValueError):
        return None


def tested_names(code: str) -> list[str]:
    """Names the asserts of a test cell read, in order (parsed, never run)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            for sub in ast.walk(node.test):
                if isinstance(sub, ast.Name) and sub.id not in _NOT_ANSWERS and sub.id not in out:
                    out.append(sub.id)
    return out


def unanswered_stub(cell: Cell) -> bool:
    """A solution code cell that still raises the release's ``NotImplementedError``: nothing of the
    student's runs in it."""
    return cell.cell_type == "code" and is_solution(cell) and any(
        ln.strip().startswith("raise NotImplementedError") for ln in cell.source.splitlines())


def is_student_line(line: str) -> bool:
    """In a solution cell whose stub was replaced, every statement is the student's (even one the
    template shows elsewhere); comments and ``...`` placeholders are not."""
    text = line.strip()
    return bool(text) and not text.startswith("#") and text != "..." and not text.startswith("raise NotImplementedError")
