"""Code that runs INSIDE the student's kernel, kept as real .py files so linters and readers see it.

The grader never imports these modules: :func:`source` reads a file as text and the caller sends
it to the kernel (``output_cap`` before the first cell, ``fetch_values`` to read values out).
"""
from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=None)
def source(name: str) -> str:
    """The text of ``in_kernel/<name>.py``."""
    return (Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8")
