"""Stage 3: find each question of the spec in a submission and the student's answer to it.

The notebook is flattened into *lines* (markdown parsed with markdown-it-py into blocks, then
lines; code cells and their outputs as units). Each line is compared with the spec's template
fingerprint: what the template already said is not the student's. Then:

1. section headings and question anchors are located in notebook order from the spec's
   short phrases (monotonic, so an answer that quotes a later question's words does not
   move it);
2. a question's region runs from its anchor to the next question's anchor or the next
   section heading; the student's content there is its answer, wherever the student put it
   (own cells, appended inside the question cell, code cells, printed outputs);
3. sub-statements split their question's answer: by the student's copies of the statement
   (or the interleaved template statements), else by the student's ordered labels
   (1./2., continued numbering 5.-10., a)/b), i./ii.), else by paragraphs;
4. a section whose answers sit in one grouped cell after its last question is split on the
   grouped cell's labels.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from auditor.load.markdown_blocks import parse_blocks
from auditor.models import Answer, AssignmentSpec, ParsedNotebook, QuestionSpec, Segment
from auditor.assignment.fingerprint import MARKER_WORDS, TemplateIndex, tokens

# A label at the start of a line: "3.", "3)", "(3)", "a.", "b)", "(ii)", "4.1", "Q3", "Answer 3:".
_LABEL = re.compile(
    r"""^\s*(?:[*_#>\s]*)
        (?:(?:answers?|ans|q|question)\s*[:.]?\s*)?
        \(?(?:(?P<dotted>\d+(?:\.\d+)+)[.):]?
             |(?P<simple>\d+|[a-hA-H]|[ivxIVX]{1,4})(?:[.):]|\s*[-\u2013:]))
        (?:\s+|$|(?<=\))(?=\S)|(?<=\.)(?=[A-Z]))""",
    re.X | re.I,
)
# "Answer:", "**Answer 3:**", "ANSWER" alone; not "Answer: 13" (a number after the colon is an answer)
_VALUE = re.compile(r"^\W*(?:answers?|ans)\W*\s*0?\.\d+\W*$", re.I)  # "Answer: 0.28" (no label starts at 0.)
_MARKER_ONLY = re.compile(r"^\W*(answers?|ans|solutions?)\s*(\d+(\.\d+)*)?\s*[:.)]?[\s*_:\-=>]*$", re.I)


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Lowercase, markdown/LaTeX punctuation folded to spaces, whitespace collapsed."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[`*_\"\u201c\u201d\\]", " ", text)
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

    @property
    def content(self) -> bool:
        """The line carries some of the student's own words."""
        return not self.template and self.kind != "heading"


@dataclass(frozen=True)
class Layout:
    """The notebook flattened into lines, with template text marked."""

    lines: tuple[Line, ...]
    code_cells_template: frozenset[int]      # code cells whose source is all template


def _residual_heuristic(text: str) -> tuple[str, ...]:
    toks = [t for t in tokens(text) if t not in MARKER_WORDS]
    return tuple(toks)


def layout(nb: ParsedNotebook, template: TemplateIndex | None) -> Layout:
    lines: list[Line] = []
    template_code: set[int] = set()
    order = 0

    block = 0

    def add(cell, source, kind, text, marker="", level=0):
        nonlocal order
        fraction = 0.0
        if template is not None:
            cov = template.coverage(text, code=(source == "code"))
            fraction = cov.fraction
            residual = cov.meaningful_residual()
            if not residual and not _MARKER_ONLY.match(text) and (not _LABEL.match(text) or _VALUE.match(text)):
                # "Answer: 13" / "Answer: 0.28": a bare number after a marker is the answer, not a label
                residual = tuple(t for t in cov.residual if t.isdigit())
        else:
            residual = _residual_heuristic(text)
        is_template = not residual or bool(_MARKER_ONLY.match(text))
        lines.append(Line(cell, order, source, kind, text, normalise(text), marker, level, is_template, residual,
                          block, fraction))
        order += 1

    for c in nb.cells:
        if c.cell_type == "markdown":
            for b in parse_blocks(c.source):
                block += 1
                first = True
                if not b.text and b.marker:
                    add(c.index, "markdown", b.kind, b.marker, b.marker, 0)  # an empty list item
                    continue
                for ln in b.text.splitlines():
                    if not ln.strip():
                        continue
                    add(c.index, "markdown", b.kind, ln.strip(), b.marker if first else "",
                        b.level if b.kind == "heading" else 0)
                    first = False
        elif c.cell_type == "code":
            src_lines = [ln for ln in c.source.splitlines() if ln.strip()]
            block += 1
            start = len(lines)
            for ln in src_lines:
                add(c.index, "code", "cell-code", ln.rstrip())
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
    return Layout(tuple(lines), frozenset(template_code))


# --------------------------------------------------------------------------- anchors

def _contains_phrase(norm_line: str, phrases: Sequence[str]) -> bool:
    return any(p and p in norm_line for p in phrases)


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
        lo, hi = _region_bounds(spec, q.parent, anchors, sections, len(lines))
        # a copy of the statement (mostly template words), not a sentence of the student's that uses its words
        statements[q.id] = tuple(i for i in range(lo, hi) if _contains_phrase(lines[i].norm, phrases)
                                 and (lines[i].template or lines[i].coverage >= 0.5))
    return Located(anchors, sections, statements)


def _region_bounds(spec, qid, anchors, sections, n_lines) -> tuple[int, int]:
    """[anchor, next anchor or next section heading) for a top-level question."""
    start = anchors[qid]
    end = n_lines
    for other, i in anchors.items():
        if i > start:
            end = min(end, i)
    for i in sections.values():
        if i > start:
            end = min(end, i)
    return start, end


# --------------------------------------------------------------------------- splitting

def _label(line: Line) -> str | None:
    if line.marker and line.marker not in ("-", "*", "+"):
        return line.marker.rstrip(".)")
    m = _LABEL.match(line.text)
    if m:
        return m.group("dotted") or m.group("simple")
    return None


def is_marker_line(line: Line) -> bool:
    """'Answer:', 'ANSWER 3:', '**Answer**:' alone on a line: where an answer starts."""
    return line.source == "markdown" and bool(_MARKER_ONLY.match(line.text))


def _items(lines: Sequence[Line]) -> list[list[Line]]:
    """Group lines into items that start at a label or an answer-marker line; lines before the first
    item are dropped; items without the student's content are dropped."""
    items: list[list[Line]] = []
    for ln in lines:
        if _label(ln) is not None or ln.marker in ("-", "*", "+") or is_marker_line(ln):
            items.append([ln])
        elif items:
            items[-1].append(ln)
    items = [[ln for ln in it if ln.content] for it in items]
    return [it for it in items if it]


def _paragraph_groups(lines: Sequence[Line]) -> list[list[Line]]:
    """Content lines grouped by markdown block (paragraph) or code cell."""
    groups: list[list[Line]] = []
    prev = None
    for ln in lines:
        key = ln.block if ln.source == "markdown" else ln.cell
        if prev != key or not groups:
            groups.append([ln])
        else:
            groups[-1].append(ln)
        prev = key
    return groups


def _split_by_statements(n_subs: int, region: Sequence[int], occ: dict[int, tuple[int, ...]],
                         lines: Sequence[Line]) -> dict[int, list[Line]] | None:
    """Split at the statements' own text: for each statement the latest occurrence that keeps the
    statements in order (a student's copy, with the verdict after it, wins over the template's)."""
    chosen: dict[int, int] = {}
    bound = max(region) + 1 if region else 0
    for k in range(n_subs, 0, -1):
        cands = [i for i in occ.get(k, ()) if i in region and i < bound]
        if cands:
            chosen[k] = cands[-1]
            bound = cands[-1]
    if len(chosen) < max(1, (n_subs + 1) // 2):
        return None
    ordered = sorted(chosen.items(), key=lambda kv: kv[1])
    out: dict[int, list[Line]] = {}
    region_sorted = sorted(region)
    for idx, (k, i) in enumerate(ordered):
        stop = ordered[idx + 1][1] if idx + 1 < len(ordered) else region_sorted[-1] + 1
        out[k] = [lines[j] for j in region_sorted if i <= j < stop and lines[j].content]
    # All the content after the last template statement is an answer to the whole question,
    # not to its last statement: that is no split.
    last_k, last_i = ordered[-1]
    if lines[last_i].template and all(not v for k, v in out.items() if k != last_k):
        return None
    return out


def _split_by_order(n_subs: int, content: Sequence[Line]) -> tuple[dict[int, list[Line]], str] | None:
    items = _items(content)
    if len(items) == n_subs + 1 and sum(len(ln.residual) for ln in items[0]) <= 3:
        items = items[1:]  # "4. Answers below" heads the list: not a part
    if len(items) == n_subs:
        return {k + 1: items[k] for k in range(n_subs)}, "labels"
    if items and len(items) > n_subs:
        # a run of exactly n items labelled 1..n (a restated "2. Regarding VAEs:" header before it)
        labels = [_label(it[0]) or "" for it in items]
        for start in range(len(items) - n_subs + 1):
            if labels[start : start + n_subs] == [str(k) for k in range(1, n_subs + 1)]:
                run = {k + 1: list(items[start + k]) for k in range(n_subs)}
                for extra in items[start + n_subs :]:
                    run[n_subs].extend(extra)
                return run, "labels"
        # labels numbered exactly 1..n (nested lists inside an item add extra items)
        by_num: dict[int, list[Line]] = {}
        current = None
        for it in items:
            lab = _label(it[0])
            if lab and lab.isdigit() and 1 <= int(lab) <= n_subs and int(lab) not in by_num:
                current = int(lab)
                by_num[current] = list(it)
            elif current is not None:
                by_num[current].extend(it)
        if len(by_num) == n_subs:
            return by_num, "labels"
    if 0 < len(items) < n_subs:
        nums = [_label(it[0]) or "" for it in items]
        if all(n and n.isdigit() and 1 <= int(n) <= n_subs for n in nums) and len(set(nums)) == len(nums):
            return {int(n): it for n, it in zip(nums, items)}, "labels"
        ints = [int(n) for n in nums if n.isdigit()]
        if len(ints) == len(nums) and ints[0] > n_subs and ints == list(range(ints[0], ints[0] + len(ints))):
            # continued numbering (7., 8. for the first two parts): the run starts at the first part
            return {k + 1: it for k, it in enumerate(items)}, "continued labels"
    groups = _paragraph_groups([ln for ln in content if ln.content])
    if len(groups) == n_subs:
        return {k + 1: groups[k] for k in range(n_subs)}, "paragraphs"
    return None


def _best_split(n, region, occ, lines, content):
    """The split that gives the most statements an answer; statement copies win a tie."""
    candidates = []
    by_statements = _split_by_statements(n, set(region), occ, lines)
    if by_statements is not None:
        candidates.append((by_statements, "statements"))
    # the student's lines, answer markers, and label-only lines of theirs ("Answer: 1." before a paragraph)
    by_order = _split_by_order(n, [lines[i] for i in region if lines[i].content or is_marker_line(lines[i])
                                   or (_label(lines[i]) is not None and lines[i].coverage < 0.5
                                       and lines[i].source == "markdown")])
    if by_order is not None:
        candidates.append(by_order)
    if not candidates:
        return None, ""
    return max(candidates, key=lambda c: sum(1 for v in c[0].values() if v))


# --------------------------------------------------------------------------- answers

def _segments(lines: Sequence[Line]) -> tuple[Segment, ...]:
    segs: list[Segment] = []
    for ln in lines:
        src = ln.source
        if segs and segs[-1].cell == ln.cell and segs[-1].source == src:
            last = segs[-1]
            segs[-1] = Segment(last.cell, last.text + "\n" + ln.text, src)
        else:
            segs.append(Segment(ln.cell, ln.text, src))
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
            lo, hi = _region_bounds(spec, q.id, loc.questions, loc.sections, len(lines))
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
        answers[q.id] = Answer(q.id, bool(content), _segments(content), _placement(content, anchor_cell))
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
    for q in spec.questions:
        if q.answered_elsewhere and not answers[q.id].answered:
            answers[q.id] = Answer(q.id, False, placement="elsewhere", note="answered in a separate file")
    code_cells: dict[str, int] = {}
    for qid, anchor in loc.questions.items():
        lo, hi = _region_bounds(spec, qid, loc.questions, loc.sections, len(lines))
        cells_here = list(dict.fromkeys(lines[i].cell for i in range(lo, hi) if lines[i].source == "code"))
        # the question's own code: a template cell when there is one (not a "!pip install" the student added)
        own = [c for c in cells_here if c in lay.code_cells_template] or cells_here
        if own:
            code_cells[qid] = own[0]
    anchor_cells = {qid: lines[i].cell for qid, i in loc.questions.items()}
    last_cells = {qid: max(lines[i].cell for i in region) for qid, region in regions.items() if region}
    return Extraction(answers, code_cells, anchor_cells, last_cells)


def _top_items(idx: Sequence[int], lines: Sequence[Line]) -> list[tuple[str | None, list[int]]]:
    """Lines grouped into labelled items: [(label, [content line indexes])]. A label starts an item even
    on a line with nothing else ("1. $$" before a formula); items without content are dropped."""
    items: list[tuple[str | None, list[int]]] = []
    for i in idx:
        ln = lines[i]
        lab = _label(ln)
        if lab is not None and ln.source == "markdown":
            items.append((lab, [i] if ln.content else []))
        elif ln.content and items:
            items[-1][1].append(i)
    return items


def _split_grouped_sections(spec: AssignmentSpec, regions: dict[str, list[int]], lines: Sequence[Line]):
    """Answers grouped in one cell after a run of questions ("**Answers:** 1. ... 2. ..."): the run's
    earlier questions have no content of their own; the last one's region holds labelled items for
    all. Items are given to the run's leaves (its sub-statements, or the question when it has none)
    when they number exactly as many as the leaves (students who number every leaf: 2.=1.1, 3.=1.2,
    4.=2), else to questions by printed number, else to questions by order.
    Returns (new regions of top-level questions, direct answers of sub-statements)."""
    out = dict(regions)
    direct: dict[str, list[int]] = {}
    subs_of: dict[str, list[QuestionSpec]] = {}
    for q in spec.questions:
        if q.parent:
            subs_of.setdefault(q.parent, []).append(q)

    def has_content(qid: str) -> bool:
        return any(lines[i].content for i in regions[qid])

    for sec in spec.sections:
        qs = [q for q in spec.questions if q.section == sec.slug and q.sub is None and q.id in regions]
        i = 0
        while i < len(qs):
            j = i
            while j < len(qs) - 1 and not has_content(qs[j].id):
                j += 1
            run = qs[i : j + 1]
            i = j + 1
            if len(run) < 2 or not has_content(run[-1].id):
                continue
            last = run[-1]
            anchor_cell = lines[regions[last.id][0]].cell
            # answers written inside the last question's own cell are its own: look after that cell
            all_items = _top_items([k for k in regions[last.id] if lines[k].cell > anchor_cell], lines)
            items = [it for it in all_items if it[1]]
            if len(items) < 2:
                continue
            if len(items) == len(subs_of.get(last.id, [])):
                continue  # as many items as the last question's sub-statements: they are its parts
            leaves = [(q, s) for q in run for s in (sorted(subs_of.get(q.id, []), key=lambda x: x.sub) or [None])]
            assign: dict[str, list[int]] = {}
            if len(leaves) > len(run) and len(leaves) in (len(items), len(all_items)):
                # every leaf numbered in turn (empty items keep their place)
                by_leaf = items if len(items) == len(leaves) else all_items
                for (q, s), (_, idx) in zip(leaves, by_leaf):
                    assign.setdefault(q.id, []).extend(idx)
                    if s is not None:
                        direct[s.id] = idx
            else:
                numbers = {q.number: q for q in run}
                current = None
                switched = 0
                for lab, idx in items:
                    if lab and lab.isdigit() and int(lab) in numbers and \
                            (current is None or int(lab) > current.number):
                        current = numbers[int(lab)]
                        switched += 1
                    if current is not None:
                        assign.setdefault(current.id, []).extend(idx)
                if switched < 2:
                    assign = {}
                    if len(items) == len(run):
                        for q, (_, idx) in zip(run, items):
                            assign[q.id] = list(idx)
            if not assign:
                continue
            for q in run:
                anchor = regions[q.id][:1]
                out[q.id] = anchor + [k for k in assign.get(q.id, []) if k not in anchor]
    return out, direct
