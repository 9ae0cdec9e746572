"""Read a true/false verdict ("true", "false", "hedged") from one answer.

What a careful reader does, in order:

1. Blank what is not the student's verdict: markup (``auditor.claims.text.mask``: emphasis,
   HTML, LaTeX style wrappers, struck-out text), the phrases "true or false" / "true/false"
   of the question, and the sentence(s) of the copied statement (found with the question's
   recognition phrases), unless that sentence opens with a verdict or gives it after a
   separator on the same line ("<statement> - False, ...").
2. The *stated* verdict is the first verdict token where the answer starts (after
   list labels such as ``A.``/``3.``/``a)`` and markers such as ``**Answer:**``):
   ``True``, ``**FALSE**``, ``T.``, ``F``, typos (``flase``, ``ture``), ``correct`` /
   ``incorrect`` / ``wrong`` / ``right``, "The answer is F", "This statement is
   generally true", "not true".
3. *Conclusions* anywhere: "the answer is ...", "the sentence is ...", "therefore,
   false", a line ending ``...: F.`` / ``... T.``.  A conclusion with both values
   ("technically false but in a practical sense true") or a conditional one that
   disagrees ("if ... then the answer is True") makes the answer ``hedged``.
4. The stated verdict wins; when a conclusion contradicts it, it is kept and a note
   says so (read unsure: review).  No stated verdict: the last conclusion.  Nothing, but
   "it depends" / both values offered: ``hedged``.  Nothing at all: unreadable (review).
5. Hedges on the verdict's own sentence: its opposite offered as well ("False (it can also
   be true)", "true in general but false for ...") -> ``hedged``; "it depends", "arguably",
   "partially", an exception ("can be true only if ...") -> the value, read unsure (review).
   A verdict word used as an adjective ("the true gradient") is no verdict.

Other languages' verdict words (verdadero, nicht richtig, 对, 不对, 네 ...) read the same way, from one
explicit table (``auditor.claims.verdict_words``); a CJK word only where it stands as the answer.
An opening yes/no whose own sentence gives the opposite verdict ("No, it is true") is ``hedged``.

When the text holds a whole list of verdicts (labelled lines, a run on one line, a table:
``auditor.claims.verdict_lists``), sub-statement k takes the k-th verdict, with a note.
Opening "No"/"Correct"/"Right"/"Wrong" count only when punctuation follows them
("No gradient flows ..." is not a verdict).
"""
from __future__ import annotations

import re

from auditor.claims.text import LABEL, Doc, blank, make_doc, phrase_regex, pick_segments, sentences
from auditor.claims.verdict_lists import WORD, pick_inline, pick_item, pick_table
from auditor.assignment.conventions.slots import FOREIGN_ANSWER_WORDS
from auditor.claims.verdict_words import (CJK, ENGLISH, FOREIGN, FOREIGN_LEAD, FOREIGN_NEG, NEEDS_STOP, NEG_AFTER, OPENING,
                                          STOP, YESNO, CJK_HEDGE, contradicted_in, value as _value)
from auditor.models import Answer, Claim, QuestionSpec

# a single-letter verdict: T/F standing alone (not part of a word, not "F(x)")
LETTER = r"(?:[tf](?=[ \t]*(?:[.,:;!)\-–]|\n|$)|[ \t]+\((?![^)\n]{0,4}\)))|(?<=\()[tf](?=\)))"

_NOT_VERDICT = re.compile(
    r"\btrue\s*(?:or|/|\\)\s*false\b|\bfalse\s*(?:or|/)\s*true\b|\bt\s*/\s*f\b|"
    r"\b(?:right|left)[- ](?:hand|side|most|angle)\w*|\ball\s+right\b|\bright\s+(?:now|away|after|before)\b",
    re.I,
)

_LABEL = re.compile(r"[ \t]*(?:" + LABEL + r"|\(\w{1,3}\)|[-*•+])[ \t]*(?=\S|\n)")
# a lone T/F in a label's place is the verdict itself ("T.", "(F)", "F -", "T:")
_LETTER_LABEL = re.compile(r"\s*\(?\s*[TtFf]\s*(?:[.):]|[-–—])?\s*\)?\s*")
_MARKER = re.compile(
    r"[ \t]*(?:答|" + FOREIGN_ANSWER_WORDS + r")[ \t]*[:：]|"
    # a LaTeX-styled marker, or what is left of one: "$\color{blue}{\textit Your Answer:}$", "}$"
    r"[ \t]*(?:\{\s*)?\\[A-Za-z]+(?:\s*\{[^{}\n]*\})?(?:\s*\{?\s*\\[A-Za-z]+)*\s*(?:your\s+|my\s+)?(?:answers?|ans)\s*:?\s*\}*|"
    r"[ \t]*\}+|"
    r"[ \t]*(?:the\s+|my\s+|our\s+|your\s+)?(?:answers?|asnwers?|answres?|ans|solution)\b(?![ \t]+(?:is|if|was|would|will)\b)[ \t]*(?:\d+(?:\.\d+)*)?[ \t]*[:.\-–]?"
    r"[ \t]*(?:\d+(?:\.\d+)*[.):](?![\dA-Za-z]))?", re.I)
_FRAME = re.compile(r"[ \t]*(?:-{3,}|={3,}|_{3,}|\*{3,})[ \t]*(?=\n|$)|[ \t]*[:\-–—>]+(?=\s)")

_START = re.compile(
    r"(?P<pre>(?:(?:so|thus|hence|therefore|in\s+my\s+opinion|(?:i|we)\s+(?:think|believe|claim|would\s+say|say)"
    r"(?:\s+that)?)\s*,?\s+)?"
    r"(?:(?:the\s+)?answer\s+(?:i[sf]|would\s+be|will\s+be|should\s+be)\s*:?\s+|"
    r"(?:this|that|it|(?:the\s+)?(?:statement|sentence|claim|above))(?:\s+statement|\s+sentence|\s+claim)?\s*"
    r"(?:is|'s|’s|would\s+be)\s+(?:an?\s+(?=\w+\s+(?:statement|claim|sentence|assertion)\b))?|"
    r"(?:it|this|that)\s+is\s+|(?:he|she|they)\s+(?:is|are)\s+)?"
    r"(?P<adv>(?:(?:generally|mostly|partially|partly|technically|definitely|absolutely|usually|"
    r"typically|very|probably|not|completely|entirely|totally)\s+)*)[(\[]?)"
    r"(?:" + FOREIGN_LEAD + r"\s+)?(?:(?P<fneg>" + FOREIGN_NEG + r")\s+)?"
    r"(?P<w>" + WORD + r"|yes|no|" + OPENING + r"|" + LETTER + r")\b",
    re.I,
)

_CONCLUSION = re.compile(
    r"(?:(?:the\s+)?answer\s+(?:i[sf]|would\s+be|will\s+be|should\s+be)|(?:the|this|that)\s+(?:statement|sentence|claim)\s+(?:is|would\s+be)|"
    r"(?:therefore|thus|hence|so|overall|in\s+conclusion|to\s+conclude|to\s+sum\s+up)\s*,?\s*(?:the\s+answer\s+is|it\s+is|it's|this\s+is|the\s+statement\s+is)?|"
    r"(?:i|we)\s+(?:would\s+say|think|believe|claim|conclude)\s+(?:that\s+)?(?:it\s+is|it['’]s|this\s+is|the\s+(?:statement|claim)\s+is)?|"
    r"makes?\s+(?:the\s+|this\s+)?(?:statement|claim|sentence|it))"
    r"\s*:?\s+(?P<adv>(?:(?:generally|mostly|technically|definitely|absolutely|probably|not)\s+)*)"
    r"(?P<w>" + WORD + r")\b",
    re.I,
)
# "...compared to GD. F."  /  "...vanishing gradients: F."  /  "... - False"
_TRAILING = re.compile(r"[.:;,\-–)]\s*(?P<w>" + WORD + r"|[TF])\s*[.!]?\s*$", re.I | re.M)
# "the statement (does not) hold(s)"
_HOLDS = re.compile(r"\b(?:the|this|that)\s+(?:statement|claim|sentence)\s+(?P<neg>does\s*n['’]?o?t\s+|do\s+not\s+)?holds?\b", re.I)
_DEPENDS = re.compile(r"\bit\s+depends\b|^\s*depends\b|\bboth\s+true\s+and\s+false\b|\bcan\s+be\s+(?:either\s+)?true\s+or\s+false\b", re.I | re.M)


def _flip(v: str) -> str:
    return "false" if v == "true" else "true"


def _strip_statement(masked: str, phrases: tuple[str, ...]) -> str:
    """Blank the copied statement: sentences holding a recognition phrase that do not
    open with a verdict (those are the student's answer, e.g. "True, SGD is ...")."""
    out = masked
    for phrase in phrases:
        if not phrase.strip():
            continue
        rx = phrase_regex(phrase)
        for m in rx.finditer(out):
            for a, b in sentences(out):
                if a <= m.start() < b:
                    head = out[a:b]
                    k = _skip_prefix(head, 0)
                    sm = _START.match(head, k)
                    if sm and _value(sm.group("w")) and not sm.group("pre").strip():
                        out = blank(out, a + sm.end(), b)
                    else:
                        after = _answer_after_copy(out, m.end(), b)
                        out = blank(out, a, after if after is not None else b)
                    break
    return out


# what separates a copied statement from the verdict on the same line: " - ", ":", "->", "=>", "?"
_COPY_SEPARATOR = re.compile(r"[ \t]+[-–—]+|[-=]+>|[:?>]")


def _answer_after_copy(work: str, lo: int, hi: int) -> int | None:
    """Where the verdict starts when the statement is copied with the verdict after it on
    the same line ("<statement> - True, because ..."), else None."""
    for sep in _COPY_SEPARATOR.finditer(work, lo, hi):
        if "\n" in work[lo:sep.start()]:
            break
        value, s0, _ = _stated_at(work, sep.end())
        if value and s0 < hi:
            return sep.end()
    return None


def _skip_prefix(text: str, pos: int) -> int:
    """Skip whitespace, framing lines, answer markers and list labels."""
    while True:
        start = pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        for rx in (_FRAME, _MARKER, _LABEL):
            m = rx.match(text, pos)
            if m and m.end() > pos:
                # a bare T./F. label is a verdict unless a verdict follows it
                if rx is _LABEL and _LETTER_LABEL.fullmatch(m.group(0)):
                    nxt = _START.match(text, _skip_prefix(text, m.end()))
                    if not (nxt and _value(nxt.group("w")) and len(nxt.group("w")) > 1):
                        return pos + re.search(r"[TtFf]", m.group(0)).start()
                pos = m.end()
                break
        if pos == start:
            return pos


_MARKER_LINE = re.compile(r"(?im)^[^\w\n]*(?:answers?|asnwers?|ans|" + FOREIGN_ANSWER_WORDS + r")\b[^\w\n]*(?:[:：]|$)")


def _stated(work: str) -> tuple[str | None, int, int]:
    """The verdict where the answer starts (the text start, or right after an answer
    marker when a copied question precedes it): (value, start, end) or (None, ...)."""
    for origin in [0] + [m.start() for m in _MARKER_LINE.finditer(work)]:
        found = _stated_at(work, origin)
        if found[0]:
            return found
    return None, 0, 0


def _stated_at(work: str, origin: int) -> tuple[str | None, int, int]:
    pos = _skip_prefix(work, origin)
    m = _START.match(work, pos)
    if not m:
        return None, pos, pos
    v = _value(m.group("w"))
    if v is None:
        return None, pos, pos
    word = m.group("w").lower()
    pre = m.group("pre").lower()
    # "yes"/"no" (any language) count only as a bare opening word; a bare "No"/"Correct"/"Right"
    # opening a sentence ("No gradient ...", "Correct gradients ...") is a verdict only when
    # punctuation or the line end follows it; a CJK word always needs it (对于 ..., 是因为 ...)
    if word in YESNO and pre.strip():
        return None, pos, pos
    if word in NEEDS_STOP and (not pre.strip() or word in _CJK_WORDS) and not re.match(STOP, work[m.end("w"):]):
        return None, pos, pos
    # a negation after a foreign word ("richtig nicht"), or "no" before an English one ("no true"): unsure
    fneg = (m.group("fneg") or "").lower()
    if (word in FOREIGN and NEG_AFTER.match(work, m.end("w"))) or (fneg == "no" and word in ENGLISH):
        return None, pos, pos
    if ("not " in m.group("adv").lower() + " ") != bool(fneg):
        v = _flip(v)
    return v, m.start("w"), m.end("w")


_CJK_WORDS = frozenset(CJK["true"] + CJK["false"])
_NEGATED = re.compile(r"(?:\b(?:not|never|no|nicht|pas|non|não|nao)|n['’]t)\s+(?:\w+\s+)?$", re.I)


def _turned(work: str, s0: int, s1: int, value: str) -> tuple[int, int, bool] | None:
    """An opening yes/no or CJK word whose own sentence (on its line) then gives the opposite
    verdict ("No, it is true", "否，这是正确的"): (start, end, True) - it does not say which it
    means; a CJK hedge there ("不一定"): (start, end, False)."""
    if work[s0:s1].lower() not in YESNO | _CJK_WORDS:
        return None
    end = min(_clause_end(work, s0), (work.find("\n", s1) + 1 or len(work) + 1) - 1)
    stop = re.search(r"[。！？]", work[s1:end])
    end = s1 + stop.start() if stop else end
    for x in re.finditer(r"\b(?P<w>" + WORD + r")\b" + PREDICATIVE, work[:end], re.I):
        if x.start() < s1:
            continue
        xv = _value(x.group("w"))
        if _NEGATED.search(work[max(s1, x.start() - 30):x.start()]):
            xv = _flip(xv)
        if xv != value:
            return x.start(), x.end(), True
    c = contradicted_in(work[s1:end], value)
    if c:
        return s1 + c.start(), s1 + c.end(), True
    h = CJK_HEDGE.search(work, s1, end)
    return (h.start(), h.end(), False) if h else None


_CONTRAST = re.compile(r"\s*(?:but|however|yet|though|although|on\s+the\s+other\s+hand|nevertheless|still)\b", re.I)


def _clause_end(work: str, pos: int) -> int:
    """End of the sentence holding ``pos``, extended over a next sentence that qualifies it
    ("... false! But in practice true.")."""
    sents = sentences(work)
    for i, (a, b) in enumerate(sents):
        if a <= pos < b:
            if i + 1 < len(sents) and _CONTRAST.match(work, sents[i + 1][0]):
                return sents[i + 1][1]
            return b
    return len(work)


# a verdict word used predicatively ("... false for ...", "... true."), not as an adjective ("a false minimum")
PREDICATIVE = (r"(?=\s*(?:[.,;:!)]|$|\s+(?:for|in|when|if|because|since|as|on|under|with|otherwise|too|also|though|"
               r"then|sometimes|often|always|here|there|anymore|either|only|unless|provided|given|depending|assuming|"
               r"whenever|where|at|to)\b))")
# a verdict qualified by a hedge: "it depends", "depending on", "arguably", "not necessarily",
# "(it) can/could also be true", "may be considered false" (the opposite value: see _hedge)
_HEDGE = re.compile(
    r"\bit\s+(?:all\s+|really\s+)?depends\b|\bdepending\s+on\b|^\s*depends\b|\barguabl[ey]\b|\bnot\s+necessarily\b|"
    r"\b(?:can|could|may|might)\s+(?:also\s+)?(?:be\s+)?(?:considered|seen\s+as|argued\s+(?:to\s+be|as)|said\s+to\s+be|"
    r"regarded\s+as|be)\s+(?:\w+\s+)?(?P<opp>" + WORD + r")\b" + PREDICATIVE + r"|\b(?:can|could|may|might)\s+also\s+be\s+(?:argued|said|claimed)\b",
    re.I | re.M)


# "true in general but false for ...": the opposite verdict after a contrast, in the same sentence
_CONTRAST_OPPOSITE = re.compile(r"\b(?:but|however|yet|though|although|whereas|while)\b[^.\n]{0,80}?\b(?P<opp>true|false)\b"
                                + PREDICATIVE, re.I | re.M)


def _hedge(work: str, at: int, value: str) -> tuple[int, int, bool] | None:
    """(start, end, gives the opposite) of a hedge that qualifies the verdict at ``at``: in its
    own sentence (with a parenthesis or a contrastive next sentence), never one that agrees."""
    end = _clause_end(work, at)
    close = work.find(")", at, at + 400)
    if close > end and "(" in work[at:end + 1]:
        end = close
    a = max((x for x, _ in sentences(work) if x <= at), default=0)
    for m in _CONTRAST_OPPOSITE.finditer(work, at, end):
        if _value(m.group("opp")) not in (None, value) and not re.search(r"\bnot\b|n['’]t\b", m.group(0), re.I):
            return m.start(), m.end(), True
    for m in _HEDGE.finditer(work, a, end):
        opp = m.group("opp")
        if opp is not None and _value(opp) in (None, value):
            continue
        if opp is not None and re.search(r"\bnot\b|n['’]t\b", work[m.start():m.start("opp")], re.I):
            continue
        # "it can be true only if ...": an exception explained, not a second verdict
        conditional = bool(re.match(r"\s*,?\s*(?:only\s+)?(?:if|when|unless|in\s+(?:the\s+)?case)\b", work[m.end():], re.I))
        return m.start(), m.end(), opp is not None and not conditional
    return None


def _conclusions(work: str) -> list[dict]:
    found: list[dict] = []
    for m in _CONCLUSION.finditer(work):
        v = _value(m.group("w"))
        if v is None:
            continue
        if "not" in m.group("adv").lower().split():
            v = _flip(v)
        sent_start = max((a for a, _ in sentences(work) if a <= m.start()), default=0)
        before = work[sent_start:m.start()].lower()
        introduced = re.match(r"(?:therefore|thus|hence|so|overall|in\s+conclusion|to\s+conclude|to\s+sum)", m.group(0), re.I)
        conditional = not introduced and bool(re.search(r"\bif\b|\bwhen\b|\bassuming\b", before))
        rest = work[m.end():_clause_end(work, m.start())]
        dual = any(_value(x.group(0)) not in (None, v)
                   for x in re.finditer(r"\b" + WORD + r"\b" + PREDICATIVE, rest, re.I | re.M))
        found.append(dict(value=v, start=m.start("w"), end=m.end("w"), conditional=conditional, dual=dual))
    for m in _HOLDS.finditer(work):
        found.append(dict(value="false" if m.group("neg") else "true", start=m.start(), end=m.end(),
                          conditional=False, dual=False))
    for m in _TRAILING.finditer(work):
        v = _value(m.group("w"))
        if v is None or any(f["start"] <= m.start("w") < f["end"] + 1 for f in found):
            continue
        found.append(dict(value=v, start=m.start("w"), end=m.end("w"), conditional=False, dual=False))
    found.sort(key=lambda f: f["start"])
    return found


def _hedged(doc: Doc, value: str, at: int, hedge: tuple[int, int, bool]) -> Claim:
    """A verdict qualified by its own opposite gives both: ``hedged``.  One qualified by "it
    depends" / "arguably" keeps its value but is read unsure, so it goes to review."""
    quote = doc.text[hedge[0]:hedge[1]]
    span = doc.quote(at, hedge[1])
    if hedge[2]:
        return Claim(kind="verdict", value="hedged", span=span, notes=(f"{value}, but also '{quote}'",))
    return Claim(kind="verdict", value=value, span=span, notes=(f"{value}, hedged by '{quote}'",),
                 confidence=0.3, reason=f"hedged: '{quote}'")


def read_verdict(answer: Answer, question: QuestionSpec) -> Claim:
    segs = pick_segments(answer, ("markdown", "output", "code"))
    if not segs:
        return Claim(kind="verdict", readable=False, notes=("no answer text",))
    doc: Doc = make_doc(segs)
    work = doc.masked
    work = _NOT_VERDICT.sub(lambda m: " " * len(m.group(0)), work)
    work = _strip_statement(work, tuple(question.phrases))

    picked = (pick_item(work, question.sub, _stated_at) or pick_inline(work, question.sub, _skip_prefix(work, 0), _value)
              or pick_table(work, question.sub, _value))
    if picked is not None:
        value, s0, s1, note = picked
        if not value:
            return Claim(kind="verdict", readable=False, span=doc.quote(s0, s1), notes=(note,))
        return Claim(kind="verdict", value=value, span=doc.quote(s0, s1), notes=(note,) if note else ())
    stated, s0, s1 = _stated(work)
    concl = _conclusions(work)
    concl = [c for c in concl if not (stated and c["start"] == s0)]
    notes: list[str] = []

    duals = [c for c in concl if c["dual"]]
    if duals:
        c = duals[-1]
        return Claim(kind="verdict", value="hedged", span=doc.quote(c["start"], c["end"]),
                     notes=("gives both verdicts in its conclusion",))
    if stated:
        cond = [c for c in concl if c["conditional"] and c["value"] != stated]
        if cond:
            c = cond[-1]
            return Claim(kind="verdict", value="hedged", span=doc.quote(c["start"], c["end"]),
                         notes=(f"states {stated} but adds a condition under which it is {c['value']}",))
        hedge = _turned(work, s0, s1, stated) or _hedge(work, s0, stated)
        if hedge:
            return _hedged(doc, stated, s0, hedge)
        partly = re.search(r"\b(?:partially|partly|half|somewhat)\s+(?:\w+\s+)?$", work[max(0, s0 - 25):s0], re.I)
        if partly:
            return _hedged(doc, stated, s0, (s0 - len(partly.group(0)), s0 - 1, False))
        against = [c for c in concl if not c["conditional"] and c["value"] != stated]
        if against:
            notes.append(f"verdict word '{doc.text[s0:s1].strip()}' contradicts its own explanation "
                         f"('{doc.text[against[-1]['start']:against[-1]['end']]}')")
        return Claim(kind="verdict", value=stated, span=doc.quote(s0, s1), notes=tuple(notes))
    plain = [c for c in concl if not c["conditional"]]
    if plain:
        c = plain[-1]
        hedge = _hedge(work, c["start"], c["value"])
        if hedge:
            return _hedged(doc, c["value"], c["start"], hedge)
        if len({p["value"] for p in plain}) > 1:
            notes.append("its conclusions disagree; the last one is taken")
        return Claim(kind="verdict", value=c["value"], span=doc.quote(c["start"], c["end"]), notes=tuple(notes))
    if concl:
        c = concl[-1]
        return Claim(kind="verdict", value="hedged", span=doc.quote(c["start"], c["end"]),
                     notes=("only a conditional verdict",))
    dm = _DEPENDS.search(work)
    if dm:
        return Claim(kind="verdict", value="hedged", span=doc.quote(dm.start(), dm.end()),
                     notes=("does not commit to true or false",))
    return Claim(kind="verdict", readable=False, notes=("no true/false verdict found",))
