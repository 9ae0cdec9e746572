"""Read concept answers: the stated cause of a training plateau, and a yes/no opinion.

Cause ("vanishing" | "exploding" | "other"): the causes the answer asserts, by
wording ("vanishing gradient(s)", "gradients approach zero / become very small",
"exploding", "gradients become very large", "local minimum", "learning rate", ...).
One kind asserted -> that kind, also when another cause is mentioned as its
mechanism ("stuck in a local minimum ... since the gradients are very small
(vanishing gradients)").  Two different causes offered as alternatives without a
choice ("One possible reason ... Another possible reason ...") -> unreadable.
Vanishing and exploding both named -> the one the answer calls the cause
("most likely", "the cause is", first named).

Yes/no ("is the friend right?"): an opening "Yes"/"No", "he is (in)correct /
right / wrong", then negated or affirmed fixing verbs ("won't help", "would not
solve", "may not be sufficient", "will solve"), then the implicit reading of a
careful TA: the answer says the replacement still suffers the same problem
(vanishing gradients, saturation) -> "no".  "may or may not" commits to nothing.
"""
from __future__ import annotations

import re

from auditor.claims.text import Doc, blank_questions, make_doc, pick_segments
from auditor.models import Answer, Claim, QuestionSpec

_VANISH = re.compile(
    r"vanish\w*|gradients?\s+(?:\w+\s+){0,4}(?:approach(?:es)?|close\s+to|go(?:es)?\s+to|tends?\s+to|becomes?|are|is|get)\s+"
    r"(?:\w+\s+){0,2}(?:zero|0|very\s+small|tiny|small)\b|diminishing\s+gradients?|"
    r"(?:derivatives?|slopes?)\s+(?:\w+\s+){0,3}(?:becomes?|are|is|gets?)\s+(?:\w+\s+){0,2}(?:zero|small|tiny)\b|"
    r"saturat\w*", re.I)
_EXPLODE = re.compile(r"explod\w*|gradients?\s+(?:\w+\s+){0,3}(?:becomes?|are|get)\s+(?:\w+\s+){0,2}(?:very\s+)?(?:large|huge|big)\b", re.I)
_OTHER = re.compile(
    r"local\s+minim\w*|saddle\s+point|learning\s+rate|overfit\w*|underfit\w*|dead\s+(?:neurons?|relu)|"
    r"bad\s+initiali[sz]ation|too\s+(?:few|little)\s+data|capacity", re.I)
_ALTERNATIVES = re.compile(r"\b(?:one|first)\s+possible\s+(?:reason|cause)\b.*\b(?:another|second|other)\s+possible\s+(?:reason|cause)\b",
                           re.I | re.S)
_ASSERT = re.compile(r"most\s+likely|the\s+(?:main\s+)?(?:cause|reason)\s+is|we\s+(?:assume|think|believe)|probably|is\s+due\s+to", re.I)


def _prose(answer: Answer, question: QuestionSpec | None) -> tuple[Doc, str] | None:
    """The answer's prose and its masked copy with copied question text blanked."""
    segs = pick_segments(answer, ("markdown", "output"))
    if not segs:
        return None
    doc = make_doc(segs)
    return doc, blank_questions(doc.masked, tuple(question.phrases) if question else ())


def read_cause(answer: Answer, question: QuestionSpec | None = None) -> Claim:
    prose = _prose(answer, question)
    if prose is None:
        return Claim(kind="cause", readable=False, notes=("no prose answer",))
    doc, work = prose
    found = {k: rx.search(work) for k, rx in (("vanishing", _VANISH), ("exploding", _EXPLODE), ("other", _OTHER))}
    named = {k: m for k, m in found.items() if m}
    if not named:
        return Claim(kind="cause", readable=False, notes=("no cause named",))
    gradient_kinds = [k for k in ("vanishing", "exploding") if k in named]
    if _ALTERNATIVES.search(work) and len(named) > 1:
        first = min(named.values(), key=lambda m: m.start())
        return Claim(kind="cause", readable=False, span=doc.quote(first.start(), first.end()),
                     notes=("offers several possible causes without choosing one",))
    if len(gradient_kinds) == 2:
        # the asserted one: nearest after an assertion phrase, else the first named
        asserted = [a.end() for a in _ASSERT.finditer(work)]
        pick = min(gradient_kinds, key=lambda k: min((named[k].start() - p for p in asserted if p <= named[k].start()),
                                                      default=10**6 + named[k].start()))
        m = named[pick]
        return Claim(kind="cause", value=pick, span=doc.quote(m.start(), m.end()),
                     notes=("names both vanishing and exploding gradients",))
    if gradient_kinds:
        k = gradient_kinds[0]
        m = named[k]
        notes = ("also mentions another cause",) if "other" in named else ()
        return Claim(kind="cause", value=k, span=doc.quote(m.start(), m.end()), notes=notes)
    m = named["other"]
    return Claim(kind="cause", value="other", span=doc.quote(m.start(), m.end()))


_OPEN_YES = re.compile(r"\s*(?:yes\b|yeah\b|(?:he|she|they|the\s+friend|your\s+friend|our\s+friend)\s+(?:is|are)\s+(?:\w+\s+)?(?:correct|right)\b)", re.I)
_OPEN_NO = re.compile(r"\s*(?:no\b|nope\b|not\s+(?:really|quite|necessarily)\b|(?:he|she|they|the\s+friend|your\s+friend|our\s+friend)\s+(?:is|are)\s+(?:\w+\s+)?(?:incorrect|incorrert|wrong|not\s+(?:\w+\s+)?(?:correct|right))\b)", re.I)
_NEG_FIX = re.compile(
    r"(?:won['’]?t|wont|will\s+not|would\s*n['’]?o?t|wouldn['’]?t|would'nt|does\s*n['’]?o?t|doesn['’]?t|do\s+not|don['’]?t|"
    r"can\s*n['’]?o?t|can['’]?t|cannot|may\s+not|might\s+not|is\s+not|isn['’]?t|not)\s+"
    r"(?:\w+\s+){0,3}?(?:solve|help|fix|work|resolve|be\s+(?:sufficient|enough|helpful)|sufficient|enough|helpful|prevent|"
    r"overcome|mitigate|expect\s+this\s+solution\s+to\s+work)\w*|"
    r"\b(?:bad|wrong)\s+(?:friend|advice|suggestion|idea)|(?:won['’]?t|will\s+not|wouldn['’]?t|would\s+not)\s*[.!]|"
    r"\b(?:he|she|friend)\s+is\s+(?:incorrect|incorrert|wrong)\b|\bnot\s+(?:\w+\s+)?(?:correct|right)\b|"
    r"\bstill\s+(?:suffer|have|face|be\s+prone)\w*|\bsame\s+(?:problem|issue)\b|\balso\s+(?:suffers?|prone|saturates?)\b",
    re.I)
_POS_FIX = re.compile(
    r"(?<!not\s)(?<!n't\s)\b(?:will|would|does|can|should)\s+(?:(?!not\b|never\b)\w+\s+)?(?:solve|fix|resolve)\w*|(?<!not\s)\bsolves\b|"
    r"\b(?:he|she|friend)\s+is\s+(?:correct|right)\b", re.I)
_NONCOMMITTAL = re.compile(r"may\s+or\s+may\s+not|might\s+or\s+might\s+not", re.I)
_IMPLICIT_NO = re.compile(r"vanish\w*|saturat\w*|similar\s+to\s+(?:the\s+)?sigmoid|same\s+(?:problem|issue)", re.I)


def read_yesno(answer: Answer, question: QuestionSpec | None = None) -> Claim:
    prose = _prose(answer, question)
    if prose is None:
        return Claim(kind="yesno", readable=False, notes=("no prose answer",))
    doc, work = prose
    work = _NONCOMMITTAL.sub(lambda m: " " * len(m.group(0)), work)
    # skip markers and labels at the start
    start = re.match(r"(?:\s|answers?\s*:?|ans\s*:|\d+[.)]|[-=_*]{3,})*", work, re.I).end()
    if re.match(r"\s*yes\s+and\s+no\b|\s*no\s+and\s+yes\b", work[start:], re.I):
        return Claim(kind="yesno", readable=False, notes=("answers both yes and no",))
    for rx, val in ((_OPEN_YES, "yes"), (_OPEN_NO, "no")):
        m = rx.match(work, start)
        if m:
            return Claim(kind="yesno", value=val, span=doc.quote(m.start() + len(m.group(0)) - len(m.group(0).lstrip()), m.end()))
    neg = list(_NEG_FIX.finditer(work))
    pos = list(_POS_FIX.finditer(work))
    if neg or pos:
        first = min(neg + pos, key=lambda m: m.start())
        if neg and pos:
            # a careful reader takes the answer's committed opinion: the first one stated
            val = "no" if first in neg else "yes"
            return Claim(kind="yesno", value=val, span=doc.quote(first.start(), first.end()),
                         notes=("argues both ways; the first stated opinion is taken",))
        val = "no" if neg else "yes"
        m = first
        return Claim(kind="yesno", value=val, span=doc.quote(m.start(), m.end()))
    imp = _IMPLICIT_NO.search(work)
    if imp:
        return Claim(kind="yesno", value="no", span=doc.quote(imp.start(), imp.end()),
                     notes=("no explicit yes/no: the answer says the replacement has the same problem",))
    return Claim(kind="yesno", readable=False, notes=("no yes/no opinion found",))
