"""Spec-less audit: infer a spec from the notebook itself when no shipped spec fits.

Questions come from the structure (auditor.assignment.structure); the question cells' own lines become
the template fingerprint, so the student's words are told apart as usual. Checks that can
recognise their question from its text and code are switched on (a CNN defined in code next
to "receptive field"; two consecutive dropouts and "q"); true/false statements get their
verdict read but, with no key, are ``manual``. Everything else is answered/unanswered.
"""
from __future__ import annotations

import ast
import re

from auditor.extract.answers import normalise
from auditor.models import AssignmentSpec, ParsedNotebook, QuestionSpec, SectionSpec, freeze
from auditor.assignment.structure import FoundQuestion, distinctive_phrase, find_structure
from auditor.assignment.fingerprint import NGRAM, encode, fingerprint_cells


def _literal_env(tree: ast.AST) -> dict[str, object]:
    """Names bound to literals by simple assignments (``p1, p2 = 0.1, 0.2``)."""
    env: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            pairs = []
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
                pairs = list(zip(target.elts, value.elts))
            else:
                pairs = [(target, value)]
            for t, v in pairs:
                if isinstance(t, ast.Name):
                    try:
                        env[t.id] = ast.literal_eval(v)
                    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                        pass
    return env


def dropout_probabilities(code: str) -> tuple[float, ...]:
    """The p of each ``Dropout(p=...)`` in code, in order, resolved from literals; () if unreadable."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    env = _literal_env(tree)
    ps: list[float] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if name != "Dropout":
                continue
            arg = next((k.value for k in node.keywords if k.arg == "p"), node.args[0] if node.args else None)
            if arg is None:
                ps.append(0.5)
                continue
            if isinstance(arg, ast.Name) and isinstance(env.get(arg.id), (int, float)):
                ps.append(float(env[arg.id]))
            else:
                try:
                    ps.append(float(ast.literal_eval(arg)))
                except (ValueError, TypeError, SyntaxError):
                    return ()
    return tuple(ps)


def _recognise(q: FoundQuestion, nb: ParsedNotebook) -> dict:
    text = normalise(" ".join(q.lines))
    codes = [nb.cells[i].source for i in q.code_cells[:1]]
    from auditor.assignment.question_inputs import recognise  # the question's own inputs

    if proposed := recognise(q, nb):
        return proposed
    if "receptive field" in text:
        for code in codes:
            if "Sequential" in code and "Conv2d" in code:
                return {"claim": "number", "check": "receptive_field", "params": {"model_code": code}}
    if "dropout" in text and re.search(r"\bq\b", text):
        for code in codes:
            ps = dropout_probabilities(code)
            if len(ps) == 2:
                return {"claim": "probability", "check": "dropout_composition",
                        "params": {"p1": ps[0], "p2": ps[1]}}
    return {}


def _introduces_code(q: FoundQuestion) -> bool:
    """The question's opening announces code ("defined as follows:", "this model:")."""
    opening = q.text.strip().lower()
    return opening.endswith(":") or any(w in opening for w in ("following", "below", "given"))


def infer_spec(nb: ParsedNotebook) -> AssignmentSpec:
    sections = find_structure(nb)
    sec_specs: list[SectionSpec] = []
    questions: list[QuestionSpec] = []
    template_cells: list[tuple[str, str, str]] = []
    seen_slugs: dict[str, int] = {}
    for sec in sections:
        slug = sec.slug or "questions"
        if slug in seen_slugs:
            seen_slugs[slug] += 1
            slug = f"{slug}-{seen_slugs[slug]}"
        else:
            seen_slugs[slug] = 1
        sec_specs.append(SectionSpec(slug, sec.heading))
        template_cells.append(("markdown", f"### {sec.heading}", ""))
        for n, q in enumerate(sec.questions, 1):
            qid = f"{slug}/{n}"
            template_cells.append(("markdown", "\n\n".join(q.lines), ""))
            if q.code_cells and _introduces_code(q):
                c = nb.cells[q.code_cells[0]]
                template_cells.append(("code", c.source, c.outputs_text))
            rec = _recognise(q, nb)
            tf = "true or false" in normalise(" ".join(q.lines))
            questions.append(QuestionSpec(
                id=qid, section=slug, number=n,
                phrases=(normalise(distinctive_phrase(q.text)),),
                claim=rec.get("claim") or ("verdict" if tf and not q.subs else None),
                check=rec.get("check"),
                params=freeze(rec.get("params", {})),
            ))
            for k, sub in enumerate(q.subs, 1):
                questions.append(QuestionSpec(
                    id=f"{qid}.{k}", section=slug, number=n, sub=k,
                    phrases=(normalise(distinctive_phrase(sub)),),
                    claim="verdict" if tf else None,
                    parent=qid,
                ))
    return AssignmentSpec(
        id="spec-less",
        title="inferred from the notebook's structure",
        variant=None,
        path="<inferred>",
        sections=tuple(sec_specs),
        questions=tuple(questions),
        template=freeze({"ngram": NGRAM, "hashes": encode(fingerprint_cells(template_cells))}),
        description="No shipped spec fits this notebook: questions found from headings and numbered items.",
    )
