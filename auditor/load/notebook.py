"""Stage 1: read a submitted notebook into a frozen ParsedNotebook.

nbformat reads and upgrades older formats (v3 -> v4); validation problems are reported
as one line naming the file. Invalid JSON, a file that is not a notebook, an empty file or
undecodable bytes raise ``InputError`` (the CLI turns it into exit code 2, no traceback).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import nbformat

from auditor.models import Cell, ParsedNotebook, SavedError, freeze

#: notebooks larger than this are refused before parsing (a 50 MB image is fine).
MAX_NOTEBOOK_BYTES = 200 * 1024 * 1024
#: cell text kept for reading answers; longer outputs are cut (the kernel still sees them all).
MAX_OUTPUT_TEXT = 20_000


class InputError(Exception):
    """A submission that cannot be read. ``str(exc)`` is a one-line message naming the file."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def _outputs_text(outputs: list[Any]) -> tuple[str, tuple[tuple[str, str], ...], bool]:
    parts: list[str] = []
    errors: list[tuple[str, str]] = []
    has_image = False
    for out in outputs or []:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(_text(out.get("text")))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data") or {}
            if "text/plain" in data:
                parts.append(_text(data["text/plain"]))
            elif "text/markdown" in data:
                parts.append(_text(data["text/markdown"]))
            if any(k.startswith("image/") for k in data):
                has_image = True
        elif kind == "error":
            errors.append((_text(out.get("ename")), _text(out.get("evalue"))))
    text = "\n".join(p.rstrip("\n") for p in parts if p)
    if len(text) > MAX_OUTPUT_TEXT:
        text = text[:MAX_OUTPUT_TEXT] + "\n[... output cut]"
    return text, tuple(errors), has_image


def _convention_metadata(meta: Any) -> Any:
    """The cell metadata that grading conventions use (nbgrader's, the tags); nothing else is kept."""
    if not isinstance(meta, dict):
        return freeze({})
    keep = {k: meta[k] for k in ("nbgrader", "tags") if isinstance(meta.get(k), (dict, list))}
    return freeze(keep)


def parse_notebook_bytes(data: bytes, path: str | os.PathLike = "<notebook>") -> ParsedNotebook:
    """Parse notebook bytes; raises InputError with a clear message."""
    name = os.path.basename(str(path))
    if not data.strip():
        raise InputError(path, "empty file, not a notebook")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise InputError(path, f"file is {len(data) // 2**20} MiB, larger than the {MAX_NOTEBOOK_BYTES // 2**20} MiB limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start}): a notebook is UTF-8 JSON") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(path, "invalid JSON: nested too deeply") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise InputError(path, "JSON but not a Jupyter notebook (no 'nbformat' field)")
    original = raw.get("nbformat")
    if not isinstance(original, int) or original < 3:
        raise InputError(path, f"unsupported nbformat {original!r} (need 3 or 4)")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types for malformed content
        raise InputError(path, f"not a readable notebook: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(nb.get("cells"), list):
        raise InputError(path, "notebook has no cell list")

    cells: list[Cell] = []
    for i, c in enumerate(nb.cells):
        if not isinstance(c, dict):
            raise InputError(path, f"cell {i} is not an object")
        ctype = c.get("cell_type", "raw")
        if ctype not in ("markdown", "code", "raw"):
            ctype = "raw"
        out_text, errors, has_image = _outputs_text(c.get("outputs", [])) if ctype == "code" else ("", (), False)
        cells.append(
            Cell(
                index=i,
                cell_type=ctype,
                source=_text(c.get("source")),
                outputs_text=out_text,
                saved_errors=tuple(SavedError(i, e, v) for e, v in errors),
                has_image_output=has_image,
                metadata=_convention_metadata(c.get("metadata")),
            )
        )
    meta = nb.get("metadata") or {}
    kernelspec = meta.get("kernelspec") or {}
    language = (meta.get("language_info") or {}).get("name") or kernelspec.get("language") or "python"
    return ParsedNotebook(
        path=str(path),
        name=name,
        cells=tuple(cells),
        nbformat=4,
        original_nbformat=original,
        kernel_name=kernelspec.get("name") if isinstance(kernelspec, dict) else None,
        language=str(language),
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=freeze({k: meta[k] for k in ("kernelspec", "language_info") if k in meta}),
    )


def load_notebook(path: str | os.PathLike) -> ParsedNotebook:
    """Read and parse a notebook file. Raises InputError naming the file and the problem."""
    p = Path(path)
    if p.is_dir():
        raise InputError(path, "is a directory, not a notebook file")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_notebook_bytes(data, path)
