"""Write the HTML and JSON reports of one audit, atomically.

Each file is written to a temporary file in the target directory and moved into place with
``os.replace``, so a reader (a batch dashboard, a CI job) never sees half a report.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from auditor.models import AuditResult
from auditor.report.html import render_html
from auditor.batch.cache import write_text_atomic
from auditor.report.result_json import result_to_dict

DEFAULT_DIR = Path("reports")


def default_stem(notebook: str) -> str:
    """The report name for a notebook path: its file name without ``.ipynb`` (never a path)."""
    stem = Path(notebook or "").name
    if stem.endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    stem = stem.strip().lstrip(".")
    return stem or "notebook"


def _json_safe(value: Any) -> Any:
    """NaN/inf are not JSON: write them as strings instead of producing an invalid file."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def result_json_text(result: AuditResult) -> str:
    return json.dumps(
        _json_safe(result_to_dict(result)), indent=2, ensure_ascii=False, allow_nan=False, default=str
    ) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary sibling file and ``os.replace``, creating the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)


def write_reports(
    result: AuditResult,
    html_path: str | os.PathLike[str] | None = None,
    json_path: str | os.PathLike[str] | None = None,
    *,
    generated_at: str | None = None,
) -> tuple[Path, Path]:
    """Write ``reports/<stem>.html`` and ``reports/<stem>.json`` (or the given paths).

    Returns the two paths written.
    """
    stem = default_stem(result.notebook)
    html_target = Path(html_path) if html_path is not None else DEFAULT_DIR / f"{stem}.html"
    json_target = Path(json_path) if json_path is not None else DEFAULT_DIR / f"{stem}.json"
    write_atomic(html_target, render_html(result, generated_at=generated_at))
    write_atomic(json_target, result_json_text(result))
    return html_target, json_target
