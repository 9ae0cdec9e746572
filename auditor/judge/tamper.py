"""Tamper detection: did the submission change the FACTS of a question's code cell?

A spec question may carry ``canonical`` facts (see docs/spec-format.md and docs/ci.md):

- code (keys ``model_code``, ``snippet``, ``code``): Python source of the question's cell, e.g. the
  CNN's ``nn.Sequential``. Both the canonical source and the submission's cell are parsed with
  ``ast`` (never executed) and reduced to normalised facts: literal assignments (``p1 = 0.1``) and
  calls with their arguments (``Conv2d(in_channels=3, out_channels=4, kernel_size=3, padding=1)``).
- scalars (any other key, e.g. ``p1 = 0.1``): the value the cell must assign to that name or pass
  as that keyword argument.
- text (key ``text``): the markdown of the question's statement; its facts are the numbers it
  states, in order (``p=0.1``, ``kernel size 3``), read from the rendered markdown (markdown-it),
  so list markers, renumbering, bullet style, emphasis and line breaks are not facts.  The
  question's markdown cell is the first one containing one of the question's phrases; the numbers
  of the canonical text must appear in it in order (an answer appended to the cell may add more).

What counts as the same fact (formatting-only edits are not tampering): whitespace, comments,
trailing commas, IPython magics (``!pip``, ``%matplotlib``), keyword vs positional arguments of
``torch.nn`` layers (bound with the layer's real signature), arguments spelled at their default
value, ``3`` vs ``(3, 3)`` for a 2d layer, lists vs tuples, a literal passed through a variable
(``p1 = 0.1; nn.Dropout(p=p1)`` vs ``nn.Dropout(p=0.1)``), the names of local variables, and extra
statements the student added (printing, their own working).  What is tampering: a canonical fact
that is missing or has another value (a layer added, removed, reordered or with another kernel
size, p1 changed, the snippet's sizes changed), or a cell that no longer parses.

The checks never use the edited cell for the truth: they compute it from the spec's params; this
module only reports the change, as ``Finding(kind="tampered")`` with a short diff of the facts.
The facts themselves (``CellFacts``, ``text_facts``) are extracted by ``auditor.judge.tamper_facts``;
this module compares them with the spec's canonical facts and builds the findings.
"""
from __future__ import annotations

import difflib
from typing import Any, Mapping

from auditor.judge.tamper_facts import (
    VAR, Block, CellFacts, normalise_literal, parsed_facts, text_facts,
)
from auditor.models import AssignmentSpec, Finding, ParsedNotebook, QuestionSpec

__all__ = ["CODE_KEYS", "TEXT_KEY", "CellFacts", "compare_cell", "compare_text", "detect_tampering", "text_facts"]

CODE_KEYS = ("model_code", "snippet", "code")
TEXT_KEY = "text"
_MAX_DIFF_LINES = 16


# --------------------------------------------------------------------------- public API

def detect_tampering(
    nb: ParsedNotebook, spec: AssignmentSpec, located: Mapping[str, int]
) -> tuple[Finding, ...]:
    """One ``tampered`` finding per question whose located code cell changed a canonical fact.

    ``located`` maps a question id (or, for a sub-statement, its parent's id) to the index of the
    code cell extraction found for it.  A question without canonical facts, or without a located
    code cell, is not judged here.
    """
    by_index = {c.index: c for c in nb.cells}
    findings: list[Finding] = []
    for q in spec.questions:
        if isinstance(q.canonical.get(TEXT_KEY), str):
            text_cell = _question_markdown_cell(nb, q)
            message = compare_text(q, text_cell.source) if text_cell is not None else None
            if message:
                findings.append(Finding(kind="tampered", message=message, cell=text_cell.index, question=q.id))
        index = located.get(q.id, located.get(q.parent) if q.parent else None)
        if not _code_facts(q) or index is None:
            continue
        cell = by_index.get(index)
        if cell is None or cell.cell_type != "code":
            continue
        message = compare_cell(q, cell.source)
        if message:
            findings.append(Finding(kind="tampered", message=message, cell=cell.index, question=q.id))
    return tuple(findings)


def compare_text(question: QuestionSpec, markdown: str) -> str | None:
    """A message with a short diff when ``markdown`` changes the numbers of the canonical text."""
    canon = text_facts(question.canonical[TEXT_KEY])
    sub = text_facts(markdown)
    pos = 0
    missing = []
    for number in canon:
        try:
            pos = sub.index(number, pos) + 1
        except ValueError:
            missing.append(number)
    if not missing:
        return None
    diff = list(difflib.unified_diff(canon, sub, "assignment", "submission", n=1, lineterm=""))
    return (
        f"{question.id}: the question's text was changed (number(s) {', '.join(missing)} of the "
        "assignment's text missing or changed); checks use the assignment's own facts\n"
        + "\n".join(_cut(diff))
    )


def _question_markdown_cell(nb: ParsedNotebook, question: QuestionSpec):
    from auditor.extract.answers import normalise

    phrases = [normalise(p) for p in question.phrases if p.strip()]
    for cell in nb.cells:
        if cell.cell_type == "markdown" and any(p in normalise(cell.source) for p in phrases):
            return cell
    return None


def _code_facts(question: QuestionSpec) -> dict[str, Any]:
    return {k: v for k, v in question.canonical.items() if k != TEXT_KEY}


def _cut(diff: list[str]) -> list[str]:
    if len(diff) > _MAX_DIFF_LINES:
        return diff[:_MAX_DIFF_LINES] + [f"... ({len(diff) - _MAX_DIFF_LINES} more diff lines)"]
    return diff


def compare_cell(question: QuestionSpec, source: str) -> str | None:
    """A message with a short diff when ``source`` changes ``question``'s canonical facts, else None."""
    heads = _canonical_heads(question)
    try:
        sub = parsed_facts(source)
    except SyntaxError as exc:
        if not any(h in source for h in heads):
            return None
        return (
            f"{question.id}: the question's code cell no longer parses as Python "
            f"(line {exc.lineno}: {exc.msg}); checks use the assignment's own facts"
        )
    if heads.isdisjoint({_head(b) for b in sub.blocks} | set(sub.bound)):
        # the cell shares nothing with the question's code: extraction located another cell
        # (e.g. a `!pip install` cell before the snippet); nothing to compare, no accusation
        return None
    problems: list[str] = []
    canon_lines: list[str] = []
    sub_lines: list[str] = []
    code_first = sorted(_code_facts(question).items(), key=lambda kv: not _is_code(*kv))
    for key, value in code_first:
        if _is_code(key, value):
            canon = parsed_facts(value)               # a spec error raises SyntaxError
            missing = [b for b in canon.blocks if b not in _subsequence(canon.blocks, sub.blocks)]
            if missing:
                problems.append(f"{len(missing)} fact(s) of the canonical {key} changed or missing")
                shown = _relevant(sub.blocks, canon.blocks)
                canon_lines += [line for b in canon.blocks for line in b]
                sub_lines += [line for b in shown for line in b]
        else:
            want = normalise_literal(value, "")
            found = sub.values_of(key)
            if want not in found:
                problems.append(f"{key} changed")
                _add_new(canon_lines, [f"{key} = {want!r}"])
                _add_new(sub_lines, [f"{key} = {v!r}" for v in found] or [f"{key}: (missing)"])
    if not problems:
        return None
    diff = _cut(list(difflib.unified_diff(canon_lines, sub_lines, "assignment", "submission", n=1, lineterm="")))
    return (
        f"{question.id}: the question's code was changed ({'; '.join(problems)}); "
        "checks use the assignment's own facts\n" + "\n".join(diff)
    )


def _canonical_heads(question: QuestionSpec) -> set[str]:
    """Names that identify the question's code: assigned names, called layers and functions."""
    heads: set[str] = set()
    for key, value in _code_facts(question).items():
        if _is_code(key, value):
            heads |= {_head(b) for b in parsed_facts(value).blocks}
        else:
            heads.add(key)
    return heads - {VAR}


def _is_code(key: str, value: Any) -> bool:
    return key in CODE_KEYS and isinstance(value, str)


def _add_new(lines: list[str], new: list[str]) -> None:
    lines += [line for line in new if line not in lines]


# --------------------------------------------------------------------------- comparing blocks

def _subsequence(canon: list[Block], sub: list[Block]) -> list[Block]:
    """The canonical blocks found in ``sub`` in order (greedy; extra submission blocks are allowed)."""
    found: list[Block] = []
    pos = 0
    for block in canon:
        try:
            pos = sub.index(block, pos) + 1
        except ValueError:
            continue
        found.append(block)
    return found


def _relevant(sub: list[Block], canon: list[Block]) -> list[Block]:
    """Submission blocks worth showing in a diff: those that start like some canonical block."""
    heads = {_head(b) for b in canon}
    return [b for b in sub if _head(b) in heads]


def _head(block: Block) -> str:
    first = block[0].strip()
    for sep in (" = ", "("):
        if sep in first:
            return first.split(sep, 1)[0]
    return first
