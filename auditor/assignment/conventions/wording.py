"""What a question asks for, from its wording: the claim kind ``init`` proposes.

"choice" where the question lists numbered, lettered or roman options and asks to pick one or
all that apply; "verdict" for true/false; "number" for how-many / what-value; "shape" for a
tensor's shape. ``options`` are the option labels as printed ("1", "b", "iii").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_OPTION = re.compile(
    r"^\s*(?:[-*+]\s*)?(?:\*\*|_)?\(?(?P<label>\d{1,2}|[a-h]|[ivx]{1,4})(?:\)|\.)(?:\*\*|_)?\s+(?P<text>\S.*)$",
    re.I | re.M)
_PICK = re.compile(r"\b(select|choose|pick|which of the (?:following|options|above)|which (?:one|option)|"
                   r"circle|mark (?:all|the)|correct option|the correct answer|option number|your choice|"
                   r"one of the (?:statements|options|following) is)\b", re.I)
_MANY = re.compile(r"\b(all that apply|select all|choose all|mark all|one or more|which (?:of the following )?(?:are|hold)"
                   r"|which of the following (?:\w+ ){0,3}(?:have|are|hold|apply))\b", re.I)
_VERDICT = re.compile(r"\btrue\s*(?:or|/)\s*false\b|\bset (?:it )?(?:to )?true\b|\b(?:true|false) if\b", re.I)
_NUMBER = re.compile(r"\b(how many|how much|count how|what is the (?:value|number|range|average|mean|median|total)|"
                     r"number of|the range|compute the value|save this number|predict(?:ed|ion)? the|"
                     r"correlation coefficient|standard deviation|what (?:would|will) .{0,40} (?:output|return|be))\b",
                     re.I)
_SHAPE = re.compile(r"\b(shape of|what (?:is|will be) the shape|output shape|dimensions? of)\b", re.I)


@dataclass(frozen=True)
class Wording:
    claim: str | None            # "choice" | "verdict" | "number" | "shape" | None
    options: tuple[str, ...] = ()
    select: str | None = None    # "one" | "many" for choice
    texts: tuple[str, ...] = ()  # each option's own words, where they are short ("Sigmoid"), else ""


def option_texts(text: str, options: tuple[str, ...]) -> tuple[str, ...]:
    """The short text of each option (a name a student may answer with), "" where it is long."""
    found: dict[str, str] = {}
    for m in _OPTION.finditer(text):
        label = m.group("label").lower()
        if label in options and label not in found:
            words = re.sub(r"[`*_]", "", m.group("text")).strip().rstrip(".")
            found[label] = words if len(words) <= 40 else ""
    return tuple(found.get(o, "") for o in options)


def options_of(text: str) -> tuple[str, ...]:
    """The option labels of the longest run of consecutive options (1., 2., 3. / (a) (b) / (i) (ii))."""
    labels = [m.group("label").lower() for m in _OPTION.finditer(text)]
    best: list[str] = []
    for kind in (str.isdigit, lambda s: s in _ROMAN, lambda s: len(s) == 1 and s.isalpha()):
        run = [lb for lb in labels if kind(lb)]
        if len(dict.fromkeys(run)) >= 2 and len(run) > len(best):
            best = list(dict.fromkeys(run))
    return tuple(best)


_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")


def propose(text: str) -> Wording:
    opts = options_of(text)
    if opts and (_PICK.search(text) or _MANY.search(text)):
        return Wording("choice", opts, "many" if _MANY.search(text) else "one", option_texts(text, opts))
    if _VERDICT.search(text):
        return Wording("verdict")
    if _SHAPE.search(text):
        return Wording("shape")
    if opts and re.search(r"\?", text):
        return Wording("choice", opts, "one", option_texts(text, opts))
    if _NUMBER.search(text):
        return Wording("number")
    return Wording(None)
