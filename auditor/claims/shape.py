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
        best = (dims, m.start(), m.end())
    if best:
        return Claim(kind="shape", value=best[0], span=doc.quote(best[1], best[2]))
    rel = _RELATIVE.search(work)
    if rel:
        shape, dim = snippet_facts(question.params if question else {})
        stated = _LAST_DIM.search(work)
        if stated:
            dim = int((stated.group(1) or stated.group(2)).replace(",", ""))
        if shape and dim:
            return Claim(kind="shape", value=[*shape, dim], span=doc.quote(rel.start(), rel.end()),
                         notes=("shape stated relative to the input's shape",))
        return Claim(kind="shape", readable=False, span=doc.quote(rel.start(), rel.end()),
                     notes=("shape stated relative to the input, but the input's shape is unknown",))
    return Claim(kind="shape", readable=False, notes=("no shape stated for the output",))
