"""Where each question of a spec starts in the flattened notebook, and where its answer region ends.

Section headings and question anchors are located in notebook order from the spec's short
phrases (monotonic, so an answer that quotes a later question's words does not move it); a phrase
``grade_id:<id>`` finds the cell carrying that nbgrader ``grade_id``. A region runs from its anchor
to the next anchor or section heading, and stops earlier at a cell that closes a question by
convention (a test cell, a locked template cell, ``grader.check``, ``END QUESTION``) or, when the
question's own cell holds its answer slot, at the first template cell after it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from auditor.models import AssignmentSpec, QuestionSpec
from auditor.extract.lines import Layout, Line, normalise

def _contains_phrase(norm_line: str, phrases: Sequence[str]) -> bool:
    return any(p and p in norm_line and (not p[-1].isdigit() or _whole_number_at_end(norm_line, p)) for p in phrases)


def _whole_number_at_end(norm_line: str, phrase: str) -> bool:
    """A phrase that ends in a number ("inline question 1") does not match a longer one ("... 12", "... 1a")."""
    return re.search(re.escape(phrase) + r"(?![0-9a-z])", norm_line) is not None


def _norm_phrases(q: QuestionSpec) -> tuple[str, ...]:
    return tuple(normalise(p) for p in q.phrases if normalise(p))


@dataclass(frozen=True)
class Located:
    """Where each question starts in the flattened notebook (index into Layout.lines)."""

    questions: dict = field(default_factory=dict)   # qid -> line index of the anchor (top-level questions)
    sections: dict = field(default_factory=dict)    # slug -> line index of the heading
    statements: dict = field(default_factory=dict)  # sub id -> tuple of line indexes where its phrase occurs


def _section_heading_matches(line: Line, heading: str, aliases: Iterable[str]) -> bool:
    if line.kind not in ("heading",) and not (line.source == "markdown" and len(line.norm) <= 60):
        return False
    text = re.sub(r"[^a-z0-9 ]+", " ", line.norm).strip()
    text = re.sub(r"\s+", " ", text)
    for h in (heading, *aliases):
        hn = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", h.lower())).strip()
        if text == hn or (line.kind == "heading" and text.startswith(hn) and "answer" not in text):
            return True
    return False


def locate(spec: AssignmentSpec, lay: Layout) -> Located:
    lines = lay.lines
    sections: dict[str, int] = {}
    pos = 0
    for s in spec.sections:
        for i in range(pos, len(lines)):
            if _section_heading_matches(lines[i], s.heading, s.aliases):
                sections[s.slug] = i
                pos = i + 1
                break

    top = [q for q in spec.questions if q.sub is None]
    anchors: dict[str, int] = {}
    pos = 0
    for q in top:
        by_id = _grade_id_anchor(q, lay, pos)
        if by_id is not None:
            anchors[q.id] = by_id
            pos = by_id + 1
            continue
        phrases = _norm_phrases(q)
        start = max(pos, sections.get(q.section, pos))
        found = None
        for i in range(start, len(lines)):
            if lines[i].source == "output":
                continue
            if _contains_phrase(lines[i].norm, phrases):
                found = i
                break
        if found is None and start != pos:  # section heading missing or misplaced: search from pos
            for i in range(pos, len(lines)):
                if lines[i].source != "output" and _contains_phrase(lines[i].norm, phrases):
                    found = i
                    break
        if found is not None:
            anchors[q.id] = found
            pos = found + 1

    statements: dict[str, tuple[int, ...]] = {}
    for q in spec.questions:
        if q.sub is None or q.parent not in anchors:
            continue
        phrases = _norm_phrases(q)
        lo, hi = _region_bounds(spec, q.parent, anchors, sections, len(lines), lay)
        # a copy of the statement (mostly template words), not a sentence of the student's that uses its words
        statements[q.id] = tuple(i for i in range(lo, hi) if _contains_phrase(lines[i].norm, phrases)
                                 and (lines[i].template or lines[i].coverage >= 0.5))
    return Located(anchors, sections, statements)


GRADE_ID = "grade_id:"


def _grade_id_anchor(q: QuestionSpec, lay: Layout, pos: int) -> int | None:
    """A phrase ``grade_id:<id>`` anchors the question at the first line of the cell with that id."""
    for p in q.phrases:
        if p.startswith(GRADE_ID):
            cell = lay.grade_ids.get(p[len(GRADE_ID):].strip())
            i = lay.first_line.get(cell) if cell is not None else None
            if i is not None and i >= pos:
                return i
    return None


def _region_bounds(spec, qid, anchors, sections, n_lines, lay: Layout | None = None) -> tuple[int, int]:
    """[anchor, next anchor or next section heading) for a top-level question, cut at the
    convention's end of the question (see the module doc) when ``lay`` is given."""
    start = anchors[qid]
    end = n_lines
    for other, i in anchors.items():
        if i > start:
            end = min(end, i)
    for i in sections.values():
        if i > start:
            end = min(end, i)
    if lay is not None:
        end = min(end, _convention_end(lay, lay.lines[start].cell, end))
    return start, end


def _convention_end(lay: Layout, anchor_cell: int, end: int) -> int:
    """The first line of the cell that ends the question by convention, else ``end``."""
    cells = sorted(c for c, i in lay.first_line.items() if c > anchor_cell and i < end)
    students = lay.student_cells() if anchor_cell in lay.slot_cells else None
    for c in cells:
        if c in lay.closers or (students is not None and (c not in students or c in lay.code_cells
                                                          or c in lay.heading_cells)):
            # a question that holds its own answer slot goes on only into the student's added prose
            # (not into code, not past a new heading)
            return lay.first_line[c]
    return end


