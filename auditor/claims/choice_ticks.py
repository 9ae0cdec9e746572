"""Options marked with tick marks: "- [x] 1. Sigmoid", "☑ 2", "1 ✓ 2 ✗ 3 ✓ 4 ✗", or the question's own
option lines with a mark put after them ("2. The training error ... ✓").

A mark stands before its option (a task list: "- [x] 1.") or after it ("1 ✓ 2 ✗"); which one is
decided once for the whole answer from where the first mark sits: after a label ("1 ✓") the
marks follow their options, else they precede them. When a ticked mark's option cannot be told,
the answer goes to review (None from the reader's point of view: ``[]`` is never guessed).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from auditor.claims.choice_options import Option, norm_label

CHECKED = r"\[[xX✓✔]\]|☑|☒|✅|✔|✓"
_UNCHECKED = r"\[\s\]|☐|✗|✘|❌|×"
_MARK = re.compile(rf"(?P<mark>{CHECKED}|{_UNCHECKED})")


def _option_in(part: str, token: re.Pattern, known: Callable[[Any], bool], options: Sequence[Option],
               at_end: bool) -> Any | None:
    """The one option ``part`` names: its label (first, or last when the mark follows), else its text."""
    part = part.strip(" -*:\t")
    if at_end:
        labels = [m for m in token.finditer(part) if known(norm_label(m["lab"]))]
        if labels and not part[labels[-1].end():].strip(" .):"):
            return norm_label(labels[-1]["lab"])
    else:
        t = token.match(part)
        if t and known(norm_label(t["lab"])):
            return norm_label(t["lab"])
    named = [o.label for o in options if o.text and
             (part.lower().endswith(o.text.lower()) if at_end else part.lower().startswith(o.text.lower()))]
    if not named and at_end:  # "2. The training error ... ✓": the option's line, copied with its label
        t = token.match(part)
        if t and known(norm_label(t["lab"])) and (t["close"] or t.group(0).endswith(".")):
            return norm_label(t["lab"])
    if len(named) != 1:
        return None
    if at_end:  # "1. Sigmoid ✓": the line's own label says the same option, or is absent
        t = token.match(part)
        if t and norm_label(t["lab"]) != named[0]:
            return None
    return named[0]


def ticked_options(token: re.Pattern, known: Callable[[Any], bool], options: Sequence[Option],
                   text: str) -> list | None:
    """The ticked options; None when nothing is ticked; ``[]`` with a ticked mark whose option
    cannot be told (the caller sends it to review)."""
    marks = list(_MARK.finditer(text))
    if not any(re.fullmatch(CHECKED, m["mark"]) for m in marks):
        return None
    before_first = text[:marks[0].start()].split("\n")[-1].strip(" -*:\t")
    follows = bool(before_first) and _option_in(before_first, token, known, options, True) is not None
    if len(marks) == 1 and follows and sum(known(norm_label(t["lab"])) for t in token.finditer(before_first)) > 1:
        return None  # "1, 2, 3 ✓": one mark after a list is not a tick per option
    picked: list = []
    for i, m in enumerate(marks):
        if not re.fullmatch(CHECKED, m["mark"]):
            continue
        if follows:
            start = marks[i - 1].end() if i else 0
            part = text[start:m.start()].split("\n")[-1]
        else:
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            part = text[m.end():end].split("\n")[0]
        got = _option_in(part, token, known, options, follows)
        if got is None:
            return []
        picked.append(got)
    return picked
