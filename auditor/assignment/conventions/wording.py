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
                   r"one of the (?:statements|options|following) is|seleccione|elija|escoja|choisissez|cochez|"
                   r"w[äa]hlen\s+sie|kreuzen\s+sie|scegli|selezion[ai]|selecione|escolha)\b|選択|选择|選んで|선택", re.I)
# the wording asks for all / any number of the options (read on the flattened text: see _flat)
_MANY = re.compile(
    r"\b(?:one|\d+)\s+or\s+more\b|\bany\s+number\s+of\b|\bmore\s+than\s+one\s+(?:\w+\s+){0,2}(?:may|can|might|could)\b|"
    r"\bmultiple\s+(?:\w+\s+)?(?:may|can|might|could|are)\b|\b(?:options?|statements?|answers?|choices?|ones?)\s*\(s\)|"
    r"\b(?:select|choose|pick|mark|check|tick|circle|identify|indicate|list|name|highlight|find)\s+(?:out\s+)?"
    r"(?:all|every|each|any(?!\s+(?:one|single)\b))\b|"
    r"\b(?:all|every|any)\s+(?:of\s+)?(?:the\s+|these\s+|those\s+)?(?:\w+\s+){0,3}?(?:that|which)\s+(?:apply|are|hold)\b|"
    r"\b(?:every|each)\s+(?:\w+\s+)?(?:that|which)\s+(?:is|holds|applies)\b|"
    r"\bwhich\s+(?:of\s+(?:the\s+following|these|those|the\s+(?:above|options|statements|choices))\s+)?"
    r"(?:(?!(?:one|is|was|means?|makes?|will|would|can|could|does|do|did|has|of|if|when)\b)\w+\s+){0,3}?"
    r"(?:are|hold|apply|have|is\s*/\s*are)\b|"
    r"\b(?:todas\s+las\s+que|toutes\s+les|alle\s+(?:zutreffenden|richtigen)|tutte\s+(?:le|quelle)|todas\s+as)\b|"
    r"所有正确|全部正确|すべて選|모두\s*고르",
    re.I)


def _flat(text: str) -> str:
    """The wording without emphasis, code ticks, HTML tags and line breaks ("**Pick\nall**" -> "Pick all")."""
    return re.sub(r"\s+", " ", re.sub(r"<[^<>\n]*>|[*_`~]+", " ", text))


_VERDICT = re.compile(r"\btrue\s*(?:or|/)\s*false\b|\bset (?:it )?(?:to )?true\b|\b(?:true|false) if\b|"
                      r"\b(?:verdadero|verdadeiro|vrai|wahr|vero)\s*(?:o|ou|oder|/)\s*(?:falso|faux|falsch)\b|"
                      r"对还是错|判断对错|正误|正しいか誤り|참\s*또는\s*거짓", re.I)
_NUMBER = re.compile(r"\b(how many|how much|count how|what is the (?:value|number|range|average|mean|median|total)|"
                     r"number of|the range|compute the value|save this number|predict(?:ed|ion)? the|"
                     r"correlation coefficient|standard deviation|what (?:would|will) .{0,40} (?:output|return|be)|"
                     r"cu[áa]nt[oa]s?|combien|wie\s+viele?|quant[io]s?|"
                     r"(?:qu[ée]|quel(?:le)?|welche[rn]?|quale|qual)\s+(?:valor|probabilidad|valeur|probabilit[ée]|wert|"
                     r"wahrscheinlichkeit|valore|probabilit[àa]|probabilidade))\b|多少|いくつ|몇",
                     re.I)
_SHAPE = re.compile(r"\b(shape of|what (?:is|will be) the shape|output shape|dimensions? of)\b", re.I)


@dataclass(frozen=True)
class Wording:
    claim: str | None            # "choice" | "verdict" | "number" | "shape" | None
    options: tuple[str, ...] = ()
    select: str | None = None    # "one" | "many" for choice
    texts: tuple[str, ...] = ()  # each option's own words, where they are short ("Sigmoid"), else ""
    selected_verdict: str | None = None  # "will change" for "Which of these will change ...?"


#: "Which of these changes will (not) change the output?": what a selected option does
_ASKED_VERB = re.compile(r"\bwhich\b(?:\s+(?:of\s+)?(?:the\s+following|these|those|the\s+above|options?)?)?"
                         r"(?:\s+[a-z]+){0,3}?\s+(?P<v>(?:will|would|can|could|may|might|does|do|should)"
                         r"(?:\s+not|n't)?\s+(?!be\b|have\b|not\b)[a-z]{3,})\b", re.I)


def selected_verdict(text: str) -> str | None:
    """The verb phrase a selected option satisfies, as the question asks it ("will change"), or None."""
    m = _ASKED_VERB.search(_flat(text))
    return " ".join(m["v"].lower().split()) if m else None


#: an option that answers for the others: "None of the above", "All of the options"
SPECIAL_OPTION = re.compile(r"\s*(?P<which>none|all)\s+of\s+the\s+(?:above|others|options)\b", re.I)


def option_texts(text: str, options: tuple[str, ...]) -> tuple[str, ...]:
    """The short text of each option (a name a student may answer with), "" where it is long."""
    found: dict[str, str] = {}
    for m in _OPTION.finditer(text):
        label = m.group("label").lower()
        if label in options and label not in found:
            words = re.sub(r"[`*_]", "", re.sub(r"(?:\\?_){3,}", "\x00", m.group("text"))).strip().rstrip(".")
            words = re.sub(r"\s*\x00+\s*", " ___ ", words).strip()  # a blank to fill in stays visible
            found[label] = words if len(words) <= 40 or "___" in words else ""
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
    many = bool(_MANY.search(_flat(text)))
    if opts and (_PICK.search(_flat(text)) or many):
        return Wording("choice", opts, "many" if many else "one", option_texts(text, opts), selected_verdict(text))
    if _VERDICT.search(text):
        return Wording("verdict")
    if _SHAPE.search(text):
        return Wording("shape")
    if opts and re.search(r"\?", text):
        return Wording("choice", opts, "one", option_texts(text, opts), selected_verdict(text))
    if _NUMBER.search(text):
        return Wording("number")
    return Wording(None)
