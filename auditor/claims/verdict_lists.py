"""Verdicts given as a list for several statements at once (an answer not cut per statement).

Three layouts, one rule: statement k takes the k-th verdict (taken by order, noted).

* labelled lines (``1. True`` / ``A - False`` / ``(c) T``): the k-th verdict of the last numbering
  run (a list that restarts at A./1. after a pasted copy starts a new run);
* one line that is nothing but a run of verdicts (``T, F, F``, ``a) T b) F c) F``);
* a markdown table whose rows each hold a verdict cell (``| 1 | True |``).

Without a statement index a list is read only when all its verdicts agree.  Each picker returns
``(value, start, end, note)``, value ``""`` when the list cannot answer the statement, or None
when the text is not such a list.
"""
from __future__ import annotations

import re
from typing import Callable

from auditor.claims.text import LABEL, LABEL_PLAIN, label_ordinal, label_text
from auditor.claims.verdict_words import LATIN

# English verdict words and the Latin-script ones of other languages (auditor.claims.verdict_words)
WORD = r"(?:true|ture|treu|false|flase|fasle|fales|correct|incorrect|incorrert|wrong|right|" + LATIN + ")"

Picked = tuple[str, int, int, str]
Stated = Callable[[str, int], tuple[str | None, int, int]]


def _by_order(items: list[tuple[str, int, int]], sub: int | None, where: str) -> Picked:
    if sub is None:
        if len({v for v, _, _ in items}) == 1:
            return items[0][0], items[0][1], items[0][2], ""
        return "", items[0][1], items[0][2], f"the answer lists {len(items)} different verdicts"
    if sub > len(items):
        return "", items[0][1], items[0][2], f"the answer lists {len(items)} verdicts, fewer than statement {sub}"
    v, s0, s1 = items[sub - 1]
    return v, s0, s1, f"verdict {sub} of a list of {len(items)}{where} (taken by order)"


_ITEM_LINE = re.compile(r"(?m)^[ \t]*(?:answers?\s*:?\s*)?" + LABEL, re.I)


def pick_item(work: str, sub: int | None, stated_at: Stated) -> Picked | None:
    """Labelled lines that open with a verdict (``stated_at`` reads the verdict at a position)."""
    items: list[tuple[int, str, int, int]] = []
    for m in _ITEM_LINE.finditer(work):
        value, s0, s1 = stated_at(work, m.start())
        if value and not any(it[2] == s0 for it in items):     # one verdict is one item ("B.\nAnswer: B. False")
            items.append((label_ordinal(label_text(m)), value, s0, s1))
    if len(items) < 2:
        return None
    runs: list[list[tuple[int, str, int, int]]] = [[items[0]]]
    for it in items[1:]:
        if it[0] <= runs[-1][-1][0]:
            runs.append([it])
        else:
            runs[-1].append(it)
    if sub is None:
        return _by_order([it[1:] for it in items], None, "")
    fitting = [r for r in runs if len(r) >= sub]
    if not fitting:
        return _by_order([it[1:] for it in items], sub, "")
    return _by_order([it[1:] for it in fitting[-1]], sub, "")


_INLINE_ITEM = re.compile(r"(?:(?:" + LABEL_PLAIN + r")[ \t]*)?(?P<w>" + WORD + r"|[TF])(?=[ \t]*(?:[,;/|][ \t]*|[ \t]+(?:" +
                          LABEL_PLAIN + r")|[.!]?[ \t]*(?:\n|$)))[ \t]*[,;/|.!]?[ \t]*", re.I)


def pick_inline(work: str, sub: int | None, start: int, value: Callable[[str], str | None]) -> Picked | None:
    """A line (from ``start``, past labels and markers) that is nothing but a run of verdicts."""
    items: list[tuple[str, int, int]] = []
    pos = start
    while True:
        m = _INLINE_ITEM.match(work, pos)
        if not m or m.end() == pos:
            break
        items.append((value(m.group("w")) or "", m.start("w"), m.end("w")))
        pos = m.end()
        if "\n" in work[m.start():m.end()] or pos >= len(work) or work[pos] == "\n":
            break
    if len(items) < 2 or not all(v for v, _, _ in items):
        return None
    return _by_order(items, sub, " on one line")


_ROW = re.compile(r"(?m)^[ \t]*\|(?P<cells>.*)\|[ \t]*$")
_CELL_VERDICT = re.compile(r"\s*(?P<w>" + WORD + r"|[TF])\b\s*[.!]?", re.I)


def pick_table(work: str, sub: int | None, value: Callable[[str], str | None]) -> Picked | None:
    """Rows of a markdown table, each with a cell that is a verdict (after the header row)."""
    items: list[tuple[str, int, int]] = []
    for row in _ROW.finditer(work):
        cells = row.group("cells")
        if re.fullmatch(r"[\s|:\-]*", cells):
            continue                       # the |---|---| rule
        pos = row.start("cells")
        for cell in cells.split("|"):
            m = _CELL_VERDICT.match(work, pos)
            if m and m.end() - pos <= len(cell) and not work[m.end():pos + len(cell)].strip():
                items.append((value(m.group("w")) or "", m.start("w"), m.end("w")))
                break
            pos += len(cell) + 1
    if len(items) < 2 or not all(v for v, _, _ in items):
        return None
    return _by_order(items, sub, " in a table")
