"""Splitting a question's answer among its sub-statements, and grouped answer cells among questions.

Sub-statements split their question's answer by the student's copies of the statement (or the
interleaved template statements), else by the student's ordered labels (1./2., continued
numbering 5.-10., a)/b), i./ii.), else by paragraphs. A section whose answers sit in one grouped
cell after its last question is split on the grouped cell's labels.
"""
from __future__ import annotations

from typing import Sequence

from auditor.models import AssignmentSpec, QuestionSpec
from auditor.extract.lines import Line, _label, is_marker_line

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
