"""Read concept answers: the stated cause of a training plateau (yes/no: auditor.claims.yesno).

Cause ("vanishing" | "exploding" | "other"): the causes the answer asserts, by
wording ("vanishing gradient(s)", "gradients approach zero / become very small",
"exploding", "gradients become very large", "local minimum", "learning rate", ...).
One kind asserted -> that kind, also when another cause is mentioned as its
mechanism ("stuck in a local minimum ... since the gradients are very small
(vanishing gradients)"); a cause ruled out ("not exploding gradients") is no cause.  Two different causes offered as alternatives without a
choice ("One possible reason ... Another possible reason ...") -> unreadable.
Vanishing and exploding both named -> the one the answer calls the cause
("most likely", "the cause is", first named).

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


# a cause ruled out: "not vanishing gradients", "isn't an exploding ...", "rather than", "instead of", "no"
_RULED_OUT = re.compile(r"(?:\bnot|n['’]?t|\bno|\bnor|\bneither|\brather\s+than|\binstead\s+of|\bunlikely\s+(?:to\s+be\s+)?)"
                        r"(?:\s+(?:a|an|the|due\s+to|caused\s+by|because\s+of|from|really|necessarily))*\s*$", re.I)


def _first_asserted(rx: re.Pattern[str], work: str) -> re.Match[str] | None:
    """The first mention of a cause that the answer does not rule out."""
    for m in rx.finditer(work):
        if not _RULED_OUT.search(work[max(0, m.start() - 40):m.start()]):
            return m
    return None


def read_cause(answer: Answer, question: QuestionSpec | None = None) -> Claim:
    prose = _prose(answer, question)
    if prose is None:
        return Claim(kind="cause", readable=False, notes=("no prose answer",))
    doc, work = prose
    found = {k: _first_asserted(rx, work) for k, rx in (("vanishing", _VANISH), ("exploding", _EXPLODE), ("other", _OTHER))}
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


# the yes/no reader lives in auditor.claims.yesno (re-exported here for older imports)
from auditor.claims.yesno import read_yesno  # noqa: E402,F401
