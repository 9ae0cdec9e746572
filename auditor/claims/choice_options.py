"""Option labels of a selection question: their kinds (numbers, letters, roman numerals), their
normal form, and the options a question's text lists ("1. Sigmoid", "(ii) 4.9", "b) ...").

Used by the choice reader (auditor.claims.choice), the choice_selection check and
auditor.assignment.question_inputs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
_ROMAN_RE = r"(?:xii|xi|x|ix|viii|vii|vi|v|iv|iii|ii|i)"
_STYLE_RE = {"number": r"\d{1,2}", "roman": _ROMAN_RE, "letter": r"[a-z]"}


@dataclass(frozen=True)
class Option:
    label: int | str
    text: str = ""


def label_style(labels: Iterable[Any]) -> str | None:
    """"number", "roman" or "letter" for a set of labels; None when empty or mixed."""
    styles = set()
    labels = list(labels)
    for lab in labels:
        if isinstance(lab, bool):
            return None
        if isinstance(lab, int) or (isinstance(lab, str) and lab.strip().isdigit()):
            styles.add("number")
        elif isinstance(lab, str) and lab.strip().lower() in ROMAN and (
                len(lab.strip()) > 1 or any(str(x).strip().lower() in ROMAN[1:] for x in labels)):
            styles.add("roman")
        elif isinstance(lab, str) and re.fullmatch(r"[a-zA-Z]", lab.strip()):
            styles.add("letter")
        else:
            return None
    return styles.pop() if len(styles) == 1 else None


def norm_label(label: Any) -> int | str:
    """1 / "1" -> 1; "(C)" / "c" -> "c"; "IV" -> "iv"."""
    if isinstance(label, int) and not isinstance(label, bool):
        return label
    text = str(label).strip().strip("()[].").lower()
    return int(text) if text.isdigit() else text


_OPTION_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*(?:\((?P<p>\d{1,2}|[a-z]|" + _ROMAN_RE + r")\)|"
    r"(?P<b>\d{1,2}|[a-z]|" + _ROMAN_RE + r")[.)])(?:\*\*|__)?\s+(?P<text>\S.*)$", re.I)


def parse_option(entry: Any) -> Option:
    """A ``params.options`` entry: a label (``1``, ``"c"``, ``"iii"``) or a labelled text ("1. Sigmoid")."""
    if isinstance(entry, int) and not isinstance(entry, bool):
        return Option(entry)
    m = _OPTION_LINE.match(str(entry))
    if m:
        return Option(norm_label(m["p"] or m["b"]), _clean_option_text(m["text"]))
    return Option(norm_label(entry))


def _clean_option_text(text: str) -> str:
    text = re.sub(r"(?:\\?_){3,}", "___", text)  # a blank to fill in stays visible
    return re.sub(r"\s+", " ", re.sub(r"[*`$\\{}]|(?<!_)_(?!_)", "", text)).strip(" .:;")


def options_from_text(text: str) -> tuple[Option, ...]:
    """Options listed one per line in a question's text ("1. Sigmoid", "(ii) 4.9", "b) ..."):
    the longest run of consecutive labels of one style that starts at 1 / a / i (two at least)."""
    found: list[Option] = []
    for line in text.splitlines():
        m = _OPTION_LINE.match(line)
        if not m:
            continue
        found.append(Option(norm_label(m["p"] or m["b"]), _clean_option_text(m["text"])))
    for style, first in (("number", 1), ("roman", "i"), ("letter", "a")):
        run = _consecutive(found, style, first)
        if len(run) >= 2:
            return tuple(run)
    return ()


def _consecutive(found: list[Option], style: str, first: Any) -> list[Option]:
    def nxt(label):
        if style == "number":
            return label + 1
        if style == "roman":
            return ROMAN[ROMAN.index(label) + 1] if label in ROMAN[:-1] else None
        return chr(ord(label) + 1)

    best: list[Option] = []
    for i, opt in enumerate(found):
        if opt.label != first:
            continue
        run, want = [opt], nxt(first)
        for later in found[i + 1:]:
            if later.label == want:
                run.append(later)
                want = nxt(want)
        best = max(best, run, key=len)
    return best


def sort_key(label: Any) -> tuple:
    """Numbers first in numeric order, then roman numerals in their order, then letters."""
    return (0, label, "") if isinstance(label, int) else (1, ROMAN.index(label) if label in ROMAN else 99, str(label))


def blank_filled(options: tuple[Option, ...], line: str):
    """"56%" for "(i) is equal to ____" / "(ii) cannot be found": the one option with a blank, filled in."""
    blanks = [o for o in options if re.search(r"_{3,}", o.text)]
    line = re.sub(r"^\s*[-*+•]\s+", "", line)  # "- 56%": a bullet is not a minus sign
    if len(blanks) != 1 or not re.fullmatch(r"\s*-?\d+(?:[.,]\d+)?\s*(?:%|\\%|percent)?\s*\.?\s*", line):
        return None
    if any(o.text and o.text.strip() == line.strip() for o in options):
        return None
    return [blanks[0].label], line.strip()


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_ORD = r"(?:the\s+)?(" + "|".join(_ORDINALS) + r")(?:\s+(?:one|option|statement|choice|step|answer)s?)?"
_ORDINAL_LIST = re.compile(rf"^\s*{_ORD}(?:\s*(?:,|&|and|,\s*and)\s*{_ORD})*\s*(?:ones?|options?|statements?)?\s*[.!]?\s*$",
                           re.I)


def ordinals_as_labels(line: str) -> str:
    """"The second and the fourth (statements)" -> "2 and 4": a line that is nothing but ordinals."""
    if not _ORDINAL_LIST.match(line):
        return line
    return re.sub(_ORD, lambda m: str(_ORDINALS.index(m[1].lower()) + 1), line, flags=re.I)
