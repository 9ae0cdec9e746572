"""Find an assignment's sections, questions and sub-statements from the notebook's structure.

Used by ``auditor init`` on a blank template (to draft a spec) and by the spec-less audit of
a notebook of an unknown assignment. Sections are ``##``/``###`` headings; a question is a
markdown cell that opens with a numbered item (``1.``, ``2.`` ...) or a "Question N" heading;
its sub-statements are the further list items of the same cell. Numbers are by ORDER in the
section, never the printed number (templates print nested items all "1.", and some print a
number twice).

A notebook that follows a known convention (nbgrader metadata, Otter blocks, printed labels
"Question 2a" / "Inline Question 1"; see ``auditor.assignment.conventions``) gets its questions
from the convention instead, named by the notebook's own numbering.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from auditor.load.markdown_blocks import parse_blocks
from auditor.models import ParsedNotebook
from auditor.assignment.spec import slugify
from auditor.assignment.conventions import FAMILY_HEADINGS, Discovered, discover

_ANSWER_MARK = re.compile(r"^\W*(answers?|ans|solutions?)\b", re.I)
_QUESTION_HEADING = re.compile(r"^\W*(question|problem|exercise|task)\s*\d+", re.I)
_TITLE_WORDS = re.compile(r"^(part\s*\d+|summary questions|theoretical questions)\b", re.I)


@dataclass
class FoundQuestion:
    cell: int
    text: str                                   # the question's text (plain)
    subs: list[str] = field(default_factory=list)
    code_cells: list[int] = field(default_factory=list)  # code cells between this question and the next
    lines: list[str] = field(default_factory=list)       # all question text lines (for the fingerprint)
    found: Discovered | None = None                      # set when a convention found the question


@dataclass
class FoundSection:
    heading: str
    slug: str
    cell: int
    questions: list[FoundQuestion] = field(default_factory=list)


def _is_answer_cell(blocks) -> bool:
    return bool(blocks) and bool(_ANSWER_MARK.match(blocks[0].text))


def find_structure(nb: ParsedNotebook) -> list[FoundSection]:
    by_convention = discover(nb)
    if by_convention:
        return _convention_sections(nb, by_convention)
    return _numbered_structure(nb)


def _convention_sections(nb: ParsedNotebook, found: list[Discovered]) -> list[FoundSection]:
    """One section per label family, questions in notebook order, each with the code cells
    between it and the next question."""
    sections: dict[str, FoundSection] = {}
    starts = [d.cell for d in found] + [len(nb.cells)]
    for k, d in enumerate(found):
        sec = sections.get(d.family)
        if sec is None:
            sec = sections[d.family] = FoundSection(FAMILY_HEADINGS.get(d.family, d.family), d.family, d.cell)
        q = FoundQuestion(d.cell, d.text, found=d)
        q.lines = [ln for ln in d.text.splitlines() if ln.strip()]
        q.code_cells = [c.index for c in nb.cells[d.cell + 1: max(starts[k + 1], d.cell + 1)] if c.cell_type == "code"]
        sec.questions.append(q)
    return list(sections.values())


def _numbered_structure(nb: ParsedNotebook) -> list[FoundSection]:
    sections: list[FoundSection] = []
    current: FoundSection | None = None
    last_q: FoundQuestion | None = None
    pending_heading_q = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if last_q is not None:
                last_q.code_cells.append(cell.index)
            continue
        if cell.cell_type != "markdown":
            continue
        blocks = parse_blocks(cell.source)
        if not blocks:
            continue
        head = blocks[0]
        if head.kind == "heading" and head.level >= 2 and not _QUESTION_HEADING.match(head.text) \
                and not re.search(r"\banswers?\b", head.text, re.I) and not _TITLE_WORDS.match(head.text) \
                and len(head.text) < 80:
            current = FoundSection(head.text.strip(), slugify(head.text), cell.index)
            sections.append(current)
            last_q = None
            blocks = blocks[1:]
            if not blocks:
                continue
            head = blocks[0]
        if head.kind == "heading" and _QUESTION_HEADING.match(head.text):
            # "### Question 3": the question text follows (in this cell or the next)
            if current is None:
                current = FoundSection("Questions", "questions", cell.index)
                sections.append(current)
            pending_heading_q = True
            rest = blocks[1:]
            if not rest:
                continue
            blocks, head = rest, rest[0]
        if _is_answer_cell(blocks):
            pending_heading_q = False
            continue
        # a question opens with a numbered item of some length ("1. True" is an answer, not a question)
        numbered = head.item_start and head.marker[:1].isdigit() and (
            len(head.text.split()) >= 4 or "?" in head.text or head.text.rstrip().endswith(":"))
        if not (numbered or pending_heading_q):
            if last_q is not None and head.item_start and all(
                    len(b.text.split()) >= 4 for b in blocks if b.item_start):
                # a follow-up list of statements in a later cell ("1. True" items are answers)
                last_q.subs.extend(b.text for b in blocks if b.item_start)
                last_q.lines.extend(ln for b in blocks for ln in b.text.splitlines())
            elif last_q is not None and len(blocks) <= 3 and (
                    blocks[-1].text.rstrip().endswith(("?", ":")) or any("?" in b.text for b in blocks)):
                # the question goes on after its code ("What is the size of ...?"): an answer rarely
                # ends with a question mark or a colon
                last_q.lines.extend(ln for b in blocks for ln in b.text.splitlines())
            continue
        if current is None:
            current = FoundSection("Questions", "questions", cell.index)
            sections.append(current)
        q = FoundQuestion(cell.index, head.text)
        for b in blocks:
            if _ANSWER_MARK.match(b.text):
                break
            q.lines.extend(b.text.splitlines())
        for b in blocks[1:]:
            if _ANSWER_MARK.match(b.text):
                break
            if b.item_start and b.kind == "paragraph":
                q.subs.append(b.text)
        current.questions.append(q)
        last_q = q
        pending_heading_q = False
    found = [s for s in sections if s.questions]
    return found or _sections_as_questions(nb)


def _sections_as_questions(nb: ParsedNotebook) -> list[FoundSection]:
    """No numbered questions at all: each heading's first paragraph is its one question."""
    out: list[FoundSection] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if out and out[-1].questions:
                out[-1].questions[-1].code_cells.append(cell.index)
            continue
        blocks = parse_blocks(cell.source)
        if not blocks:
            continue
        if blocks[0].kind == "heading" and blocks[0].level >= 2 and not out:
            out.append(FoundSection(blocks[0].text.strip(), slugify(blocks[0].text) or "questions", cell.index))
            blocks = blocks[1:]
        if out and not out[-1].questions and blocks and blocks[0].kind != "heading":
            q = FoundQuestion(cell.index, blocks[0].text)
            q.lines.extend(blocks[0].text.splitlines())
            out[-1].questions.append(q)
    return [s for s in out if s.questions]


def distinctive_phrase(text: str, words: int = 7) -> str:
    """A short phrase recognising a question: its first words, without list numbering or markup."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")  # phrases match within one line
    clean = re.sub(r"\$[^$]*\$", " ", first)
    clean = re.sub(r"[*_`#>]", " ", clean)
    toks = clean.split()
    return " ".join(toks[:words])
