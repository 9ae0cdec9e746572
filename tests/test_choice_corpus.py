"""The choice reader on the other courses' labelled selections (../shared/corpus-foreign; skipped when absent).

For every labelled option selection written in a markdown cell: the question's options are read
from the question's own text (question_inputs.choice_inputs), the answer is the labelled cell
without the template's lines, and the reading must match the label. The key of a question is the
claim of a label marked correct. Nothing of the data is copied here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.assignment.question_inputs import choice_inputs
from auditor.claims.choice_options import label_style
from auditor.claims.read import read_claim
from auditor.judge.registry import get_check, run_check
from auditor.models import Answer, QuestionSpec, Segment, Status, freeze
from corpus_paths import SHARED

FOREIGN = next((p for p in (SHARED / "corpus-foreign", Path("/work/shared/corpus-foreign")) if p.is_dir()), None)
pytestmark = pytest.mark.corpus


def _source(cell) -> str:
    s = cell["source"]
    return ("".join(s) if isinstance(s, list) else s).replace("\r\n", "\n")


def _selection_items():
    for setdir in sorted(p for p in FOREIGN.iterdir() if p.is_dir()):
        template = json.loads((setdir / "template.ipynb").read_text())
        template_lines = {ln.strip() for c in template["cells"] for ln in _source(c).splitlines() if ln.strip()}
        labels = [json.loads(p.read_text()) for p in sorted((setdir / "labels").glob("*.json"))]
        keys = {qid: q["claim"] for lab in labels for qid, q in lab["questions"].items() if q.get("correct") is True}
        for lab in labels:
            nb = json.loads((setdir / "submissions" / f"{lab['notebook']}.ipynb").read_text())
            for qid, q in lab["questions"].items():
                claim, cells = q.get("claim"), q.get("cell")
                cells = cells if isinstance(cells, list) else [cells]
                if not isinstance(claim, list) or not claim or label_style(claim) is None or None in cells:
                    continue
                if any(nb["cells"][c]["cell_type"] != "markdown" for c in cells):
                    continue
                lines = "\n".join(_source(nb["cells"][c]) for c in cells).splitlines()
                question = "\n".join(ln for ln in lines if ln.strip() in template_lines)
                params = choice_inputs(question)
                back = min(cells) - 1
                while params is None and back >= max(0, min(cells) - 3):
                    params = choice_inputs(_source(nb["cells"][back]))
                    back -= 1
                if params is None:
                    continue
                student = "\n".join(ln for ln in lines if ln.strip() and ln.strip() not in template_lines)
                yield setdir.name, qid, claim, q.get("correct"), keys.get(qid), params, student


@pytest.mark.skipif(FOREIGN is None, reason="../shared/corpus-foreign is not present")
def test_selections_read_as_labelled_and_no_false_pass():
    items = list(_selection_items())
    assert len(items) >= 30
    read_ok, false_pass, misread_fail = 0, [], []
    for setname, qid, claim, correct, key, params, student in items:
        q = QuestionSpec(id=qid, section="s", number=1, claim="choice", check="choice_selection",
                         params=freeze(params), key=freeze(key))
        answer = Answer(qid, True, (Segment(0, student, "markdown"),))
        got = read_claim("choice", answer, q)
        value = got.value if got.readable and not got.extra.get("hedged") else None
        read_ok += value == claim
        out = run_check(get_check("choice_selection"), question=q, answer=answer, claim=got)
        if out.status == Status.PASS and correct is False:
            false_pass.append((setname, qid))
        if out.status == Status.FAIL and correct is True:
            misread_fail.append((setname, qid))
    assert not false_pass and not misread_fail
    assert read_ok / len(items) >= 0.9, f"{read_ok}/{len(items)}"


COURSE = next((p for p in (SHARED / "corpus" / "notebooks", Path("/work/shared/corpus/notebooks")) if p.is_dir()), None)


@pytest.mark.skipif(COURSE is None, reason="../shared/corpus is not present")
def test_spec_less_checks_agree_with_the_shipped_specs_on_the_course():
    """Where a spec-less audit judges a question from its own inputs, it says what the spec'd audit says."""
    from auditor.pipeline import audit

    judged = 0
    for path in sorted(COURSE.glob("*.ipynb")):
        specless = audit(path, assignment="none", execute=False)
        specd = {q.id: q for q in audit(path, assignment="auto", execute=False).questions}
        for q in specless.questions:
            if q.check == "answered":
                continue
            judged += 1
            assert q.id in specd and (q.check, q.status) == (specd[q.id].check, specd[q.id].status), (path.name, q.id)
    assert judged >= 20
