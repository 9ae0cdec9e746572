"""The notebook a kernel runs: built fresh from the parsed cells (the submission is never touched),
with package installs (``!pip``, ``%pip``, ``!conda`` ...) replaced by no-ops and reported."""
from __future__ import annotations

import re
from typing import Any

import nbformat

from auditor.models import ParsedNotebook

PIP_SKIPPED = "pip install not run"
CONDA_SKIPPED = "conda install not run"


# A line that installs packages: `!pip ...`, `%pip ...`, `!python -m pip ...`,
# `!{sys.executable} -m pip ...`, `%conda ...`, `!conda/mamba ...`.
_INSTALL_LINE = re.compile(
    r"^(?P<indent>[ \t]*)[!%]\s*(?:(?:\S*python[\d.]*|\{[^}]*\})\s+-m\s+)?"
    r"(?P<tool>pip3?|conda|mamba|micromamba)\b")
# Inside %%bash / %%sh / %%script cells the lines are shell: `pip install`, `conda install`.
_SHELL_INSTALL_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:sudo\s+)?(?:(?:\S*python[\d.]*)\s+-m\s+)?(?P<tool>pip3?|conda|mamba)\s")
_SHELL_CELL = re.compile(r"^\s*%%(bash|sh|script)\b")


def neutralise_installs(source: str) -> tuple[str, str | None]:
    """Replace package-install lines by no-ops; return (new source, skip reason or None)."""
    shell = bool(_SHELL_CELL.match(source))
    pattern = _SHELL_INSTALL_LINE if shell else _INSTALL_LINE
    lines = source.split("\n")
    reason = None
    for i, line in enumerate(lines):
        m = pattern.match(line) if not (shell and i == 0) else None
        if m:
            tool = m.group("tool")
            reason = reason or (CONDA_SKIPPED if tool in ("conda", "mamba", "micromamba") else PIP_SKIPPED)
            noop = ":" if shell else "pass"
            lines[i] = f"{m.group('indent')}{noop}  # auditor: package install not run"
    return "\n".join(lines), reason


def _cell(cell_type: str, source: str, number: int) -> Any:
    """One nbformat v4 cell, built directly (nbformat's constructors validate every cell against
    the schema, which cost more than the rest of the build; what is built here is valid)."""
    node = {"cell_type": cell_type, "id": f"cell-{number}", "metadata": {}, "source": source}
    if cell_type == "code":
        node.update(execution_count=None, outputs=[])
    return nbformat.from_dict(node)


def build_notebook(nb: ParsedNotebook) -> tuple[Any, list[tuple[int, str]]]:
    cells = []
    skipped: list[tuple[int, str]] = []
    for c in nb.cells:
        if c.cell_type == "code":
            source, reason = neutralise_installs(c.source)
            if reason:
                skipped.append((c.index, reason))
            cells.append(_cell("code", source, len(cells)))
        else:
            cells.append(_cell("markdown" if c.cell_type == "markdown" else "raw", c.source, len(cells)))
    new = nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}})
    return new, skipped
