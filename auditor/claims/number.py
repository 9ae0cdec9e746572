"""Read the final concluded integer of a "how large is it" answer (the receptive field).

Method: the answer's prose (markdown first, else printed output; never the code
itself) is cut into clauses.  Each clause can yield one candidate value:
``\\boxed{...}`` (wins outright), ``N x N`` / ``N \\times N`` (the side N), the result
of an equation chain (``r_5 = 16 + 12*8 = 112``; also ``55=5+(26-1)*2``), the value
after "receptive field ... is/of/to", else the clause's last free-standing number.
Clauses about something else are distractors and yield nothing: kernel / stride /
dilation / padding sizes, parameter and channel counts, output or input sizes and
dimensions, printed ``torch.Size([...])`` shapes, layer indices, list labels.

The *last* candidate is the concluded value (the working comes before the
conclusion).  Notes: an area (``17x17 = 289`` then "289 pixels") is kept as stated
and noted; a conclusion that is not an equation and disagrees with the equation
result just before it ("... = 112" then "122x122") is reported with a note.
"""
from __future__ import annotations

import math
import re

from auditor.claims.text import Doc, make_doc, mask, sentences
from auditor.models import Answer, Claim, QuestionSpec

_NUM = r"\d+(?:\.\d+)?"
_SQUARE = re.compile(r"(?<![\w.])(\d+)\s*(?:[xX×]|by)\s*(\d+)(?!\w|\.\d)")
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_RF = re.compile(r"receptive|\brf\b|\br\s*=|field", re.I)
_DISTRACT = re.compile(
    r"kernel|stride|dilat|padding|pool(?:ing)?\s*size|\bk\s*=|\bs\s*=|\bd\s*=|\bp\s*=|parameter|params|"
    r"weights|channel|\bshape\b|dimension|output\s+(?:size|shape)|spatial|input\s+(?:size|image)|"
    r"torch\.size|\bbatch|\bepoch|\bjumps?\b",
    re.I,
)
_ID_NUMBER = re.compile(r"\b(?:layer|conv|convolution|step|tutorial|hw|question|part|section|block)\s*(?:#\s*)?$", re.I)
_RULED_OUT = re.compile(r"(?:\bnot|\brather\s+than|\binstead\s+of|\bbut\s+not)\s*$", re.I)   # "112, not 122"
_UNIT_AFTER = re.compile(r"\s*(?:parameters|params|channels|weights|layers|epochs|filters)\b", re.I)


_THOUSANDS = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,]|\.\d)")


def _prepare(text: str) -> str:
    """Same-length normalisation for number reading (offsets unchanged)."""
    out = text
    for sym in "⋅·∙×":
        out = out.replace(sym, "*")
    out = out.replace("−", "-").replace("–", "-")
    rules = [
        (re.compile(r"\\(?:cdot|ast)\b"), "*"),
        (re.compile(r"\\times(?![A-Za-z])"), "x"),
        (re.compile(r"\\[A-Za-z]+"), ""),                                   # other LaTeX commands
        (re.compile(r"_\{[^{}\n]*\}|_\w+|\^\{[^{}\n]*\}|\^\w"), ""),       # sub/superscripts
        (re.compile(r"torch\.Size\(\[[^\]]*\]\)|\[\s*\d+(?:\s*,\s*\d+){1,}\s*\]|\(\s*\d+(?:\s*,\s*\d+){2,}\s*\)"), ""),
        (re.compile(r"\([^()\n]*[A-Za-z]{3,}[^()\n]*\)"), ""),              # parenthesised remarks
        (re.compile(r"(?m)^[ \t]*(?:\d+(?:\.\d+)*|[A-Za-z])[.)](?=\s)"), ""),  # list labels
        (re.compile(r"[{}]"), ""),
    ]
    # thousands separators: "1,156" is one number (read whole, never "156")
    out = _THOUSANDS.sub(lambda m: m.group(0).replace(",", "") + " " * m.group(0).count(","), out)
    for rx, repl in rules:
        chars = list(out)
        for m in rx.finditer(out):
            for i in range(m.start(), m.end()):
                if chars[i] != "\n":
                    chars[i] = " "
            if repl:
                chars[m.start()] = repl
        out = "".join(chars)
    return out


def _clauses(work: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sentences(work):
        start = a
        for m in re.finditer(r",\s|;\s|\n", work[a:b]):
            out.append((start, a + m.start()))
            start = a + m.end()
        out.append((start, b))
    out = [(a, b) for a, b in out if work[a:b].strip()]
    # a list of numbers ("jumps 1, 2, 8") stays with the clause that introduces it
    merged: list[tuple[int, int]] = []
    for a, b in out:
        if merged and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*[.;]?\s*", work[a:b]) and \
                re.search(r"\d\s*,\s*$", work[merged[-1][0]:a]):
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _free_numbers(work: str, a: int, b: int) -> list[re.Match[str]]:
    """Numbers in work[a:b] that are not part of arithmetic, identifiers or counts."""
    found = []
    for m in re.finditer(r"(?<![\w.])" + _NUM + r"(?![\w])", work[:b]):
        if m.start() < a:
            continue
        before = work[a:m.start()].rstrip()
        after = work[m.end():b].lstrip()
        if before.endswith(tuple("+-*/^(")) or after.startswith(tuple("+-*/^)")):
            continue
        if _ID_NUMBER.search(before[-30:]) or _UNIT_AFTER.match(work, m.end()) or _RULED_OUT.search(before[-20:]):
            continue
        found.append(m)
    return found


def _equation_value(work: str, a: int, b: int) -> tuple[int, int, int] | None:
    """Result of an equation chain in work[a:b]: (value, start, end) or None."""
    seg = work[a:b]
    if "=" not in seg:
        return None
    parts = [(m.start(), m.end()) for m in re.finditer(r"[^=]+", seg)]
    if len(parts) < 2:
        return None
    ls, le = parts[-1]
    last = seg[ls:le]
    sq = _SQUARE.match(last.strip())
    m = re.match(r"\s*(" + _NUM + r")\s*(?:[A-Za-z][A-Za-z ]*)?[.]?\s*$", last)
    if sq and sq.group(1) == sq.group(2) and not last.strip()[sq.end():].strip(" .pixelsinput"):
        off = a + ls + last.index(sq.group(0))
        return int(sq.group(1)), off, off + len(sq.group(0))
    if m:
        return _as_int(m.group(1)), a + ls + m.start(1), a + ls + m.end(1)
    # "55=5+(26-1)*2": a bare number right before the first '=' and arithmetic after it
    fs, fe = parts[0]
    first = seg[fs:fe]
    m = re.search(r"(?<![\w.*/+\-^])(" + _NUM + r")\s*$", first)
    if m and re.fullmatch(r"[\d\s+\-*/().]+", seg[parts[1][0]:parts[1][1]].strip(" .") or "x"):
        return _as_int(m.group(1)), a + fs + m.start(1), a + fs + m.end(1)
    return None


def _as_int(s: str) -> int | float:
    v = float(s)
    return int(v) if v.is_integer() else v


def _candidate(work: str, a: int, b: int) -> dict | None:
    clause = work[a:b]
    has_rf = bool(_RF.search(clause))
    if not has_rf and _DISTRACT.search(clause):
        return None
    eq = _equation_value(work, a, b)
    if eq:
        v, s, e = eq
        if has_rf or not _DISTRACT.search(work[a:s]):
            return dict(value=v, start=s, end=e, equation=True)
    for m in reversed(list(_SQUARE.finditer(clause))):
        if m.group(1) == m.group(2):
            return dict(value=int(m.group(1)), start=a + m.start(), end=a + m.end(), equation=False)
    nums = _free_numbers(work, a, b)
    if nums:
        m = nums[-1]
        return dict(value=_as_int(m.group(0)), start=m.start(), end=m.end(), equation=False)
    return None


def _boxed(doc: Doc) -> dict | None:
    last = None
    for m in _BOXED.finditer(doc.text):
        inner = _prepare(m.group(1))
        sq = _SQUARE.search(inner)
        if sq and sq.group(1) == sq.group(2):
            last = dict(value=int(sq.group(1)), start=m.start(), end=m.end(), equation=False)
            continue
        nums = re.findall(_NUM, inner)
        if nums:
            last = dict(value=_as_int(nums[-1]), start=m.start(), end=m.end(), equation=False)
    return last


def _area_note(text: str, value: int | float) -> str | None:
    if not isinstance(value, int) or value < 4:
        return None
    k = math.isqrt(value)
    if k * k != value:
        return None
    prep = _prepare(mask(text))
    pats = (rf"(?<!\d){k}\s*[xX*]\s*{k}\s*=\s*{value}(?!\d)", rf"(?<!\d){k}\s*(?:\^\s*2|²)\s*=\s*{value}(?!\d)",
            rf"{value}\s+(?:input\s+)?pixels?\b.*\barea\b|\barea\b[^.\n]*{value}")
    if any(re.search(p, prep, re.I) for p in pats[:2]) or re.search(pats[2], text, re.I):
        return f"stated as an area ({value} = {k}x{k}; side length {k})"
    return None


def read_number(answer: Answer, question: QuestionSpec | None = None, kind: str = "number") -> Claim:
    # prose and printed output, in notebook order (an answer may print its result)
    segs = tuple(s for s in answer.segments if s.source in ("markdown", "output") and s.text.strip())
    if not segs:
        return Claim(kind=kind, readable=False, notes=("no prose or printed answer to read a number from",))
    doc = make_doc(segs)
    boxed = _boxed(doc)
    if boxed:
        return Claim(kind=kind, value=boxed["value"], span=doc.quote(boxed["start"], boxed["end"]),
                     notes=tuple(n for n in (_area_note(doc.text, boxed["value"]),) if n))
    work = _prepare(doc.masked)
    cands = [c for a, b in _clauses(work) if (c := _candidate(work, a, b))]
    if not cands:
        return Claim(kind=kind, readable=False, notes=("no concluded number found",))
    final = cands[-1]
    notes: list[str] = []
    area = _area_note(doc.text, final["value"])
    if area:
        notes.append(area)
    if not final["equation"] and len(cands) > 1:
        prev = cands[-2]
        if prev["equation"] and prev["value"] != final["value"] and not area:
            notes.append(f"final value {final['value']} contradicts the student's own working, "
                         f"which computes {prev['value']}")
    return Claim(kind=kind, value=final["value"], span=doc.quote(final["start"], final["end"]), notes=tuple(notes))



