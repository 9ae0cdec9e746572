"""Read a yes/no judgement of a proposal ("is the friend right?", "will it help?").

What a careful TA does:

1. An answer that opens with its judgement ("Yes", "No", "Not really", "the friend is (not)
   correct") is that judgement, unless the same sentence turns it round with a contrastive
   clause ("Yes, but it will not solve the problem"): then the answer argues both ways and is
   read with low confidence (review).
2. Otherwise every judgement cue is collected: a judgement of the proposer or the proposal
   ("he is wrong", "the suggestion is not correct") and a fixing verb ("solve", "fix",
   "resolve", "overcome"; weaker: "help", "work", "be enough").  Negation flips a cue: any of
   not / n't / never / cannot / won't / no longer within the few words before it ("will not
   fully solve", "doesn't really help", "is not entirely correct").
3. A contrastive clause decides over the clause it concedes: in "it can help a little, but it
   will not solve the problem" the cue after "but" (no) overrides the one before it (yes);
   likewise the main clause after "although ..., ".
4. Strong cues that all agree decide; weak cues decide only when nothing strong is said; cues
   that still disagree -> the first stated one with low confidence (review).  No cue at all, but
   the answer says the replacement has the same problem (saturation, vanishing gradients) ->
   "no" (the implicit reading), slightly less sure.  "may or may not", "yes and no" -> unreadable.
"""
from __future__ import annotations

import re

from auditor.claims.text import LABEL, blank_questions, make_doc, pick_segments, sentences
from auditor.claims.verdict_words import LATIN, OPENING, STOP, value as word_value
from auditor.models import Answer, Claim, QuestionSpec

_NEG = (r"(?:not|never|cannot|no\s+longer|hardly|barely|nor|"
        r"(?:wo|do|does|did|ca|could|would|should|is|are|was|were|has|have|had|might|must|need)['’]?n['’]?t)")
_NEG_BEFORE = re.compile(r"(?:\b" + _NEG + r"|n['’]t)\b(?:\s+\w+){0,4}\s*$", re.I)
# a negated auxiliary standing for the proposal's verb: "It won't." / "No, it would not!"
_ELLIPTIC_NO = re.compile(r"\b(?:won['’]?t|will\s+not|wouldn['’]?t|would\s+not|doesn['’]?t|does\s+not)\s*[.!](?=\s|$)", re.I)

_SUBJECT = (r"(?:he|she|they|(?:the|your|our|my|his|her)\s+(?:friend|colleague|suggestion|idea|claim|proposal|"
            r"approach|solution|reasoning)(?:['’]s\s+(?:suggestion|idea|claim|proposal))?)")
# a judgement of the proposer or the proposal; polarity of the adjective before negation
_JUDGE = re.compile(
    r"\b" + _SUBJECT + r"\s+(?:is|are|was|were|would\s+be|might\s+be)\s+(?P<mid>(?:\w+['’]?\w*\s+){0,3}?)"
    r"(?P<w>correct|right|incorrect|incorrert|wrong|mistaken)\b|"
    r"\b(?P<w2>bad|wrong|good|great)\s+(?:friend|advice|suggestion|idea|proposal)\b", re.I)
_STRONG_VERB = re.compile(r"\b(?P<w>solve|solves|solved|solving|fix|fixes|fixed|resolve|resolves|resolved|overcome|overcomes|"
                          r"eliminate|eliminates|prevent|prevents|cure|cures)\b", re.I)
_WEAK_VERB = re.compile(r"\b(?P<w>help|helps|helped|work|works|mitigate|mitigates|improve|improves|alleviate|alleviates|"
                        r"sufficient|enough|helpful)\b", re.I)
_SAME_PROBLEM = re.compile(
    r"\bstill\s+(?:\w+\s+)?(?:suffer|have|face|be\s+prone|saturat|vanish|occur|exist|happen|remain|persist|plateau)\w*|"
    r"\bsame\s+(?:problem|issue)\b|\balso\s+(?:suffers?|prone|saturates?)\b|"
    r"\b(?:problem|issue)\s+(?:\w+\s+)?(?:remains?|persists?|stays?|continues?)\b", re.I)
# a proposal judged as a remedy ("is (not) a solution", "makes (no) difference") or by agreeing with it
_REMEDY = re.compile(r"\b(?:is|are|would\s+be|will\s+be)\s+(?P<mid>(?:\w+\s+){0,2}?)(?:a|the|an)\s+(?:\w+\s+)?"
                     r"(?P<w>solution|answer|fix|remedy|cure)\b|\bmakes?\s+(?P<mid2>no|any|a|much)\s+(?:\w+\s+)?(?P<w2>difference)\b|"
                     r"\b(?P<w3>agree|disagree)s?\s+with\s+(?:the\s+|my\s+|your\s+|our\s+)?(?:friend|colleague|him|her|them|suggestion|proposal)\b",
                     re.I)
_IMPLICIT_NO = re.compile(r"vanish\w*|saturat\w*|similar\s+to\s+(?:the\s+)?sigmoid|same\s+(?:problem|issue)", re.I)
_NONCOMMITTAL = re.compile(r"\b(?:may|might|can|could|will)\s+or\s+(?:may|might|can|could|will)\s*(?:not|n['’]t)(?:\s+\w+){0,2}", re.I)
_BOTH = re.compile(r"\s*(?:yes\s+and\s+no|no\s+and\s+yes|both\s+yes\s+and\s+no)\b", re.I)
_OPEN = re.compile(r"\s*(?:(?P<w>yes|yeah|yep|no|nope|not\s+really|not\s+quite|not\s+necessarily|not\s+exactly|not\s+at\s+all)\b"
                   r"(?!\s+(?:\w+\s+)?(?:gradient|vanish|explod|longer|matter|one|way|need|problem|activation|layer|neuron)s?)|"
                   r"(?P<j>correct|incorrect|right|wrong|true|false)(?=\s*[.,;:!\-–])|"
                   # other languages' yes/no/correct/wrong words (auditor.claims.verdict_words): "Sí,", "不对，", "네."
                   r"(?P<f>" + OPENING + "|" + LATIN + r")(?=" + STOP + r"))", re.I)
_CONTRAST = re.compile(r"\b(?:but|however|yet|though|nevertheless|nonetheless)\b|\bon\s+the\s+other\s+hand\b", re.I)
_CONCESSIVE = re.compile(r"\s*(?:although|though|even\s+though|while|whilst|despite)\b[^,;]*[,;]", re.I)
_START = re.compile(r"(?:\s|answers?\s*:?|ans\s*:|(?:" + LABEL + r")(?=\s)|[-=_*]{3,}|[-*•+](?=\s))*", re.I)


def _polarity(work: str, m: re.Match[str], positive: bool) -> bool:
    """``positive`` flipped by a negation in the few words before the cue (same clause)."""
    head = work[max(0, m.start() - 40):m.start()]
    head = re.split(r"[,;:.!?()\n]|\bbut\b|\band\b", head)[-1]
    return positive != bool(_NEG_BEFORE.search(head))


# a sentence about another remedy ("other activation functions ...", "instead, use ...", "what can
# solve it is ...") judges that remedy, not the proposal
_OTHER_REMEDY = re.compile(r"(?<!the\s)\b(?:other|another|alternatives?|alternatively|instead|rather\s+than|recommend\w*|"
                           r"better\s+(?:to|option|choice|solution)|we\s+(?:could|should|can)\s+use)\b|^\s*what\b", re.I)


def _about_other_remedy(work: str, pos: int) -> bool:
    a = next((x for x, y in sentences(work) if x <= pos < y), 0)
    return bool(_OTHER_REMEDY.search(work[a:pos]))


_PROPOSAL_SUBJECT = re.compile(r"\b(?:it|this|that|he|she|they|change|swap\w*|replac\w*|switch\w*|suggest\w*|propos\w*|idea|"
                               r"approach|using|doing\s+so)\b", re.I)
_STOP = {"the", "a", "an", "with", "of", "to", "and", "or", "in", "on", "by", "for", "replace", "activations", "activation",
         "suggests", "friend", "that", "this", "is", "are", "we", "our", "your"}


def _proposal_words(question: QuestionSpec | None) -> set[str]:
    """Content words of the question's recognition phrases ("replace the sigmoid ... with tanh" -> tanh, sigmoid)."""
    words: set[str] = set()
    for phrase in (question.phrases if question else ()):
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", phrase) if w.lower() not in _STOP}
    return words


def _about_the_proposal(work: str, pos: int, proposal: set[str]) -> bool:
    """The clause before ``pos`` names the proposal (a pronoun, "the change", or the question's words)."""
    a = next((x for x, y in sentences(work) if x <= pos < y), 0)
    clause = re.split(r"[,;:]", work[a:pos])[-1]
    return bool(_PROPOSAL_SUBJECT.search(clause)) or any(w in clause.lower() for w in proposal)


def _cues(work: str, proposal: set[str] = frozenset()) -> list[dict]:
    """Judgement cues: value "yes"/"no", strength, position."""
    cues = []
    for m in _JUDGE.finditer(work):
        w = (m.group("w") or m.group("w2")).lower()
        positive = w in ("correct", "right", "good", "great")
        if m.group("w"):
            neg = bool(re.search(r"\b" + _NEG + r"\b|n['’]t\b", m.group("mid") or "", re.I)) or bool(
                re.search(r"n['’]t\s*$|\bnot\s*$", work[:m.start("mid")], re.I))
            positive = positive != neg
        cues.append(dict(value="yes" if positive else "no", strong=True, start=m.start(), end=m.end()))
    for rx, strong in ((_STRONG_VERB, True), (_WEAK_VERB, False)):
        for m in rx.finditer(work):
            if any(c["start"] <= m.start() < c["end"] for c in cues) or _about_other_remedy(work, m.start()):
                continue
            cues.append(dict(value="yes" if _polarity(work, m, True) else "no", strong=strong,
                             start=m.start("w"), end=m.end("w")))
    for m in _REMEDY.finditer(work):
        if _about_other_remedy(work, m.start()) or (m.group("w") and not _about_the_proposal(work, m.start(), proposal)):
            continue
        if m.group("w3"):
            positive = m.group("w3").lower() == "agree" and _polarity(work, m, True)
        elif m.group("w2"):
            positive = m.group("mid2").lower() != "no" and _polarity(work, m, True)
        else:
            positive = not re.search(r"\bnot\b|n['’]t\b", m.group("mid"), re.I) and _polarity(work, m, True)
        cues.append(dict(value="yes" if positive else "no", strong=True, start=m.start(), end=m.end()))
    for m in _ELLIPTIC_NO.finditer(work):
        cues.append(dict(value="no", strong=True, start=m.start(), end=m.end()))
    for m in _SAME_PROBLEM.finditer(work):
        cues.append(dict(value="no", strong=False, start=m.start(), end=m.end()))
    cues.sort(key=lambda c: c["start"])
    return _drop_conceded(work, cues)


def _drop_conceded(work: str, cues: list[dict]) -> list[dict]:
    """In a sentence whose contrastive clause ("but ...", the main clause after "although ...,")
    holds a cue, the opposite cues of the conceded part are dropped."""
    drop: set[int] = set()
    for a, b in sentences(work):
        splits = [m.start() for m in _CONTRAST.finditer(work, a, b)]
        con = _CONCESSIVE.match(work, a)
        if con:
            splits.append(con.end())
        for cut in splits:
            before = [i for i, c in enumerate(cues) if a <= c["start"] < cut]
            after = [c for c in cues if cut <= c["start"] < b]
            if not after:
                continue
            main = {c["value"] for c in after if c["strong"]} or {c["value"] for c in after}
            if len(main) == 1:
                drop |= {i for i in before if cues[i]["value"] not in main}
    return [c for i, c in enumerate(cues) if i not in drop]


def _sentence_end(work: str, pos: int) -> int:
    return next((b for a, b in sentences(work) if a <= pos < b), len(work))


_HEDGE = re.compile(r"\bit\s+(?:all\s+|really\s+)?depends\b|\bdepending\s+on\b|\b(?:partially|partly)\b|"
                    r"\bto\s+some\s+(?:extent|degree)\b|\bin\s+some\s+cases\b|\barguabl[ey]\b", re.I)


def _hedged(claim: Claim, work: str, doc, at: int) -> Claim:
    """``claim`` read unsure when its deciding sentence hedges ("partially", "it depends")."""
    a = next((x for x, y in sentences(work) if x <= at < y), at)
    m = _HEDGE.search(work, a, _sentence_end(work, at))
    if not m or claim.confidence <= 0.4:
        return claim
    quote = doc.text[m.start():m.end()]
    return Claim(kind=claim.kind, value=claim.value, span=claim.span, notes=claim.notes + (f"hedged by '{quote}'",),
                 confidence=0.4, reason=f"hedged: '{quote}'")


def read_yesno(answer: Answer, question: QuestionSpec | None = None) -> Claim:
    segs = pick_segments(answer, ("markdown", "output"))
    if not segs:
        return Claim(kind="yesno", readable=False, notes=("no prose answer",))
    doc = make_doc(segs)
    # the opening is read before copied question text is blanked: "No, replacing the sigmoid
    # activations with tanh ..." restates the proposal but opens with the answer
    start = _START.match(doc.masked).end()
    if _BOTH.match(doc.masked, start):
        return Claim(kind="yesno", readable=False, notes=("answers both yes and no",))
    opening = _OPEN.match(doc.masked, start)
    work = blank_questions(doc.masked, tuple(question.phrases) if question else ())
    work = _NONCOMMITTAL.sub(lambda m: " " * len(m.group(0)), work)
    cues = _cues(work, _proposal_words(question))
    if not opening:
        opening = _OPEN.match(work, _START.match(work).end())
    if opening:
        g = "w" if opening.group("w") else "j" if opening.group("j") else "f"
        value = "yes" if opening.group(g).lower() in ("yes", "yeah", "yep", "correct", "right", "true") \
            or (g == "f" and word_value(opening.group(g)) == "true") else "no"
        o0, o1 = opening.start(g), opening.end(g)
        end = _sentence_end(work, o0)
        turned = [c for c in cues if o1 <= c["start"] < end and c["value"] != value and c["strong"]
                  and any(m.start() < c["start"] for m in _CONTRAST.finditer(work, o1, end))]
        if turned:
            c = turned[0]
            return Claim(kind="yesno", value=value, span=doc.quote(o0, c["end"]), confidence=0.4,
                         reason=f"answers {value} but turns it round in the same sentence",
                         notes=(f"answers {value}, then qualifies it: '{doc.text[c['start']:c['end']]}'",))
        return _hedged(Claim(kind="yesno", value=value, span=doc.quote(o0, o1)), doc.masked, doc, o0)
    for pool in ([c for c in cues if c["strong"]], cues):
        if not pool:
            continue
        values = {c["value"] for c in pool}
        first = pool[0]
        if len(values) == 1:
            weak_only = not first["strong"]
            return _hedged(Claim(kind="yesno", value=first["value"], span=doc.quote(first["start"], first["end"]),
                                 confidence=0.7 if weak_only else 1.0,
                                 reason="only a weak judgement (helps / works)" if weak_only else ""),
                           work, doc, first["start"])
        return Claim(kind="yesno", value=first["value"], span=doc.quote(first["start"], first["end"]),
                     notes=("argues both ways; the first stated opinion is taken",), confidence=0.4,
                     reason="argues both ways")
    imp = _IMPLICIT_NO.search(work)
    if imp:
        return Claim(kind="yesno", value="no", span=doc.quote(imp.start(), imp.end()), confidence=0.8,
                     reason="no explicit yes/no",
                     notes=("no explicit yes/no: the answer says the replacement has the same problem",))
    return Claim(kind="yesno", readable=False, notes=("no yes/no opinion found",))
