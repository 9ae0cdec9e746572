"""Otter-grader: ``BEGIN QUESTION`` blocks (``<!-- BEGIN QUESTION -->`` or the YAML comment
``<!--\\nBEGIN QUESTION\\nname: q1a\\npoints: 2\\nmanual: true\\n-->``, ``# BEGIN QUESTION`` in
code), ``<!-- END QUESTION -->``, and ``grader.check("q1a")`` cells that close an autograded one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.models import Cell, ParsedNotebook

_YAML = re.compile(r"BEGIN\s+QUESTION\s*\n(?P<body>(?:[ \t]*[\w-]+\s*:.*\n?)+)", re.I)
_CHECK = re.compile(r"""\bgrader\.check\(\s*["'](?P<name>[^"']+)["']\s*\)""")
_END = re.compile(r"^\s*(?:<!--\s*END\s+QUESTION\s*-->|#\s*END\s+QUESTION)", re.I)


@dataclass(frozen=True)
class OtterQuestion:
    cell: int
    name: str
    points: float | None
    manual: bool


def _field(body: str, key: str) -> str | None:
    m = re.search(rf"^\s*{key}\s*:\s*(.+?)\s*$", body, re.M | re.I)
    return m.group(1).strip().strip("\"'") if m else None


def otter_questions(nb: ParsedNotebook) -> list[OtterQuestion]:
    out: list[OtterQuestion] = []
    for cell in nb.cells:
        for m in _YAML.finditer(cell.source):
            body = m.group("body")
            name = _field(body, "name")
            if not name:
                continue
            pts = _field(body, "points")
            try:
                points = float(pts) if pts is not None else None
            except ValueError:
                points = None
            out.append(OtterQuestion(cell.index, name, points, (_field(body, "manual") or "").lower() == "true"))
    return out


def check_name(cell: Cell) -> str | None:
    """The question a ``grader.check("...")`` code cell checks."""
    if cell.cell_type != "code":
        return None
    m = _CHECK.search(cell.source)
    return m.group("name") if m else None


def closes_question(cell: Cell) -> bool:
    """A cell that ends the answer region of the question before it."""
    if cell.cell_type == "code":
        return check_name(cell) is not None
    return cell.cell_type == "markdown" and bool(_END.match(cell.source))


def is_otter(nb: ParsedNotebook) -> bool:
    return any(check_name(c) for c in nb.cells) or bool(otter_questions(nb))
