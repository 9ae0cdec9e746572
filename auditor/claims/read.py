"""Claims stage: read what the student stated, in the form the checks need.

``read_claim(kind, answer, question) -> Claim``.  The extraction stage has already cut
``answer`` to the part of the notebook that answers ``question`` (for a true/false
sub-statement: the text answering that statement, possibly with a copy of it).

Kinds (see LABELING.md for the normal forms):

=============  ================================================  =========================
kind           value                                             reader
=============  ================================================  =========================
verdict        "true" / "false" / "hedged"                       auditor.claims.verdict
number         int side length (area kept, noted)                auditor.claims.number
probability    float q or None; extra["formula"] (sympy string)  auditor.claims.formula
shape          list[int]                                         auditor.claims.shape
cause          "vanishing" / "exploding" / "other"               auditor.claims.concept
yesno          "yes" / "no"                                      auditor.claims.yesno  
code           bool: numerical-gradient code written             auditor.claims.code
choice         sorted list of option labels ([1, 3], ["iii"])     auditor.claims.choice
=============  ================================================  =========================

A claim that cannot be read has ``readable=False`` (and value None): the check then
says ``review``.  Every claim carries ``confidence`` (0-1) and ``reason``; below
``auditor.claims.confidence.THRESHOLD`` the pipeline turns the check's pass/fail into review.  Nothing here guesses, and nothing here judges correctness.
``parse_formula`` (sympy, p1/p2) is re-exported for the checks.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from auditor.claims.choice import read_choice
from auditor.claims.code import read_code_filled
from auditor.claims.code_value import printed_only, printed_values, read_code_value
from auditor.claims.confidence import assess
from auditor.claims.concept import read_cause
from auditor.claims.yesno import read_yesno
from auditor.claims.formula import parse_formula, read_probability
from auditor.claims.number import read_number
from auditor.claims.shape import read_shape
from auditor.claims.verdict import read_verdict
from auditor.models import Answer, Claim, QuestionSpec, Segment, freeze

READERS: dict[str, Callable[[Answer, QuestionSpec], Claim]] = {
    "verdict": read_verdict,
    "number": read_number,
    "probability": read_probability,
    "shape": read_shape,
    "cause": read_cause,
    "yesno": read_yesno,
    "code": read_code_filled,
    "choice": read_choice,
}

KINDS = tuple(READERS)


def read_claim(kind: str, answer: Answer, question: QuestionSpec) -> Claim:
    """Read the claim of ``kind`` from ``answer``.

    Raises ``ValueError`` for an unknown kind (a spec error, not the student's).
    An unanswered answer gives an unreadable claim (except ``code``: False)."""
    try:
        reader = READERS[kind]
    except KeyError:
        raise ValueError(f"unknown claim kind {kind!r} (known: {', '.join(KINDS)})") from None
    if not answer.answered and kind != "code":
        return Claim(kind=kind, readable=False, notes=("unanswered",))
    names = question.answer_names or tuple(p for p in question.phrases if p.isidentifier())  # named variables
    answer = _without_restated_question(answer, question)
    claim = read_code_value(kind, answer, names) or printed_values(kind, answer, names) or \
        reader(printed_only(kind, answer), question)
    value = claim.value if claim.readable else None
    return assess(replace(claim, kind=kind, value=value, notes=tuple(claim.notes), extra=freeze(dict(claim.extra))))


def _line_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w.]+", " ", text.lower()).replace(".", " ").split())


def _without_restated_question(answer: Answer, question: QuestionSpec) -> Answer:
    """The answer without lines that only repeat the question's own label or statement (its
    recognition phrase, quoted or not: '"Inline Question 2 - True or False."'): the question's
    words ("True or False") are not the student's claim."""
    phrases = {k for p in question.phrases if len(k := _line_key(p)) >= 8}
    if not phrases:
        return answer
    segs = []
    for s in answer.segments:
        kept = [ln for ln in s.text.split("\n") if s.source != "markdown" or _line_key(ln) not in phrases]
        segs.append(s if len(kept) == len(s.text.split("\n")) else Segment(s.cell, "\n".join(kept), s.source))
    return answer if all(a is b for a, b in zip(segs, answer.segments)) else replace(answer, segments=tuple(segs))


__all__ = ["read_claim", "parse_formula", "KINDS", "READERS"]
