"""Build small notebooks in code for tests (nbformat v4)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence, Union

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

CellSpec = Union[str, tuple]


def make_nb(cells: Iterable[CellSpec]):
    """cells: "markdown text", ("code", source), ("code", source, [outputs]), ("md", text)."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for c in cells:
        if isinstance(c, str):
            nb.cells.append(new_markdown_cell(c))
        elif c[0] == "md":
            nb.cells.append(new_markdown_cell(c[1]))
        elif c[0] == "code":
            cell = new_code_cell(c[1])
            for out in (c[2] if len(c) > 2 else ()):
                cell.outputs.append(out)
            nb.cells.append(cell)
        else:
            raise ValueError(c)
    return nb


def stream(text: str):
    return new_output("stream", name="stdout", text=text)


def error(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def write_nb(path: Path, cells: Sequence[CellSpec]) -> Path:
    path = Path(path)
    nbformat.write(make_nb(cells), str(path))
    return path
