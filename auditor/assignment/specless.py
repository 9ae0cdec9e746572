"""Spec-less audit: infer a spec from the notebook itself when no shipped spec fits.

Questions come from the structure (auditor.assignment.structure); the question cells' own lines become
the template fingerprint, so the student's words are told apart as usual. Checks that can
recognise their question from its text and code are switched on (a CNN defined in code next
to "receptive field"; two consecutive dropouts and "q"); true/false statements get their
verdict read but, with no key, are ``manual``. Everything else is answered/unanswered.

Questions found by a convention (nbgrader, Otter, printed labels) keep the notebook's own ids
and get the claim kind their wording asks for (``auditor.assignment.proposals``), read and shown,
never judged without a key. Checks whose inputs the question itself gives come from the hook
``auditor.assignment.question_inputs.recognise(question, notebook)`` when that module is installed.
"""
from __future__ import annotations

import ast
import re

from auditor.extract.answers import normalise
from auditor.models import AssignmentSpec, ParsedNotebook, QuestionSpec, SectionSpec, freeze
from auditor.assignment.structure import FoundQuestion, distinctive_phrase, find_structure
from auditor.assignment.fingerprint import NGRAM, encode, fingerprint_cells
from auditor.assignment.answer_names import code_value_proposal, for_found_question
from auditor.assignment.proposals import answer_pattern, propose_for_text


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


def _question_inputs(q: FoundQuestion, nb: ParsedNotebook) -> dict:
    """Hook: a check with parameters read from the question itself ({"claim", "check", "params"}),
    from ``auditor.assignment.question_inputs.recognise`` when that module is installed; {} if not."""
    try:
        from auditor.assignment import question_inputs  # type: ignore[attr-defined]
    except ImportError:
        return {}
    recognise = getattr(question_inputs, "recognise", None)
    return dict(recognise(q, nb) or {}) if recognise is not None else {}


def _convention_questions(slug: str, q: FoundQuestion, nb: ParsedNotebook) -> list[QuestionSpec]:
    d = q.found
    assert d is not None
    qid = f"{slug}/{d.name}"
    rec = _recognise(q, nb) or _question_inputs(q, nb)
    wording = propose_for_text(d.text)
    names = for_found_question(q, nb)
    if wording.claim is None and names:
        wording = code_value_proposal()
    claim = rec.get("claim") or (wording.claim if not d.variables else None)
    out = [QuestionSpec(id=qid, section=slug, number=_number(d.name), phrases=(d.phrase,), claim=claim,
                        check=rec.get("check"), params=freeze(rec.get("params", {})), points=float(d.points or 0),
                        answer_names=names)]
    for k, var in enumerate(d.variables, 1):
        out.append(QuestionSpec(id=f"{qid}.{k}", section=slug, number=_number(d.name), sub=k, phrases=(var,),
                                claim=wording.claim if wording.claim == "verdict" else None, parent=qid,
                                answer_patterns=(answer_pattern(var),), answer_names=(var,)))
    return out


_PLACEHOLDER = re.compile(r"^\s*(?:[\w.\[\]'\"]+(?:\s*,\s*[\w.]+)*\s*=\s*)?\.\.\.\s*(?:#.*)?$")
_DO_NOT_EDIT = re.compile(r"#.*\bdo not (?:edit|modify|change)\b", re.I)


def _stub_lines(q: FoundQuestion, nb: ParsedNotebook) -> list[str]:
    """With no template, the release's own lines of a code stub: comments, ``...`` placeholders,
    ``def`` headers, names shown alone, calls on names alone (``show(x)``), and everything under
    a "do not edit" comment. What the
    student typed in place of a ``...`` is none of these, so it stays the answer."""
    out: list[str] = []
    for index in q.code_cells:
        lines = nb.cells[index].source.splitlines()
        if not any(_PLACEHOLDER.match(ln) or _DO_NOT_EDIT.search(ln) for ln in lines):
            out.extend(ln for ln in lines if ln.strip().startswith("#"))
            continue
        frozen = False
        for ln in lines:
            frozen = frozen or bool(_DO_NOT_EDIT.search(ln))
            text = ln.strip()
            if frozen or text.startswith("#") or _PLACEHOLDER.match(ln) or \
                    re.match(r"^(?:def|class)\s+\w+.*:\s*$", text) or re.match(r"^[A-Za-z_]\w*(?:\s*,\s*\w+)*$", text) \
                    or re.match(r"^[A-Za-z_][\w.]*\((?:[\w.]+(?:\s*,\s*[\w.]+)*)?\)\s*;?$", text):
                out.append(ln)
    return ["\n".join(out)] if out else []


def _number(name: str) -> int:
    m = re.match(r"\d+", name)
    return int(m.group()) if m else 0


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
            if q.found is not None:
                template_cells.extend(("code", stub, "") for stub in _stub_lines(q, nb))
                questions.extend(_convention_questions(slug, q, nb))
                continue
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
