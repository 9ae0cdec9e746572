"""Answer slots: where a template asks for the answer, and the placeholder text it ships there.

A slot *marker* says "the answer goes here" (``$\\color{blue}{\\textit Your Answer:}$``,
``## Answer:``, ``**Your Explanation:**``); a *placeholder* is template text the student replaces
(``*Fill this in*``, ``[FILL THIS IN]``, ``YOUR ANSWER HERE``, ``_Type your answer here, replacing
this text._``, ``Write your answer here``). Neither is ever the student's answer: ``strip_slots``
removes them from a line and keeps whatever the student typed around or inside them.
"""
from __future__ import annotations

import re

# $\color{blue}{\textit Your Answer:}$, recoloured, with the answer typed inside the braces
_LATEX_MARKER = re.compile(
    r"\$+\s*\\color\s*\{[^{}$]*\}\s*\{\s*(?:\\text\w*|\\mathrm|\\mathbf)?\s*\{?\s*"
    r"your\s+(?:answer|explanation)\s*:?(?P<inner>[^$]*?)\}?\s*\}\s*\$+",
    re.I,
)
_PLACEHOLDERS = re.compile(
    r"""\[\s*fill\ this\ in\s*\]
      | [*_]{0,2}\s*fill\ this\ in\s*[*_]{0,2}
      | [*_]{0,2}\s*type\ your\ answer\ here,?\ replacing\ this\ text\.?\s*[*_]{0,2}
      | [*_]{0,2}\s*write\ your\ answer\ here\.?\s*[*_]{0,2}
      | (?:enter|put|type|write)?\s*your\ answer\ here
      | [\[<(]\s*your\ answer\s*[\]>)]
      | double[-\ ]click\ (?:here\ )?to\ (?:edit|answer|type)\.?
    """,
    re.I | re.X,
)
# a plain marker at the start of a line: "Answer:", "## Answer:", "**Your Answer:**", "Your Explanation:"
#: "Answer" in the languages courses are taught in (a marker word followed by a colon)
FOREIGN_ANSWER_WORDS = r"respuestas?|antwort(?:en)?|r[ée]ponses?|rispost[ae]|respostas?|答案|回答|解答|답|정답"
_PLAIN_MARKER = re.compile(
    r"^[\s#>*_]*(?:your\s+)?(?:answers?|explanation|ans|" + FOREIGN_ANSWER_WORDS + r")\s*[*_]*\s*[:：][*_\s]*", re.I)


_ANSWER_HEADING = re.compile(r"^\s*#{1,6}\s*(?:your\s+)?answer\b", re.I)  # "## Answer", "### Your answer"
_YOUR_MARKER = re.compile(r"^[\s#>*_]*your\s+(?:answer|explanation)\s*[*_]*\s*:[*_\s]*", re.I)


def strip_slots(line: str, keep_explanation: bool = False) -> str:
    """The line without slot markers and placeholders (the student's words around them kept).
    ``keep_explanation``: an explanation marker becomes a plain "Explanation:" before the student's
    words, so a reader can tell the claim from its explanation."""
    def latex(m: re.Match) -> str:
        inner = m.group("inner").strip()
        if keep_explanation and re.search(r"explanation", m.group(0), re.I):
            return " Explanation: " + inner + " "
        return " " + inner + " "

    out = _LATEX_MARKER.sub(latex, line)
    out = _PLACEHOLDERS.sub(" ", out)
    plain = _YOUR_MARKER.match(out.strip())
    out = out.strip()
    if plain:
        rest = out[plain.end():]
        out = ("Explanation: " + rest) if keep_explanation and "xplanation" in plain.group(0) else rest
    return out.strip()


def opens_slot(line: str) -> bool:
    """The line holds an answer-slot marker or placeholder: the rest of its cell is the answer's place."""
    head = line.strip()
    return bool(_LATEX_MARKER.search(head) or _PLACEHOLDERS.search(head) or _PLAIN_MARKER.match(head)
                or _ANSWER_HEADING.match(head))


def has_strong_slot(text: str) -> bool:
    """The text has a line that opens with a marker or placeholder that only an answer slot has
    (not a plain "Answer:" word, which prose also uses; not a placeholder quoted mid-sentence)."""
    for line in text.splitlines():
        head = line.lstrip(" >*_")
        if _LATEX_MARKER.match(head) or _PLACEHOLDERS.match(line.strip()) or _ANSWER_HEADING.match(line):
            return True
    return False


_ELSEWHERE = re.compile(
    r"\b(?:refer(?:\s+to)?|see|look at)\s+(?:my|the|our)\s+(?:\w+\s+){0,2}?"
    r"(?:notebook|paper|notes?|pdf|file|attachment|handwritten|scan|photo|image)s?\b"
    r"|\b(?:did|done|wrote|solved)\s+(?:it|this|them)\s+(?:on|in)\s+(?:paper|my notebook|a notebook)\b",
    re.I)


def points_elsewhere(text: str) -> bool:
    """A short answer that only says the answer is somewhere else ("Refer my notebook for answers",
    "I did it on paper..."): not an answer in this notebook."""
    return len(text.split()) <= 20 and bool(_ELSEWHERE.search(text))


def is_placeholder_only(text: str) -> bool:
    """Nothing but slot markers, placeholders and markup: an untouched answer slot."""
    rest = strip_slots(text)
    rest = _PLAIN_MARKER.sub("", rest)
    return not re.sub(r"[\W_]+", "", rest)


def starts_with_marker(line: str) -> bool:
    """'Answer: 1', '## Answer: 1', '**Your Answer:** true': a line that opens an answer."""
    return bool(_PLAIN_MARKER.match(line))


def before_first_slot(text: str) -> str:
    """The question's own text: everything before its first answer slot."""
    cut = len(text)
    for rx in (_LATEX_MARKER, _PLACEHOLDERS):
        m = rx.search(text)
        if m:
            cut = min(cut, m.start())
    m = re.search(r"^\s*#{1,6}\s*(?:your\s+)?answer\s*:?.*$", text, re.I | re.M)
    if m:
        cut = min(cut, m.start())
    return text[:cut]
