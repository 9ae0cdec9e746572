"""Question labels a notebook prints: "Question 2a", "Q3", "Exercise 1", "Task 4", "Problem 2",
"Inline Question 1" / "Inline Question #1:" as a heading, an emphasised or HTML-tagged label (a
blockquote, an emoji or a list marker before it allowed), the same words in other languages
("Pregunta 2", "Aufgabe 3", "问题 1"), and numbered headings "### 1a) Title". A plain list item
("- Question 2") or a sentence ("Question 2 asks ...") is not a label.

``find_labels`` returns every labelled line of the markdown cells in notebook order; a label that
only heads others ("Question 1" before "Question 1a") is a section, not a question, and is
dropped by ``question_labels``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.models import ParsedNotebook

_COMMENT = re.compile(r"<!--.*?-->", re.S)
# the words that label a question, by family (other languages' words too: a course is not always English)
_FAMILY_WORDS = {
    "inline": r"inline\s+question",
    "q": r"question|q|frage|pregunta|domanda|pergunta|quest[aã]o|问题|題目|题目|問題|문제|질문",
    "exercise": r"exercise|[üu]bung|ejercicio|exercice|esercizio|exerc[ií]cio|练习题?|練習|演習|연습",
    "task": r"task|aufgabe|t[âa]che|任务|課題|과제",
    "problem": r"problem|problema|probl[èe]me",
}
_WORDED = re.compile(
    r"""^\s*(?:>\s*)*(?:(?:[-*+]|\d{1,2}[.)])\s+(?=[*_]))?(?P<hash>\#{1,6}\s*)?(?P<tag>(?:<[^>]{1,60}>\s*)*)
        (?P<emph>[*_]{1,3}\s*)?(?:[^\w\s<>*_#+\-]{1,4}\s*)?
        (?P<word>""" + "|".join(f"(?P<{f}>{w})" for f, w in _FAMILY_WORDS.items()) + r""")\s*(?:\#\s*|no\.\s*|n[ºo°]\s*)?
        (?P<num>\d{1,3}(?:\.\d{1,2})?(?:\.?[a-z](?![a-z]))?)(?![\w.]*\d)
        (?:\s*\(\s*(?P<sub>[ivx]{1,4}|[a-z])\s*\))?
        \s*(?P<after>.*)$""",
    re.I | re.X,
)
_NUMBERED_HEADING = re.compile(r"^\s*\#{2,6}\s*(?P<num>\d{1,3}[a-z]?)\)\s+\S")


@dataclass(frozen=True)
class Label:
    cell: int
    line: int            # line number inside the cell's source (comments removed)
    family: str          # "inline" | "q" | "exercise" | "task" | "problem"
    name: str            # "1", "2a", "6bi"
    text: str            # the labelled line
    num: str = ""        # "6b" of "6b (i)"
    sub: str = ""        # "i" of "6b (i)"


def _label_of_line(line: str) -> tuple[str, str, str] | None:
    """(family, number, sub) of a labelled line: ("q", "6b", "i") for "### Question 6b (i) ###"."""
    m = _WORDED.match(line)
    if m:
        after = m.group("after")
        marked = bool(m.group("hash") or m.group("emph") or m.group("tag")) \
            or after[:1] in (":", ".", ")", "-", "\u2013", "#", "*", "：") or not after.strip()
        if m.group("word").lower() == "q" and not re.match(r"^\s*[#*_]*\s*q\s*\d", line, re.I):
            return None
        if marked:
            family = next(f for f in _FAMILY_WORDS if m.group(f))
            num = re.sub(r"\.(?=[a-z])", "", m.group("num").lower()).replace(".", "-")  # 1.a -> 1a, 2.3 -> 2-3
            return family, num, (m.group("sub") or "").lower()
    m = _NUMBERED_HEADING.match(line)
    if m:
        return "q", m.group("num").lower(), ""
    return None


def find_labels(nb: ParsedNotebook) -> list[Label]:
    out: list[Label] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        source = _COMMENT.sub("", cell.source)
        for i, line in enumerate(source.splitlines()):
            got = _label_of_line(line)
            if got:
                out.append(Label(cell.index, i, got[0], got[1] + got[2], line.strip(), got[1], got[2]))
    return out


def question_labels(labels: list[Label]) -> list[Label]:
    """The labels that name questions: section labels (a label that a later one extends with a
    letter or roman numeral, "1" -> "1a") dropped; the first of repeated labels kept."""
    out: list[Label] = []
    seen: set[tuple[str, str]] = set()

    def heads(a: Label, b: Label) -> bool:
        if a.family != b.family or a.sub:
            return False
        if b.num == a.num:
            return bool(b.sub)
        return a.num.isdigit() and b.num.startswith(a.num) and b.num[len(a.num):].isalpha()

    for lb in labels:
        key = (lb.family, lb.name)
        heads_others = any(heads(lb, other) for other in labels)
        if heads_others or key in seen:
            continue
        seen.add(key)
        out.append(lb)
    return out


def label_in_text(text: str) -> tuple[str, str] | None:
    """(family, name) of the first question label in a markdown text, if any."""
    for line in _COMMENT.sub("", text).splitlines():
        got = _label_of_line(line)
        if got:
            return got[0], got[1] + got[2]
    return None
