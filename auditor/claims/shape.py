"""Read the stated shape of a tensor (the embedding output Y).

Explicit forms: ``(5,6,7,8,42000)``, ``[5, 6, 7, 8, 42000]``, ``torch.Size([...])``,
``5x6x7x8x42000``, ``5 X 6 X 7 X 8 X 42000``, ``5 \\times 6 ...``.  The last shape
stated for the output wins; a shape attributed to the input ("X's shape is
(5, 6, 7, 8)", "X, which is of shape ...") or to a weight table is skipped.

Stated relative to the input ("the first 4 dims are the same as X, the 5th is
42000", "the input shape with the embedding length added at the end"): the shape
is the question's input shape plus the last dimension, taken from the question's
parameters (``input_shape`` + ``embedding_dim``, or parsed from the snippet in any
string parameter: ``size=(5, 6, 7, 8)`` and ``embedding_dim=42000``).  A last
dimension stated in the text overrides the snippet's.  Anything vaguer
("each element gets a vector of size 42000") is not a stated shape: unreadable.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from auditor.claims.text import make_doc, pick_segments
from auditor.models import Answer, Claim, QuestionSpec

_TUPLE = re.compile(
    r"torch\.Size\(\s*\[([\d\s,]+)\]\s*\)|\(([\d\s,]+)\)|\[([\d\s,]+)\]|"
    r"(?<![\w.])(\d+(?:\s*(?:[xX×]|\\times)\s*\d+){2,})(?!\w|\.\d)"
)
_INPUT_SUBJECT = re.compile(
    r"(?:\bX\b|input|original|origin|index|indices|table|matrix|weight|vocabulary|num_embeddings|range|between|values?)[^.\n()\[\]]{0,40}$", re.I)
_INPUT_AFTER = re.compile(r"\s*(?:-?shaped\s+)?(?:input|indices|index\s+tensor|tensor\s+X\b|X\b|of\s+X\b|for\s+X\b)", re.I)
_OUTPUT_SUBJECT = re.compile(r"(?:\bY\b|\by\b|output|result|returned|out\b|it['’]?s\s+shape|its\s+shape)[^.\n()\[\]]{0,40}$", re.I)
_RELATIVE = re.compile(
    r"first\s+(?:\d+|one|two|three|four|five|six)\s+(?:dim(?:ension)?s?|axes)\b[^.\n]{0,60}?\bsame\b|"
    r"same\s+(?:shape|dim(?:ension)?s?)\s+(?:as|of)\s+(?:the\s+)?(?:X|x|input)\b|"
    r"input\s+shape\s+with\s+(?:the\s+)?(?:addition|extra|added|an?\s+additional)|"
    r"(?:added|appended|concatenated)\s+(?:in|at|to)\s+the\s+end\s+of\s+the\s+shape|"
    r"shape\s+of\s+X\s+(?:with|plus|and)\b",
    re.I,
)
_LAST_DIM = re.compile(
    r"(?:(?:last|fifth|5th|final|new|extra|additional)\s+(?:dim(?:ension)?|axis)\w*|embedding\s+dim(?:ension)?|vector\s+(?:length|size))"
    r"[^.\n\d]{0,25}?(\d[\d,]*)|(\d[\d,]*)\s+(?:is\s+)?(?:added|appended)",
    re.I,
)


# a reference to the input's shape: "X's shape", "shape of X", "X.shape", "*X.shape", "dim(X)",
# "shape(X)", "the input('s) shape", "the input dimensions"
_INPUT_REF = re.compile(
    r"\bX\s*['’]\s*s\s+(?:shape|dim(?:ension)?s?|size)|(?:shape|dim(?:ension)?s?|size)\s+of\s+(?:the\s+)?(?:tensor\s+)?(?:X|input)\b|"
    r"\*?\s*\bX\s*\.\s*(?:shape|size\s*\(\s*\))|\b(?:dims?|shape|size)\s*\(\s*X\s*\)|"
    r"\binput\s*(?:['’]\s*s\s+|\s)(?:shape|dim(?:ension)?s|size)", re.I)
# what extends it: ", N)" / "+ (N,)" / "x N" right after it, "(with) an extra/additional/new dimension
# (of size) N", "plus/with/followed by N"; N may be named ("x embedding_dim")
_NUM = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+"
_NAMED = r"embedding[\s_]*(?:dim(?:ension)?|size|length)\w*"
_EXTENSION = re.compile(
    r"^(?:\s*(?:is|=|:)?\s*[(\[][\d\s,]*[)\]])?\s*(?:"
    r"(?:,|\+|\bx\b|×|\\times|\*)\s*[(\[]?\s*(?:(?P<n>" + _NUM + r")|(?P<named>" + _NAMED + r"))"
    r"|[^.\n\d]{0,40}?\b(?:extra|additional|new|added|another|one\s+more|last|fifth|5th|final)\s+"
    r"(?:dim(?:ension)?|axis|axes)\w*[^.\n\d]{0,25}?(?:(?P<n2>" + _NUM + r")|(?P<named2>" + _NAMED + r"))"
    r"|[^.\n\d]{0,30}?\b(?:plus|with|followed\s+by|concatenated\s+with)\s+(?:an?\s+|the\s+)?(?P<n3>" + _NUM + r")\b)",
    re.I)


def _relative_to_input(work: str) -> tuple[int | None, bool, int, int] | None:
    """The last "input shape + one more dimension" statement: (its dimension or None when it is
    named rather than given, True, start, end)."""
    found = None
    for m in _INPUT_REF.finditer(work):
        ext = _EXTENSION.match(work[m.end():m.end() + 90])
        if ext:
            n = ext.group("n") or ext.group("n2") or ext.group("n3")
            dim = int(n.replace(",", "")) if n else None
            found = (dim, True, m.start(), m.end() + ext.end())
    return found


def _ints(text: str) -> list[int] | None:
    nums = re.findall(r"\d+", text)
    return [int(n) for n in nums] if len(nums) >= 2 else None


def snippet_facts(params: Mapping[str, Any]) -> tuple[list[int] | None, int | None]:
    """(input shape, embedding dim) from a question's parameters."""
    shape = params.get("input_shape")
    dim = params.get("embedding_dim")
    for v in params.values():
        if not isinstance(v, str):
            continue
        if shape is None:
            m = re.search(r"size\s*=\s*[(\[]([\d\s,]+)[)\]]", v)
            if m:
                shape = [int(n) for n in re.findall(r"\d+", m.group(1))]
        if dim is None:
            m = re.search(r"embedding_dim\s*=\s*(\d+)", v)
            if m:
                dim = int(m.group(1))
    return (list(shape) if shape else None), (int(dim) if dim else None)


def read_shape(answer: Answer, question: QuestionSpec | None = None) -> Claim:
    segs = pick_segments(answer, ("markdown", "output"))
    if not segs:
        return Claim(kind="shape", readable=False, notes=("no prose answer to read a shape from",))
    doc = make_doc(segs)
    work = doc.masked
    target = str((question.params if question else {}).get("target") or "")
    best = None
    for m in _TUPLE.finditer(work):
        body = next(g for g in m.groups() if g is not None)
        dims = _ints(body.replace(",000", "000"))
        if not dims or 0 in dims:
            continue
        if m.group(0)[0] in "([" and m.start() > 0 and (work[m.start() - 1].isalnum() or work[m.start() - 1] == "_"):
            continue        # call arguments: nn.Linear(420, 42)
        line_start = work.rfind("\n", 0, m.start()) + 1
        before = work[max(line_start, m.start() - 60):m.start()]
        output_named = _OUTPUT_SUBJECT.search(before[-25:]) or (target and re.search(
            rf"\b{re.escape(target)}\b[^.\n()\[\]]{{0,25}}$", before))
        if _INPUT_SUBJECT.search(before) and not output_named:
            continue
        if _INPUT_AFTER.match(work, m.end()) and not output_named:
            continue        # "the (4, 3, 9) input"
        if re.search(r"(?:\bnot|\brather\s+than|\binstead\s+of)\s*$", before, re.I):
            continue        # "(5, 6, 7, 8, 42000), not (5, 6, 7, 8)": ruled out
        best = (dims, m.start(), m.end())
    shape, dim = snippet_facts(question.params if question else {})
    relative = _relative_to_input(work)
    if relative and (best is None or (shape and best[0] == shape) or best[2] <= relative[2]):
        # "X's shape plus a dimension of 42000": the input's shape (quoted or not) extended
        stated, _, r0, r1 = relative
        if shape and (stated or dim):
            return Claim(kind="shape", value=[*shape, stated or dim], span=doc.quote(r0, r1),
                         notes=("shape stated relative to the input's shape",), confidence=0.9,
                         reason="resolved against the question's input shape")
        return Claim(kind="shape", readable=False, span=doc.quote(r0, r1),
                     notes=("shape stated relative to the input, but the input's shape is unknown",))
    if best:
        return Claim(kind="shape", value=best[0], span=doc.quote(best[1], best[2]))
    rel = _RELATIVE.search(work)
    if rel:
        stated = _LAST_DIM.search(work)
        if stated:
            dim = int((stated.group(1) or stated.group(2)).replace(",", ""))
        if shape and dim:
            sure = bool(stated) or bool(re.search(r"embedding|extra|additional|added|appended|new\s+dim", work, re.I))
            return Claim(kind="shape", value=[*shape, dim], span=doc.quote(rel.start(), rel.end()),
                         notes=("shape stated relative to the input's shape",),
                         confidence=0.9 if sure else 0.4,
                         reason="" if sure else "says the output has the input's shape; the added dimension is not stated")
        return Claim(kind="shape", readable=False, span=doc.quote(rel.start(), rel.end()),
                     notes=("shape stated relative to the input, but the input's shape is unknown",))
    return Claim(kind="shape", readable=False, notes=("no shape stated for the output",))
