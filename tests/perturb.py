"""Formatting perturbations of a student's answer that must not change the claim read from it.

A careful reader reads the same verdict, number or shape from ``A. True``, ``(a) **true**``,
``2.A $\\text{TRUE}$:``, ``- True!`` and from a copy of the statement followed by ``True``.
``perturbations(answer, question)`` yields ``(name, perturbed Answer)`` pairs; each changes only
the form of the answer's prose (markdown segments): item labels in another style (relabelled
with the same ordinal, so a list keeps its order), emphasis, LaTeX wrapping and casing of the
verdict words, punctuation after them, line breaks, bullets, a restated statement before the
answer, a neutral trailing sentence.  Code and printed output are left alone (their form is
meaning).

Used by ``tests/test_perturbation_invariance.py`` on every labelled claim of the dev corpus.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Iterator

from auditor.models import Answer, QuestionSpec, Segment

# a list label at the start of a line: 1.  2)  (3)  a.  b)  (c)  i.  3.1  **A.**
_LABEL = re.compile(
    r"(?m)^(?P<indent>[ \t]*)(?P<label>(?:\*\*)?\(?(?:\d+(?:\.\d+)*|[A-Za-z])[.)](?:\*\*)?)(?=[ \t]+\S)")
_VERDICT = re.compile(r"\b(?:true|false|yes|no|correct|incorrect)\b", re.I)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _ordinal(label: str) -> int | None:
    core = re.sub(r"[*().\s]", " ", label).split()
    if not core:
        return None
    last = core[-1]
    if last.isdigit():
        return int(last.split(".")[-1])
    if len(last) == 1 and last.isalpha():
        return _LETTERS.index(last.lower()) + 1
    return None


LabelStyle = Callable[[int, int], str]     # (ordinal, question number) -> label text

LABEL_STYLES: dict[str, LabelStyle] = {
    "label-upper-dot": lambda k, n: f"{_LETTERS[k - 1].upper()}.",
    "label-lower-paren": lambda k, n: f"{_LETTERS[k - 1]})",
    "label-both-parens": lambda k, n: f"({_LETTERS[k - 1]})",
    "label-bold": lambda k, n: f"**{_LETTERS[k - 1].upper()}.**",
    "label-dash": lambda k, n: f"{_LETTERS[k - 1].upper()} -",
    "label-qualified": lambda k, n: f"{n}.{_LETTERS[k - 1].upper()}",
    "label-colon": lambda k, n: f"{_LETTERS[k - 1].upper()}:",
    "label-number-paren": lambda k, n: f"{k})",
}


def relabel(text: str, style: LabelStyle, sub: int | None, number: int) -> str:
    """Every list label rewritten in ``style`` with its own ordinal; an unlabelled answer gets
    the label of its statement (or 1) on its first line."""
    found = False

    def swap(m: re.Match[str]) -> str:
        nonlocal found
        k = _ordinal(m.group("label"))
        if k is None or k > 26:
            return m.group(0)
        found = True
        return m.group("indent") + style(k, number)

    out = _LABEL.sub(swap, text)
    if found:
        return out
    lead = len(text) - len(text.lstrip())
    return text[:lead] + style(sub or 1, number) + " " + text[lead:]


def _words(rx: re.Pattern[str], wrap: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: rx.sub(lambda m: wrap(m.group(0)), text)


TEXT_PERTURBATIONS: dict[str, Callable[[str], str]] = {
    "verdict-bold": _words(_VERDICT, lambda w: f"**{w}**"),
    "verdict-italic": _words(_VERDICT, lambda w: f"*{w}*"),
    "verdict-upper": _words(_VERDICT, str.upper),
    "verdict-lower": _words(_VERDICT, str.lower),
    "verdict-latex-text": _words(_VERDICT, lambda w: f"$\\text{{{w}}}$"),
    "verdict-latex-bf": _words(_VERDICT, lambda w: f"\\textbf{{{w}}}"),
    "verdict-exclaim": _words(re.compile(r"(?<![\w*$])(?:true|false)\b(?![!.:,;])", re.I), lambda w: f"{w}!"),
    "verdict-html-bold": _words(_VERDICT, lambda w: f"<b>{w}</b>"),
    "verdict-title": _words(_VERDICT, str.title),
    "verdict-colon": _words(re.compile(r"(?<![\w*$])(?:true|false)\b(?![!.:,;])", re.I), lambda w: f"{w}:"),
    "prose-lower": str.lower,
    "prose-upper": lambda t: _outside_math(t, str.upper),
    "answer-marker": lambda t: _first_line(t, lambda ln: "**Answer:** " + ln),
    "quote-block": lambda t: _first_line(t, lambda ln: "> " + ln),
    "double-line-breaks": lambda t: re.sub(r"(?<=\S)\n(?=\S)", "\n\n", t),
    "numbers-bold": lambda t: re.sub(r"(?<=[ \t])(\d+(?:\.\d+)?)(?=[ \t,;]|\.(?!\d)|$)", r"**\1**", t, flags=re.M),
    "numbers-latex": lambda t: re.sub(r"(?<=[ \t])(\d+(?:\.\d+)?)(?=[ \t,;]|\.(?!\d)|$)(?![^$\n]*\$)", r"$\1$", t, flags=re.M),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "bullet-dash": lambda t: _first_line(t, lambda ln: "- " + ln),
    "bullet-star": lambda t: _first_line(t, lambda ln: "* " + ln),
    "leading-blank-lines": lambda t: "\n\n" + t,
    "line-break-after-label": lambda t: _LABEL.sub(lambda m: m.group(0) + "\n", t, count=1),
    "trailing-explanation": lambda t: t.rstrip() + "\n\nThe explanation above gives the reason for this answer.",
}


def _outside_math(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the prose only: $math$, `code` and LaTeX commands keep their case."""
    parts = re.split(r"(\$\$?[^$]*\$\$?|`[^`]*`|\\[A-Za-z]+)", text)
    return "".join(p if i % 2 else change(p) for i, p in enumerate(parts))


def _first_line(text: str, change: Callable[[str], str]) -> str:
    lines = text.split("\n")
    for i, ln in enumerate(lines):
        if ln.strip():
            lead = len(ln) - len(ln.lstrip())
            lines[i] = ln[:lead] + change(ln[lead:])
            break
    return "\n".join(lines)


def _restated(question: QuestionSpec) -> Callable[[str], str] | None:
    """A copy of the statement (its recognition phrase) on a line before the answer."""
    phrases = [p for p in question.phrases if p.strip()]
    if not phrases:
        return None
    phrase = phrases[0]
    return lambda text: f'"{phrase[0].upper() + phrase[1:]}."\n\n' + text


def _restated_inline(question: QuestionSpec) -> Callable[[str], str] | None:
    """The statement copied on the answer's first line, the answer after a dash."""
    phrases = [p for p in question.phrases if p.strip()]
    if not phrases or question.sub is None:
        return None
    phrase = phrases[0]
    return lambda text: _first_line(text, lambda ln: f"{phrase[0].upper() + phrase[1:]} - {ln}")


def _each_line(change: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: "\n".join(change(ln) if ln.strip() and not ln.rstrip().endswith("\\") else ln
                                  for ln in text.split("\n"))


# code keeps its meaning under these (a code answer's form is its layout and comments)
CODE_PERTURBATIONS: dict[str, Callable[[str], str]] = {
    "code-leading-blank-lines": lambda t: "\n\n" + t,
    "code-trailing-blank-lines": lambda t: t + "\n\n\n",
    "code-trailing-comment": lambda t: t.rstrip() + "\n# the computation above is the answer\n",
    "code-heading-comment": lambda t: "# Answer:\n" + t,
    "code-line-comments": _each_line(lambda ln: ln + "  # step"),
    "code-trailing-spaces": _each_line(lambda ln: ln + "   "),
    "code-crlf": lambda t: t.replace("\n", "\r\n"),
    "code-docstring": lambda t: '"""Answer."""\n' + t,
    "code-blank-between-lines": lambda t: "\n\n".join(t.split("\n")),
    "code-comment-block": lambda t: "#\n# -----\n#\n" + t,
}


def _apply(answer: Answer, change: Callable[[str], str], source: str = "markdown") -> Answer:
    """``change`` applied to the first segment of ``source`` that holds text."""
    segs = list(answer.segments)
    for i, s in enumerate(segs):
        if s.source == source and s.text.strip():
            segs[i] = Segment(s.cell, change(s.text), s.source)
            break
    else:
        return answer
    return replace(answer, segments=tuple(segs))


def perturbations(answer: Answer, question: QuestionSpec) -> Iterator[tuple[str, Answer]]:
    """(name, perturbed answer) for every perturbation that changes the text."""
    changes: dict[str, Callable[[str], str]] = {}
    for name, style in LABEL_STYLES.items():
        changes[name] = (lambda st: lambda t: relabel(t, st, question.sub, question.number))(style)
    changes.update(TEXT_PERTURBATIONS)
    restate = _restated(question)
    if restate is not None:
        changes["restated-statement"] = restate
    inline = _restated_inline(question)
    if inline is not None:
        changes["restated-inline"] = inline
    for name, change in changes.items():
        out = _apply(answer, change)
        if out is not answer and out.text != answer.text:
            yield name, out
    if question.claim == "code":
        for name, change in CODE_PERTURBATIONS.items():
            out = _apply(answer, change, "code")
            if out is not answer and out.text != answer.text:
                yield name, out


# --------------------------------------------------------------------------- the labelled corpus

def labelled_answers(notebooks_dir, labels_dir) -> Iterator[tuple[str, QuestionSpec, Answer, Answer | None]]:
    """(notebook name, question, its extracted answer, its parent's answer) for every labelled
    claim (an item with ``claimed``, ``formula_ok`` or ``code_filled``) of a labelled corpus, as
    the pipeline extracts them."""
    import json
    from pathlib import Path

    from auditor.extract.answers import extract
    from auditor.load.notebook import load_notebook
    from auditor.pipeline import resolve_assignment

    for label_path in sorted(Path(labels_dir).glob("*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        nb_path = Path(notebooks_dir) / label.get("file", label_path.stem + ".ipynb")
        if not nb_path.exists():
            continue
        nb = load_notebook(nb_path)
        spec = resolve_assignment(nb, "auto", None).spec
        if spec is None:
            continue
        ext = extract(nb, spec)
        for q in spec.questions:
            item = label.get("items", {}).get(q.id) or {}
            if not q.claim or not ({"claimed", "formula_ok", "code_filled"} & set(item)):
                continue
            yield nb_path.name, q, ext.answers[q.id], ext.answers.get(q.parent) if q.parent else None


def foreign_labelled_answers(root) -> Iterator[tuple[str, QuestionSpec, Answer, Answer | None]]:
    """The same for other courses' sets (``../shared/corpus-foreign``): each set read with the spec
    ``auditor init`` drafts from its blank template, every labelled verdict, selection or number."""
    import json
    from pathlib import Path

    from auditor.assignment.draft import draft_spec
    from auditor.assignment.spec import parse_spec
    from auditor.evaluate.foreign import checkable, find_sets, match_items
    from auditor.extract.answers import extract
    from auditor.load.notebook import load_notebook

    for set_dir in find_sets(root):
        spec = parse_spec(draft_spec(load_notebook(set_dir / "template.ipynb")))
        parents = {q.id: q.parent for q in spec.questions if q.parent}
        order = [q.id for q in spec.questions]
        for label_path in sorted((Path(set_dir) / "labels").glob("*.json")):
            label = json.loads(label_path.read_text(encoding="utf-8"))
            nb = load_notebook(Path(set_dir) / "submissions" / f"{label.get('notebook', label_path.stem)}.ipynb")
            ext = extract(nb, spec)
            spans = {qid: (ext.anchor_cells[qid], ext.last_cells.get(qid, ext.anchor_cells[qid]))
                     for qid in ext.anchor_cells}
            spans.update({sub: spans[p] for sub, p in parents.items() if p in spans})
            for iid, qid in match_items(label, spans, order, parents).items():
                item, q = label["questions"][iid], spec.question(qid)
                if q.claim and checkable(item.get("claim")) and item.get("answered"):
                    yield f"{set_dir.name}/{label_path.stem}/{iid}", q, ext.answers[qid], \
                        ext.answers.get(q.parent) if q.parent else None
