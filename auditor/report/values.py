"""The one value formatter: how a claimed or expected value is written, in every view.

The per-notebook HTML report, the class report and the terminal table all show a claim through
:func:`format_value`, so the same claim reads the same everywhere.  It gives the same text for a
live value (tuples, frozen mappings, ``nan``) and for its JSON form (lists, dicts, ``"nan"``),
because the class report only ever sees the JSON form.
"""
from __future__ import annotations

import json
import math
from typing import Any

from auditor.models import thaw

#: what a missing value (no claim read, no truth computed) is shown as
MISSING = "\u2014"


def format_value(value: Any) -> str:
    """A claimed / expected value as short text: 26, 0.58, [4, 3, 9, 16], yes, ``—`` for None."""
    value = thaw(value)
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.6g}"
    if isinstance(value, (list, dict)):
        return json.dumps(_finite(value), ensure_ascii=False, default=str)
    return str(value)


def _finite(value: Any) -> Any:
    """NaN / inf inside a list or dict as the strings the JSON report stores them as."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the full value is shown elsewhere)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def format_share(share: float) -> str:
    """A share of the class as a whole percentage: 0.4 -> 40%."""
    return f"{100 * float(share):.0f}%"


def format_cells(cells: Any) -> str:
    """Where an answer was read: "no cell", "cell 3", "cells 3, 4"."""
    cells = list(cells or ())
    if not cells:
        return "no cell"
    return ("cell " if len(cells) == 1 else "cells ") + ", ".join(str(c) for c in cells)
