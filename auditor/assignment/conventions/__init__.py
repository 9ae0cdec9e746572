"""Question discovery by convention: a notebook in, its questions out, with no spec.

One module per convention family, each a small set of pure recognisers:

* ``labels``   "Question 2a" / "Q3" / "Exercise 1" / "Task 4" / "Inline Question 1" headings or
               emphasised labels, numbered headings "### 1a) ...";
* ``slots``    answer slots: markers ("Your Answer:", LaTeX-coloured markers, "## Answer:") and
               placeholders ("*Fill this in*", "[FILL THIS IN]", "YOUR ANSWER HERE", ...);
* ``nbgrader`` cells with ``metadata.nbgrader``: solution cells are answers, tests/locked are template;
* ``otter``    Otter-grader ``BEGIN QUESTION`` blocks (name, points) and ``grader.check`` cells;
* ``wording``  the claim kind a question's wording asks for (choice, verdict, number, shape).

``discover(nb)`` returns the questions found by the first family that recognises the notebook
(nbgrader metadata, else printed labels completed by Otter names); an empty list means "no
convention here" and the caller falls back to the numbered-item structure
(``auditor.assignment.structure``). A new convention is one more module and one more branch here.
``closes_region(cell)`` tells extraction where a question's answer region ends.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.models import Cell, ParsedNotebook
from auditor.assignment.conventions import labels as _labels
from auditor.assignment.conventions import nbgrader as _nbgrader
from auditor.assignment.conventions import otter as _otter
from auditor.assignment.conventions.nbgrader import is_student_line
from auditor.assignment.conventions.slots import before_first_slot, points_elsewhere

__all__ = ["Discovered", "discover", "closes_region", "is_markdown_solution", "is_student_line",
           "nbgrader_grade_id", "points_elsewhere", "solution_code_policy", "FAMILY_HEADINGS"]

FAMILY_HEADINGS = {
    "inline": "Inline questions",
    "q": "Questions",
    "exercise": "Exercises",
    "task": "Tasks",
    "problem": "Problems",
}
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Discovered:
    family: str                     # section slug: inline | q | exercise | task | problem
    name: str                       # the notebook's own number: "1", "2a", "6bi", "1b-2"
    cell: int                       # the cell holding the question's text (its anchor)
    text: str                       # the question's text, up to its answer slot
    phrase: str                     # how extraction finds the question again (see extract)
    convention: str                 # "label" | "nbgrader" | "otter"
    points: float | None = None
    variables: tuple[str, ...] = ()  # answer variables a test reads (nbgrader), one sub-question each
    answer_cell: int | None = None   # the template's answer slot cell (nbgrader solution), if any
    answer_names: tuple[str, ...] = ()  # the one answer variable a test reads and the question names (nbgrader)

    @property
    def id(self) -> str:
        return f"{self.family}/{self.name}"


def solution_code_policy(cell: Cell) -> str | None:
    """For an nbgrader solution code cell: "stub" (still raises NotImplementedError: no answer here)
    or "student" (statements are the student's); None for any other cell."""
    if cell.cell_type != "code" or not _nbgrader.is_solution(cell):
        return None
    return "stub" if _nbgrader.unanswered_stub(cell) else "student"


def is_markdown_solution(cell: Cell) -> bool:
    """An nbgrader markdown answer cell: the answer is that cell alone."""
    return cell.cell_type == "markdown" and _nbgrader.is_solution(cell)


def closes_region(cell: Cell) -> bool:
    """A cell that ends the answer region of the question above it (a test, a locked template
    cell, ``grader.check``, ``<!-- END QUESTION -->``)."""
    return _nbgrader.closes_question(cell) or _otter.closes_question(cell)


def nbgrader_grade_id(cell: Cell) -> str | None:
    gid = _nbgrader.meta(cell).get("grade_id")
    return str(gid) if gid else None


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def _phrase(line: str, words: int = 7) -> str:
    clean = re.sub(r"\$[^$]*\$", " ", line)
    clean = re.sub(r"<[^>]*>", " ", clean)
    clean = re.sub(r"[*_`#>]", " ", clean)
    return " ".join(clean.split()[:words]).rstrip(" :.-\u2013")  # "Inline Question 1:" found as "Inline Question 1"


_POINTS = re.compile(r"[(\[]\s*(\d+(?:\.\d+)?)\s*(?:pts?|points?|marks?)\s*[)\]]", re.I)


def _printed_points(label_line: str) -> float | None:
    """"**Question 3 (2 points)**" -> 2.0."""
    m = _POINTS.search(label_line)
    return float(m.group(1)) if m else None


def _cell_text(nb: ParsedNotebook, index: int) -> str:
    return _COMMENT.sub("", nb.cells[index].source)


def _from_labels(nb: ParsedNotebook) -> list[Discovered]:
    found = _labels.question_labels(_labels.find_labels(nb))
    otter_by_cell = {q.cell: q for q in _otter.otter_questions(nb)}
    out: list[Discovered] = []
    for k, lb in enumerate(found):
        lines = _cell_text(nb, lb.cell).splitlines()
        nxt = next((o.line for o in found[k + 1:] if o.cell == lb.cell), len(lines))
        text = before_first_slot("\n".join(lines[lb.line:nxt])).strip()
        oq = otter_by_cell.get(lb.cell)
        points = oq.points if oq and oq.points is not None else _printed_points(lb.text)
        out.append(Discovered(lb.family, lb.name, lb.cell, text, _phrase(lb.text), "otter" if oq else "label",
                              points))
    labelled_cells = {d.cell for d in out}
    for oq in otter_by_cell.values():
        if oq.cell in labelled_cells or any(d.cell == oq.cell + 1 for d in out):
            continue
        name = re.sub(r"^q(?=\d)", "", oq.name.lower())
        if not re.match(r"^\d", name) or any(d.name == name for d in out):
            continue
        text = before_first_slot(_cell_text(nb, oq.cell)).strip()
        out.append(Discovered("q", re.sub(r"[^a-z0-9-]+", "-", name), oq.cell, text,
                              _phrase(_first_line(text)), "otter", oq.points))
    out.sort(key=lambda d: d.cell)
    return out


def _from_nbgrader(nb: ParsedNotebook) -> list[Discovered]:
    out: list[Discovered] = []
    used_phrases: set[str] = set()
    names: set[str] = set()
    boundary = -1
    last_name = ""
    cells = nb.cells
    for cell in cells:
        if not _nbgrader.is_solution(cell):
            continue
        between = [c for c in cells[boundary + 1: cell.index] if c.cell_type == "markdown"
                   and not _nbgrader.is_solution(c)]
        label = None
        for c in between:
            label = _labels.label_in_text(c.source) or label
        prompt = next((c for c in reversed(between) if len(c.source.split()) >= 3), None)
        if label and label[1] not in names:
            name = label[1]
        else:
            base = label[1] if label else (last_name or str(len(out) + 1))
            k = 2
            while f"{base}-{k}" in names:
                k += 1
            name = f"{base}-{k}"
        names.add(name)
        last_name = label[1] if label else last_name
        phrase = _phrase(_first_line(_COMMENT.sub("", prompt.source))) if prompt is not None else ""
        anchor = prompt.index if prompt is not None else cell.index
        gid = _nbgrader.meta(cell).get("grade_id")
        if not phrase or phrase.lower() in used_phrases:
            phrase, anchor = (f"grade_id:{gid}", cell.index) if gid else (phrase, anchor)
        used_phrases.add(phrase.lower())
        prompt_text = "\n".join(c.source for c in between)
        test = next((c for c in cells[cell.index + 1:] if _nbgrader.closes_question(c)
                     or _nbgrader.is_solution(c)), None)
        variables: tuple[str, ...] = ()
        single: tuple[str, ...] = ()
        pts = _nbgrader.points(cell)
        if test is not None and not _nbgrader.is_solution(test) and test.cell_type == "code":
            named = [v for v in _nbgrader.tested_names(test.source) if re.search(rf"\b{re.escape(v)}\b", prompt_text)]
            variables = tuple(named) if len(named) >= 2 else ()
            single = tuple(named) if len(named) == 1 else ()
            pts = pts or _nbgrader.points(test)
            boundary = test.index
        else:
            boundary = cell.index
        out.append(Discovered("q", name, anchor, prompt_text.strip(), phrase, "nbgrader", pts, variables, cell.index,
                              single))
    return out


def discover(nb: ParsedNotebook) -> list[Discovered]:
    """The notebook's questions by the first convention that recognises it; [] when none does."""
    if _nbgrader.is_nbgrader(nb):
        return _from_nbgrader(nb)
    return _from_labels(nb)
