"""Text plumbing shared by the claim readers (auditor.claims.read and auditor.claim_*).

The readers match regular expressions for *tokens* (a verdict word, a number, a
tuple) on a **masked** copy of the answer text: markup that carries no meaning
(HTML tags, ``**`` bold, ``_italic_``, backticks, ``$`` math delimiters, LaTeX style
wrappers such as ``\\text{}``/``\\textbf{}``, block quotes, struck-out text, check marks,
escaping backslashes) is replaced by spaces of the same length, nested markup to a fixpoint.
``LABEL`` is the one grammar of list labels (``2.A``, ``A -``, ``(b)``, ``iv.``) the readers share.  Offsets in the masked text are
therefore offsets in the student's text, and every claim can quote the exact
text it was read from (``Span``), as a TA would check it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.models import Answer, Segment, Span

MAX_QUOTE = 119          # Span.text stays under 120 characters

_MASKS = (
    re.compile(r"<!--.*?-->", re.S),                 # html comments
    re.compile(r"~~[^~\n]+~~|<(?:s|del|strike)>[^<\n]*</(?:s|del|strike)>"),   # struck out: not the claim
    re.compile(r"[✓✔✗✘❌✅☑☒►▪▸]"),   # check/cross marks, pointers
    re.compile(r"</?[A-Za-z][^<>\n]*>"),             # html tags: <u>, <font color=..>, <br/>
    re.compile(r"\*\*|__"),                          # bold
    re.compile(r"(?<![\w*\\])\*{1,3}(?=[^\W\d_])|(?:(?<=[^\W\d_])|(?<=[.!?]))\*{1,3}(?![\w*])"),   # *italic*, *对*, ***both***
    re.compile(r"(?<![\w\\])_(?=[\w(*$])|(?<=[\w.!?)*])_(?![\w{(])"),   # _italic_ (not p_1, r_{out})
    re.compile(r"\*{1,3}(?=\$?\\(?:text|math|emph|underline|bf|it)\w*\s*\{)|(?<=[}$])\*{1,3}(?![\w*])"),  # *\textbf{..}*
    re.compile(r"`+"),                               # code ticks
    re.compile(r"\$+"),                              # math delimiters
    re.compile(r"\\(?=[*_$#\[\]()])"),               # markdown escapes: \* \_
    re.compile(r"&nbsp;|\r|\u00a0"),                 # non-breaking spaces, CR of CRLF line ends
    re.compile(r"(?m)^[ \t]*(?:>[ \t]?)+"),            # block quotes
)


# LaTeX wrappers that only style their argument: \text{True}, \textbf{False}, {\bf T},
# \textcolor{red}{true}: the wrapper and its closing brace are blanked, the argument kept
_LATEX_WRAP = re.compile(
    r"(?P<open>\\(?:text(?:bf|it|tt|rm|sf|sc|normal|up)?|math(?:rm|bf|it|sf|tt|bb|normal)|emph|underline|"
    r"boldsymbol|bm|(?:text)?color\s*\{[^{}\n]*\})\s*\{)(?P<arg>[^{}\n]*)(?P<close>\})|"
    r"(?P<open2>\{\s*\\(?:bf|it|em|rm|tt)\b\s*)(?P<arg2>[^{}\n]*)(?P<close2>\})")


def mask(text: str) -> str:
    """Same-length copy of ``text`` with meaningless markup blanked out."""
    chars = list(text)

    def blank_range(a: int, b: int) -> None:
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "

    current = text
    while True:         # nested markup (*\textbf{$\text{False}$}*) unwraps from the inside out
        for rx in _MASKS:
            for m in rx.finditer(current):
                blank_range(m.start(), m.end())
        for m in _LATEX_WRAP.finditer(current):
            o, c = ("open", "close") if m.group("open") else ("open2", "close2")
            blank_range(m.start(o), m.end(o))
            blank_range(m.start(c), m.end(c))
        masked = "".join(chars)
        if masked == current:
            return masked
        current = masked


# --------------------------------------------------------------------------- list labels

# One list item label, in any style students use: 1.  2)  (3)  a.  b)  (c)  iv.  3.1  2.A  2.a)
# A -  A:  (**A.** is the same once emphasis is masked).  The ordinal is the last component.
_ITEM = r"(?:\d+(?:\.\d+)*\.?)?(?:[A-Za-z]|[ivxIVX]{2,4})(?![A-Za-z])|\d+(?:\.\d+)*"
LABEL = (r"(?:(?P<l3>\d+(?:\.\d+)*\.?[A-Za-z]|\d+\.\d+(?:\.\d+)*)(?=[ \t])"
         r"|\(\s*(?P<l1>" + _ITEM + r")\s*\)"
         r"|(?P<l2>" + _ITEM + r")[ \t]*[.):](?!\d)"
         r"|(?P<l4>[A-Za-z]|[ivxIVX]{2,4})[ \t]+[-–—](?=[ \t]))")
LABEL_PLAIN = re.sub(r"\(\?P<\w+>", "(?:", LABEL)     # the same, without named groups (to use twice)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


def label_text(m: re.Match[str]) -> str:
    """The label of a match of a pattern built with ``LABEL``."""
    return next(g for g in (m.group("l1"), m.group("l2"), m.group("l3"), m.group("l4")) if g)


_LINE_LABEL = re.compile(r"(?m)^[ \t]*(?:(?:[-*•+](?=[ \t])|answers?[ \t]*:|(?:" + LABEL + r"))[ \t]*)*", re.I)


def blank_labels(masked: str) -> str:
    """``masked`` with the list label or bullet that opens each line blanked (same length)."""
    return _LINE_LABEL.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), masked)


def label_ordinal(label: str) -> int:
    """1-based ordinal of a label: its last component (``2.A`` -> 1, ``iii`` -> 3, ``3.2`` -> 2)."""
    last = re.findall(r"\d+|[A-Za-z]+", label)[-1].lower()
    if last.isdigit():
        return int(last)
    if len(last) > 1:
        return _ROMAN.get(last, 0)
    return ord(last) - ord("a") + 1


def blank(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) replaced by spaces (newlines kept)."""
    return text[:start] + "".join("\n" if c == "\n" else " " for c in text[start:end]) + text[end:]


@dataclass(frozen=True)
class Doc:
    """The segments of an answer joined into one text, with a way back to each cell."""

    text: str                                # original text, segments joined by "\n"
    masked: str                              # mask(text)
    starts: tuple[int, ...]                  # offset of each segment in text
    segments: tuple[Segment, ...]

    def cell_at(self, offset: int) -> int:
        idx = 0
        for i, s in enumerate(self.starts):
            if s <= offset:
                idx = i
        return self.segments[idx].cell

    def quote(self, start: int, end: int) -> Span:
        return quote_span(self, start, end)


def make_doc(segments: tuple[Segment, ...] | list[Segment]) -> Doc:
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for seg in segments:
        starts.append(pos)
        parts.append(seg.text)
        pos += len(seg.text) + 1
    text = "\n".join(parts)
    return Doc(text=text, masked=mask(text), starts=tuple(starts), segments=tuple(segments))


def pick_segments(answer: Answer, prefer: tuple[str, ...] = ("markdown", "output", "code")) -> tuple[Segment, ...]:
    """The segments to read a prose claim from: the first source kind (in ``prefer``
    order) that has any non-blank text.  A template's printed output next to a written
    answer is not the student's claim; an answer given only as printed output is."""
    for kind in prefer:
        segs = tuple(s for s in answer.segments if s.source == kind and s.text.strip())
        if segs:
            return segs
    return ()


def line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    return a, (len(text) if b < 0 else b)


def quote_span(doc: Doc, start: int, end: int) -> Span:
    """An exact quote (< 120 chars) around text[start:end]: its line, cut to a window."""
    text = doc.text
    a, b = line_bounds(text, start, max(start, end - 1) if end > start else start)
    if end > b:          # a match across lines (e.g. "A.\n True"): keep the lines
        b = line_bounds(text, end - 1, end)[1]
    # keep inside one segment
    seg_start = max(s for s in doc.starts if s <= start)
    a = max(a, seg_start)
    # trim leading/trailing blanks
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b - a > MAX_QUOTE:
        # the sentence holding the match, when it fits
        for sa, sb in sentences(text, a, b):
            if sa <= start < sb and end <= sb:
                while sa < sb and text[sa].isspace():
                    sa += 1
                if sb - sa <= MAX_QUOTE:
                    a, b = sa, sb
                break
    if b - a > MAX_QUOTE:
        # a window that contains the match, preferring text after it (the explanation)
        lo = max(a, min(start, end - MAX_QUOTE) if end - start < MAX_QUOTE else start)
        lo = max(a, lo - 20) if end - lo + 20 <= MAX_QUOTE else lo
        hi = min(b, lo + MAX_QUOTE)
        # do not cut words at the edges when we can avoid it
        while hi < b and hi > end and not text[hi - 1].isspace() and hi - lo > 40:
            hi -= 1
        while lo > a and lo < start and not text[lo - 1].isspace() and hi - lo > 40:
            lo += 1
        a, b = lo, hi
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
    return Span(cell=doc.cell_at(start), text=text[a:b])


# --------------------------------------------------------------------------- sentences

_SENT_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\betc)"       # abbreviations do not end sentences
    r"(?:[.!?;:](?=\s|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|[A-Za-z][.)])\s))"
)


def sentences(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of the sentences in text[lo:hi]; the end includes the full stop."""
    hi = len(text) if hi is None else hi
    out: list[tuple[int, int]] = []
    start = lo
    for m in _SENT_END.finditer(text, lo, hi):
        end = m.end() if text[m.start()] not in "\n" else m.start()
        if text[start:end].strip():
            out.append((start, end))
        start = m.end()
    if text[start:hi].strip():
        out.append((start, hi))
    return out


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    for a, b in sentences(text):
        if a <= pos < b:
            return a, b
    return line_bounds(text, pos, pos + 1)


def phrase_regex(phrase: str) -> re.Pattern[str]:
    """Case-insensitive, whitespace-tolerant regex for a spec phrase (markup masked)."""
    words = [re.escape(w) for w in mask(phrase).split()]
    return re.compile(r"\s+".join(words), re.I)


def blank_questions(masked: str, phrases: tuple[str, ...] = ()) -> str:
    """Blank copied question text: sentences holding a recognition phrase, and
    sentences that are questions (end with '?')."""
    out = masked
    for phrase in phrases:
        if phrase.strip():
            for m in phrase_regex(phrase).finditer(out):
                a, b = sentence_at(out, m.start())
                out = blank(out, a, b)
    for m in re.finditer(r"[^.!?\n]*\?", out):
        out = blank(out, m.start(), m.end())
    return out
