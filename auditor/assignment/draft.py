"""Draft an assignment spec (TOML text) from a blank template notebook.

Sections, questions and sub-statements come from ``auditor.assignment.structure`` (ids by order, as in
LABELING.md); each gets a short recognising phrase; a check is proposed where the question
recognises itself (a CNN and "receptive field"; two dropouts and "q"; "true or false"; a snippet
whose output shape is asked; a code cell with TODOs whose gradients can be compared with
autograd; a sigmoid MLP that "no longer trains"). Keys are left for the instructor, commented.
The template's fingerprint is appended so the auditor can tell template text from answers.

Questions found by a convention (``auditor.assignment.conventions``) keep the notebook's own
numbering as ids (``inline/2``, ``q/2a``), their points, and the claim kind and check proposed
from their wording (``auditor.assignment.proposals``); every checkable question gets a
``key = "TODO"`` line, which the spec loader reads as "no key yet" (graded by hand, never failed).
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

from auditor.extract.answers import normalise
from auditor.models import ParsedNotebook
from auditor.assignment.specless import dropout_probabilities
from auditor.assignment.structure import FoundQuestion, FoundSection, distinctive_phrase, find_structure
from auditor.assignment.fingerprint import fingerprint_notebook, template_table_toml
from auditor.assignment.answer_names import code_value_proposal, for_found_question
from auditor.assignment.proposals import answer_pattern, propose_for_text


@dataclass
class DraftQuestion:
    id: str
    phrase: str
    claim: str | None = None
    check: str | None = None
    params: dict = field(default_factory=dict)
    fetch: list[str] = field(default_factory=list)
    key_hint: str | None = None      # a comment for the instructor
    comment: str = ""
    key_todo: str | None = None      # example key (TOML): a `key = "TODO"` line is written
    points: float | None = None
    answer_patterns: list[str] = field(default_factory=list)
    answer_names: list[str] = field(default_factory=list)


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    if "\n" in text and "'''" not in text:
        return "'''\n" + text.strip("\n") + "\n'''"
    return _toml_str(text)


def _assigned_sequential(code: str, needle: str) -> str | None:
    """The ``name = nn.Sequential(...)`` statement (with the literal assignments before it)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    keep: list[str] = []
    for node in tree.body:
        seg = ast.get_source_segment(code, node) or ""
        if isinstance(node, ast.Assign) and "Sequential" in seg and needle in seg:
            keep.append(seg)
            return "\n".join(keep)
        if isinstance(node, ast.Assign) and not any(isinstance(n, ast.Call) for n in ast.walk(node.value)):
            keep.append(seg)
    return None


def _input_size(code: str) -> int | None:
    m = re.search(r"size\s*=\s*\(\s*\d+\s*,\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", code)
    return int(m.group(1)) if m and m.group(1) == m.group(2) else None


def _shape_target(code: str) -> str | None:
    m = re.search(r"\b([A-Za-z_]\w*)\.shape\b", code)
    return m.group(1) if m else None


def _todo_names(code: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"#\s*([A-Za-z_]\w*)\s*=\s*\.\.\.", code)))


def _propose(q: FoundQuestion, nb: ParsedNotebook, qid: str) -> list[DraftQuestion]:
    text = normalise(" ".join(q.lines))
    codes = [nb.cells[i].source for i in q.code_cells[:1]]
    code = codes[0] if codes else ""
    top = DraftQuestion(qid, distinctive_phrase(q.text))
    subs = [DraftQuestion(f"{qid}.{k}", distinctive_phrase(s)) for k, s in enumerate(q.subs, 1)]
    true_false = "true or false" in text
    if "receptive field" in text and "Conv2d" in code:
        model = _assigned_sequential(code, "Conv2d")
        if model:
            top.claim, top.check = "number", "receptive_field"
            top.params = {"model_code": model}
            if _input_size(code):
                top.params["input_size"] = _input_size(code)
    elif "dropout" in text and len(dropout_probabilities(code)) == 2 and re.search(r"\bq\b", text):
        p1, p2 = dropout_probabilities(code)
        top.claim, top.check, top.params = "probability", "dropout_composition", {"p1": p1, "p2": p2}
    elif "Sequential" in code and "Sigmoid" in code and re.search(r"no longer training|plateau|most likely cause", text):
        model = _assigned_sequential(code, "Sigmoid")
        if model:
            top.claim, top.check, top.params = "cause", "gradient_cause", {"model_code": model}
            top.key_hint = 'key = "vanishing"   # TODO: vanishing | exploding | other'
    elif "TODO" in code and ("grad" in code or "numerical" in text):
        names = _todo_names(code)
        grads = [n for n in names if n.lower().startswith("grad")]
        if grads:
            top.claim, top.check = "code", "numerical_gradient"
            top.fetch = sorted({"X", "W", "b", *grads})
            top.comment = "the loss and variable names come from the template's code: check them"
    shape_target = _shape_target(code)
    if shape_target and code and ("shape" in text or "contain" in text):
        target_q = next((s for s, t in zip(subs, q.subs) if "shape" in t.lower()), None) or (top if not subs else None)
        if target_q is not None and target_q.check is None:
            snippet = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith(("print", "import", "#")))
            target_q.claim, target_q.check = "shape", "tensor_shape"
            target_q.params = {"snippet": snippet.strip(), "target": shape_target}
    if true_false:
        for d in (subs or [top]):
            if d.check is None:
                d.claim, d.check = "verdict", "true_false"
                d.key_hint = 'key = "true"   # TODO: the instructor\'s key, "true" or "false"'
    return [top, *subs]


def _propose_convention(q: FoundQuestion, nb: ParsedNotebook, qid: str) -> list[DraftQuestion]:
    """A question found by convention: the code-recognising checks first, else the wording's."""
    d = q.found
    assert d is not None
    top = _propose(q, nb, qid)[0]
    top.phrase, top.points = d.phrase, d.points
    subs: list[DraftQuestion] = []
    wording = propose_for_text(d.text)
    top.answer_names = list(for_found_question(q, nb))
    if wording.claim is None and top.answer_names:
        wording = code_value_proposal()
    targets = [top]
    if d.variables:
        for k, var in enumerate(d.variables, 1):
            subs.append(DraftQuestion(f"{qid}.{k}", var, answer_patterns=[answer_pattern(var)],
                                      comment=f"the answer variable {var}", answer_names=[var]))
        targets = subs if wording.claim == "verdict" else []
    for t in [top, *subs]:
        if t.check == "true_false":  # proposed from the code/wording recognisers above
            t.key_todo, t.key_hint = '"true"', None
    for t in targets:
        if t.check is None and t.claim is None:
            t.claim, t.check, t.params = wording.claim, wording.check, dict(wording.params)
            t.comment = "; ".join(x for x in (t.comment, wording.comment) if x)
            t.key_todo = wording.key_example
            if t.check == "true_false":
                t.key_hint = None
    return [top, *subs]


def draft_questions(nb: ParsedNotebook) -> tuple[list[FoundSection], list[DraftQuestion]]:
    sections = find_structure(nb)
    out: list[DraftQuestion] = []
    for sec in sections:
        for n, q in enumerate(sec.questions, 1):
            if q.found is not None:
                out.extend(_propose_convention(q, nb, f"{sec.slug}/{q.found.name}"))
                continue
            if len(q.subs) == 1:  # one nested item continues the question: not a set of statements
                q.subs = []
            out.extend(_propose(q, nb, f"{sec.slug}/{n}"))
    return sections, out


def draft_spec(nb: ParsedNotebook, *, spec_id: str | None = None, title: str | None = None) -> str:
    sections, questions = draft_questions(nb)
    sid = spec_id or re.sub(r"[^a-z0-9]+", "-", nb.name.lower().removesuffix(".ipynb")).strip("-") or "assignment"
    lines = [
        f"# Draft spec made by `auditor init` from {nb.name}.",
        "# Review every entry: phrases recognise questions (short, distinctive), checks were proposed",
        "# where the question recognised itself, and keys are left for you (lines marked TODO).",
        "",
        "[assignment]",
        f"id = {_toml_str(sid)}",
        f"title = {_toml_str(title or sid)}",
        "",
    ]
    for sec in sections:
        lines += ["[[sections]]", f"slug = {_toml_str(sec.slug)}", f"heading = {_toml_str(sec.heading)}", ""]
    for d in questions:
        lines += ["[[questions]]", f"id = {_toml_str(d.id)}", f"phrases = [{_toml_str(d.phrase)}]"]
        if d.comment:
            lines.append(f"# {d.comment}")
        if d.claim:
            lines.append(f"claim = {_toml_str(d.claim)}")
        if d.check:
            lines.append(f"check = {_toml_str(d.check)}")
        if d.key_hint:
            lines.append(f"# {d.key_hint}")
        if d.key_todo:
            lines.append('key = "TODO"   # the instructor\'s key, e.g. key = ' + d.key_todo
                         + ' ("TODO": graded by hand until filled in)')
        if d.points is not None:
            lines.append(f"points = {_toml_value(float(d.points))}")
        if d.answer_patterns:
            lines.append(f"answer_patterns = [{', '.join(_toml_str(p) for p in d.answer_patterns)}]")
        if d.answer_names:
            lines.append(f"answer_names = {_toml_value(d.answer_names)}")
        if d.fetch:
            lines.append(f"fetch = {_toml_value(d.fetch)}")
        if d.params:
            lines.append("[questions.params]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in d.params.items()]
        lines.append("")
    lines.append(template_table_toml(fingerprint_notebook(nb)))
    return "\n".join(lines)


def replace_template_table(spec_text: str, nb: ParsedNotebook) -> str:
    """The spec text with its ``[template]`` fingerprint table (re)made from ``nb``."""
    text = re.sub(r"\n\[template\]\n.*?(?=\n\[|\Z)", "\n", spec_text, flags=re.S).rstrip()
    return text + "\n\n" + template_table_toml(fingerprint_notebook(nb))
