"""Stage 3: find each question of the spec in a submission and the student's answer to it.

``lines`` flattens the notebook and marks template text; ``locate`` finds each question's anchor
and answer region; the student's content in the region is its answer, wherever the student put it
(own cells, appended inside the question cell, code cells, printed outputs); ``split`` shares an
answer among sub-statements and a grouped answer cell among questions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from auditor.models import Answer, AssignmentSpec, ParsedNotebook, QuestionSpec, Segment
from auditor.assignment.conventions import points_elsewhere
from auditor.assignment.fingerprint import TemplateIndex
from auditor.extract.lines import Line, layout, normalise
from auditor.extract.locate import _region_bounds, locate
from auditor.extract.split import _best_split, _split_grouped_sections

__all__ = ["Extraction", "extract", "extract_answers", "normalise"]


def _segments(lines: Sequence[Line], with_markers: bool = False) -> tuple[Segment, ...]:
    """``with_markers``: keep the student's own list numbering ("2. The gradient can die" selects
    option 2 of a choice question)."""
    segs: list[Segment] = []
    for ln in lines:
        src = ln.source
        text = f"{ln.marker} {ln.text}" if with_markers and ln.marker[:1].isalnum() and not ln.template else ln.text
        if segs and segs[-1].cell == ln.cell and segs[-1].source == src:
            last = segs[-1]
            segs[-1] = Segment(last.cell, last.text + "\n" + text, src)
        else:
            segs.append(Segment(ln.cell, text, src))
    return tuple(segs)


def _placement(lines: Sequence[Line], anchor_cell: int) -> str:
    if not lines:
        return "none"
    sources = {ln.source for ln in lines}
    if sources == {"output"}:
        return "output"
    if "markdown" not in sources:
        return "code"
    if all(ln.cell == anchor_cell for ln in lines):
        return "inline"
    return "own-cell"


@dataclass(frozen=True)
class Extraction:
    answers: dict                 # qid -> Answer, every question and sub-statement of the spec
    code_cells: dict              # top-level qid -> index of the first code cell in its region
    anchor_cells: dict            # top-level qid -> index of the cell where the question was found
    last_cells: dict = field(default_factory=dict)  # top-level qid -> last cell of its answer region


def extract_answers(nb: ParsedNotebook, spec: AssignmentSpec) -> dict[str, Answer]:
    """Answer for every question id of the spec (unanswered ones included)."""
    return extract(nb, spec).answers


def extract(nb: ParsedNotebook, spec: AssignmentSpec) -> Extraction:
    template = TemplateIndex.from_spec_table(spec.template)
    lay = layout(nb, template)
    loc = locate(spec, lay)
    lines = lay.lines
    answers: dict[str, Answer] = {}
    subs_of: dict[str, list[QuestionSpec]] = {}
    for q in spec.questions:
        if q.parent:
            subs_of.setdefault(q.parent, []).append(q)

    regions: dict[str, list[int]] = {}
    for q in spec.questions:
        if q.sub is None and q.id in loc.questions:
            lo, hi = _region_bounds(spec, q.id, loc.questions, loc.sections, len(lines), lay)
            regions[q.id] = list(range(lo, hi))

    regions, direct = _split_grouped_sections(spec, regions, lines)

    for q in spec.questions:
        if q.sub is not None:
            continue
        region = regions.get(q.id)
        if region is None:
            answers[q.id] = Answer(q.id, False, note="question not found in the notebook")
            for s in subs_of.get(q.id, []):
                answers[s.id] = Answer(s.id, False, note="question not found in the notebook")
            continue
        anchor_cell = lines[region[0]].cell if region else -1
        content = [lines[i] for i in region if lines[i].content]
        answers[q.id] = Answer(q.id, bool(content), _segments(content, q.claim == "choice"),
                               _placement(content, anchor_cell))
        subs = sorted(subs_of.get(q.id, []), key=lambda s: s.sub)
        if not subs:
            continue
        n = len(subs)
        occ = {s.sub: loc.statements.get(s.id, ()) for s in subs}
        split, how = _best_split(n, region, occ, lines, content)
        code_lines = [ln for ln in content if ln.source == "code"]
        for s in subs:
            if s.id in direct:
                part = [lines[i] for i in direct[s.id] if lines[i].content]
                answers[s.id] = Answer(s.id, bool(part), _segments(part), _placement(part, anchor_cell),
                                       note="grouped answer cell, split by labels")
                continue
            if s.answer_patterns and code_lines:
                hits = [ln for ln in code_lines if any(re.search(p, ln.text) for p in s.answer_patterns)]
                answers[s.id] = Answer(s.id, bool(hits), _segments(hits), "code",
                                       note="code answer: matched the statement's code patterns")
                continue
            if split is None:
                answers[s.id] = Answer(
                    s.id, bool(content), _segments(content), _placement(content, anchor_cell),
                    note="could not tell which part of the answer is for this statement" if content else "",
                )
            else:
                part = split.get(s.sub, [])
                answers[s.id] = Answer(s.id, bool(part), _segments(part), _placement(part, anchor_cell),
                                       note=f"split by {how}")
    for qid, a in list(answers.items()):
        if a.answered and a.text and points_elsewhere(a.text):
            answers[qid] = Answer(qid, False, a.segments, "elsewhere",
                                  note="the answer only points elsewhere (another file, paper): nothing to read here")
    for q in spec.questions:
        if q.answered_elsewhere and not answers[q.id].answered:
            answers[q.id] = Answer(q.id, False, placement="elsewhere", note="answered in a separate file")
    code_cells: dict[str, int] = {}
    for qid, anchor in loc.questions.items():
        lo, hi = _region_bounds(spec, qid, loc.questions, loc.sections, len(lines), lay)
        cells_here = list(dict.fromkeys(lines[i].cell for i in range(lo, hi) if lines[i].source == "code"))
        # the question's own code: a template cell when there is one (not a "!pip install" the student added)
        own = [c for c in cells_here if c in lay.code_cells_template] or cells_here
        if own:
            code_cells[qid] = own[0]
    anchor_cells = {qid: lines[i].cell for qid, i in loc.questions.items()}
    last_cells = {qid: max(lines[i].cell for i in region) for qid, region in regions.items() if region}
    return Extraction(answers, code_cells, anchor_cells, last_cells)


