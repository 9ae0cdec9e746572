"""The real class (../shared/corpus): reading every submission as a careful TA would.

Skipped cleanly when the corpus is absent. Reading is measured without executing notebooks.
"""
from __future__ import annotations

import json

import pytest

from auditor.evaluate.agreement import evaluate, format_disagreements
from auditor.pipeline import audit
from auditor.report.result_json import result_to_dict
from corpus_paths import LABELS, NOTEBOOKS, need_corpus, seed_notebook

pytestmark = pytest.mark.corpus

_results: dict[str, dict] = {}


def _audit(path) -> dict:
    key = str(path)
    if key not in _results:
        _results[key] = result_to_dict(audit(path, execute=False))
    return _results[key]


@pytest.fixture(scope="module")
def corpus_eval():
    need_corpus()
    return evaluate(LABELS, NOTEBOOKS, audit_fn=_audit)


def _q(result: dict, qid: str) -> dict:
    return next(q for q in result["questions"] if q["id"] == qid)


def test_seed_matches_D_and_reports_the_known_mistakes():
    need_corpus()
    r = _audit(seed_notebook())
    assert r["assignment"]["id"] == "dl-summary-D"
    cnn = _q(r, "cnns/3")
    assert (cnn["claimed"], cnn["expected"], cnn["status"]) == (54, 112, "fail")
    drop = _q(r, "dropout/1")
    assert drop["claimed"] == pytest.approx(0.12) and drop["expected"] == pytest.approx(0.28)
    assert drop["status"] == "fail" and drop["details"]["formula_ok"] is True
    assert "formula right" in drop["message"]
    vae = _q(r, "unsupervised-learning/2.1")
    assert (vae["claimed"], vae["status"]) == ("true", "fail")
    assert _q(r, "backpropagation/3")["status"] == "unanswered"


def test_seed_claims_agree_with_its_label_on_every_item():
    need_corpus()
    label = json.loads((LABELS / (seed_notebook().stem + ".json")).read_text())
    from auditor.evaluate.agreement import Evaluation, evaluate_one

    ev = Evaluation()
    evaluate_one(label, _audit(seed_notebook()), ev)
    assert ev.disagreements == [], "\n".join(format_disagreements(ev))


def test_every_corpus_notebook_is_audited_without_internal_error():
    need_corpus()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        r = _audit(path)
        assert not r["error"], f"{path.name}: {r['error']}"
        assert not any(q["status"] == "error" for q in r["questions"]), path.name
        assert not any(f["kind"] == "internal-error" for f in r["findings"]), path.name


def test_theoretical_questions_notebooks_run_spec_less():
    need_corpus()
    paths = sorted(NOTEBOOKS.glob("*TheoreticalQuestions*.ipynb"))
    assert len(paths) >= 6
    for path in paths:
        r = _audit(path)
        assert r["assignment"]["id"] is None
        assert r["questions"], f"{path.name}: spec-less mode found no questions"
        assert {q["status"] for q in r["questions"]} <= {"manual", "unanswered", "pass", "fail", "review"}


def test_variant_is_recognised_from_content(corpus_eval):
    wrong = [d for d in corpus_eval.disagreements if d.what == "variant"]
    assert wrong == []


def test_whole_class_agreement(corpus_eval):
    print("\n".join(format_disagreements(corpus_eval)))
    print(corpus_eval.last_line())
    assert corpus_eval.errors == 0
    assert corpus_eval.agreement >= 0.99
    assert corpus_eval.claims >= 0.98
    assert corpus_eval.false_passes == 0
    assert corpus_eval.misread_fails == 0


def test_leave_one_submission_out_stays_near_the_full_figure(corpus_eval):
    from auditor.evaluate.folds import folds, format_folds

    fs = folds(corpus_eval, 0)
    print("\n".join(format_folds(corpus_eval, fs)))
    assert len(fs) == corpus_eval.notebooks
    for f in fs:
        assert abs(f.rest.agreement - corpus_eval.agreement) <= 0.01
        assert abs(f.rest.claims - corpus_eval.claims) <= 0.01
        assert f.held.false_passes == 0 and f.held.misread_fails == 0
