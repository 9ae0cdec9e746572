"""The notebook flattened into *lines* (markdown parsed with markdown-it-py into blocks, then lines;
code cells and their outputs as units), each compared with the spec's template fingerprint: what
the template already said is not the student's. Answer-slot markers and placeholders
(``auditor.assignment.conventions.slots``) are never the student's either.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from auditor.load.markdown_blocks import parse_blocks
from auditor.models import ParsedNotebook
from auditor.assignment.fingerprint import MARKER_WORDS, TemplateIndex, tokens
from auditor.assignment.conventions import (
    closes_region, is_markdown_solution, is_student_line, nbgrader_grade_id, solution_code_policy)
from auditor.assignment.conventions.slots import has_strong_slot, opens_slot, starts_with_marker, strip_slots

# A label at the start of a line: "3.", "3)", "(3)", "a.", "b)", "(ii)", "4.1", "Q3", "Answer 3:".
_LABEL = re.compile(
    r"""^\s*(?:[*_#>\s]*)
        (?:(?:answers?|ans|q|question)\s*[:.]?\s*)?
        \(?(?:(?P<dotted>\d+(?:\.\d+)+|\d+\.[a-hA-H](?![A-Za-z]))[.):]?
             |(?P<simple>\d+|[a-hA-H]|[ivxIVX]{1,4})(?:[.):]|\s*[-\u2013:]))
        (?:\s+|$|(?<=\))(?=\S)|(?<=\.)(?=[A-Z]))""",
    re.X | re.I,
)
# "Answer:", "**Answer 3:**", "ANSWER" alone; not "Answer: 13" (a number after the colon is an answer)
_VALUE = re.compile(r"^\W*(?:answers?|ans)\W*\s*0?\.\d+\W*$", re.I)  # "Answer: 0.28" (no label starts at 0.)
_BARE_NUMBER = re.compile(r"^\s*[-+]?\d+\.\d+\s*$")   # "4.9" alone: a value, not a label "4.1"
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
_SHORT_SLOT_LINE = 6  # words
_MARKER_ONLY = re.compile(r"^\W*(answers?|ans|solutions?)\s*(\d+(\.\d+)*)?\s*[:.)]?[\s*_:\-=>]*$", re.I)


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Lowercase, markdown/LaTeX punctuation folded to spaces, whitespace collapsed."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[`*_\"\u201c\u201d\\#]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Line:
    cell: int
    order: int               # global order in the notebook
    source: str              # "markdown" | "code" | "output"
    kind: str                # block kind: heading | paragraph | html | code | cell-code | output
    text: str
    norm: str
    marker: str              # list marker typed by the student for the block this line starts
    heading_level: int
    template: bool           # nothing of the student's on this line
    residual: tuple[str, ...]
    block: int = 0           # global number of the markdown block (paragraph, item) or cell part
    coverage: float = 0.0    # share of the line's words that are template text
    opens_answer: bool = False  # starts with an answer marker ("## Answer: 1" is an answer, not a heading)

    @property
    def content(self) -> bool:
        """The line carries some of the student's own words (a heading too when it opens with an
        answer marker, or when the student typed the answer as a heading in the cell after the
        question: "### True, because ...", at least three words of their own)."""
        return not self.template and (self.kind != "heading" or self.opens_answer or len(self.residual) >= 3)


@dataclass(frozen=True)
class Layout:
    """The notebook flattened into lines, with template text marked."""

    lines: tuple[Line, ...]
    code_cells_template: frozenset[int]      # code cells whose source is all template
    closers: frozenset[int] = frozenset()    # cells that end a question's answer region by convention
    slot_cells: frozenset[int] = frozenset()  # cells holding an answer slot (marker or placeholder)
    grade_ids: dict = field(default_factory=dict)  # nbgrader grade_id -> cell
    first_line: dict = field(default_factory=dict)  # cell -> index of its first line
    code_cells: frozenset[int] = frozenset()
    heading_cells: frozenset[int] = frozenset()  # markdown cells that open with a heading (not "## Answer")

    def student_cells(self) -> frozenset[int]:
        return frozenset(ln.cell for ln in self.lines if ln.content)


def _residual_heuristic(text: str) -> tuple[str, ...]:
    toks = [t for t in tokens(text) if t not in MARKER_WORDS]
    return tuple(toks)


def layout(nb: ParsedNotebook, template: TemplateIndex | None) -> Layout:
    lines: list[Line] = []
    template_code: set[int] = set()
    order = 0

    block = 0

    def add(cell, source, kind, text, marker="", level=0, in_slot=False, copied_option=False):
        nonlocal order
        raw = text
        fraction = 0.0
        display = None  # the line as stored, when it differs from the text compared with the template
        after_slot = False  # a slot marker opened the line: "3." after it is the answer, not a label
        if source == "markdown":
            shown = strip_slots(text)
            if shown != text:
                if not re.sub(r"[\W_]+", "", shown):  # an untouched slot marker or placeholder
                    lines.append(Line(cell, order, source, kind, text, normalise(text), marker, level, True, (),
                                      block, 1.0))
                    order += 1
                    return
                display = strip_slots(text, keep_explanation=True)
                after_slot = not display.startswith("Explanation:")
                text = shown
        if template is not None:
            cov = template.coverage(text, code=(source == "code"))
            fraction = cov.fraction
            residual = cov.meaningful_residual()
            if not residual and not _MARKER_ONLY.match(text) and (
                    not _LABEL.match(text) or after_slot or _VALUE.match(text) or _BARE_NUMBER.match(text)):
                # "Answer: 13" / "Answer: 0.28" / "4.9": a bare number after a marker is the answer, not a label
                residual = tuple(t for t in cov.residual if t.isdigit())
            label = _LABEL.match(text)
            listed = bool(label) or marker not in ("", "-", "*", "+")
            if not residual and in_slot and (listed or copied_option or len(tokens(text)) <= _SHORT_SLOT_LINE) \
                    and template.slot_line_is_template(raw) is False and not _MARKER_ONLY.match(text):
                # in an answer slot, a line the template did not have there is the student's, words of the
                # question or not, when it is short ("None of the above"), a numbered item or a copy of an
                # option listed above it in the cell (an option copied to select it); a longer unnumbered
                # line is a statement of the question copied above the answer
                residual = _residual_heuristic(text[label.end():] if label else text)  # not "4. Answers below"
            if residual and source == "markdown" and "\\" in text:
                # LaTeX command names (\left, \frac) are markup, not the student's words
                commands = {m.lower() for m in _LATEX_COMMAND.findall(text)}
                residual = tuple(t for t in residual if t not in commands)
        else:
            residual = _residual_heuristic(text)
        is_template = not residual or bool(_MARKER_ONLY.match(text))
        text = display or text
        lines.append(Line(cell, order, source, kind, text, normalise(text), marker, level, is_template, residual,
                          block, fraction, kind == "heading" and starts_with_marker(text)))
        order += 1

    for c in nb.cells:
        if c.cell_type == "markdown":
            in_slot = False  # at or after an answer slot of this cell
            options_above: set[str] = set()  # the numbered items before the slot (a question's options)
            for b in parse_blocks(c.source):
                block += 1
                first = True
                if not b.text and b.marker:
                    add(c.index, "markdown", b.kind, b.marker, b.marker, 0)  # an empty list item
                    continue
                for ln in b.text.splitlines():
                    if not ln.strip():
                        continue
                    in_slot = in_slot or opens_slot(ln)
                    if not in_slot and b.marker and b.marker not in ("-", "*", "+"):
                        options_above.add(normalise(ln))
                    add(c.index, "markdown", b.kind, ln.strip(), b.marker if first else "",
                        b.level if b.kind == "heading" else 0, in_slot,
                        in_slot and normalise(strip_slots(ln)) in options_above)
                    first = False
        elif c.cell_type == "code":
            src_lines = [ln for ln in c.source.splitlines() if ln.strip()]
            block += 1
            start = len(lines)
            policy = solution_code_policy(c) if template is not None else None
            for ln in src_lines:
                add(c.index, "code", "cell-code", ln.rstrip())
                if policy is not None:  # an nbgrader solution cell: its own rule, not the fingerprint's
                    last = lines[-1]
                    mine = policy == "student" and is_student_line(ln)
                    lines[-1] = Line(last.cell, last.order, last.source, last.kind, last.text, last.norm, last.marker,
                                     0, not mine, (tuple(tokens(ln)) or ("code",)) if mine else (), last.block,
                                     0.0 if mine else 1.0)
            code_template = all(l.template for l in lines[start:])
            if template is None:
                code_template = False
            if code_template:
                template_code.add(c.index)
            block += 1
            for ln in c.outputs_text.splitlines():
                if not ln.strip():
                    continue
                add(c.index, "output", "output", ln.rstrip())
                if code_template:  # output of an untouched template cell is not an answer
                    last = lines[-1]
                    lines[-1] = Line(last.cell, last.order, last.source, last.kind, last.text, last.norm,
                                     last.marker, 0, True, (), last.block, 1.0)
    first_line: dict[int, int] = {}
    for i, ln in enumerate(lines):
        first_line.setdefault(ln.cell, i)
    return Layout(
        tuple(lines), frozenset(template_code),
        closers=frozenset({c.index for c in nb.cells if closes_region(c)}
                          | {c.index + 1 for c in nb.cells if is_markdown_solution(c)}),
        slot_cells=frozenset(c.index for c in nb.cells if c.cell_type == "markdown" and has_strong_slot(c.source)),
        grade_ids={gid: c.index for c in nb.cells if (gid := nbgrader_grade_id(c))},
        first_line=first_line,
        code_cells=frozenset(c.index for c in nb.cells if c.cell_type == "code"),
        heading_cells=frozenset(lines[i].cell for c, i in first_line.items()
                                if lines[i].kind == "heading" and lines[i].source == "markdown"
                                and not starts_with_marker(lines[i].text)),
    )



def _label(line: Line) -> str | None:
    if line.marker and line.marker not in ("-", "*", "+"):
        return line.marker.rstrip(".)")
    m = _LABEL.match(line.text)
    if m:
        compound = re.fullmatch(r"\d+\.([a-hA-H])", m.group("dotted") or "")
        if compound:        # "2.A": item A of question 2 is the question's first part
            return str(ord(compound.group(1).lower()) - ord("a") + 1)
        return m.group("dotted") or m.group("simple")
    return None


def is_marker_line(line: Line) -> bool:
    """'Answer:', 'ANSWER 3:', '**Answer**:' alone on a line: where an answer starts."""
    return line.source == "markdown" and bool(_MARKER_ONLY.match(line.text))
