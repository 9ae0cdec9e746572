"""auditor evaluate: misread fails, review rate and held-out folds, on labels and results built here."""
from __future__ import annotations

import json

from auditor.evaluate.agreement import Evaluation, evaluate
from auditor.evaluate.folds import folds, format_folds


def _label(name: str, claimed) -> dict:
    return {"file": name, "items": {"s/1": {"answered": True, "claimed": claimed}, "s/2": {"answered": False}}}


def _result(status: str, claimed, expected="false", check="true_false", details=None) -> dict:
    return {"assignment": {}, "questions": [
        {"id": "s/1", "status": status, "claimed": claimed, "expected": expected, "check": check,
         "details": details or {}, "evidence": "", "answer_excerpt": ""},
        {"id": "s/2", "status": "unanswered", "claimed": None, "expected": None, "check": "answered",
         "details": {}, "answer_excerpt": ""}]}


def _corpus(tmp_path, cases):
    labels, nbs = tmp_path / "labels", tmp_path / "nbs"
    labels.mkdir()
    nbs.mkdir()
    results = {}
    for name, claimed, result in cases:
        (labels / f"{name}.json").write_text(json.dumps(_label(f"{name}.ipynb", claimed)))
        (nbs / f"{name}.ipynb").write_text("{}")
        results[f"{name}.ipynb"] = result
    return evaluate(labels, nbs, audit_fn=lambda p: results[p.name])


def test_misread_fail_false_pass_and_review_rate(tmp_path):
    ev = _corpus(tmp_path, [
        ("a", "false", _result("fail", "true")),            # label says right, auditor fails: misread
        ("b", "true", _result("pass", "false")),            # label says wrong, auditor passes: false pass
        ("c", "true", _result("fail", "true")),             # a justified fail
        ("d", "hedged", _result("review", "hedged")),       # a review due to reading
        ("e", None, _result("fail", "true")),               # no clear claim, yet failed: misread
    ])
    assert (ev.misread_fails, ev.false_passes) == (2, 1)
    assert (ev.reviews, ev.checkable, ev.reading_reviews) == (1, 5, 1)
    assert ev.review_rate == 0.2
    assert "misread fails 2" in ev.last_line() and "review rate 20.0%" in ev.last_line()
    assert set(ev.per_notebook) == {f"{n}.ipynb" for n in "abcde"}


def test_leave_one_out_and_k_folds(tmp_path):
    ev = _corpus(tmp_path, [(n, "false", _result("pass", "false")) for n in "abcd"]
                 + [("e", "false", _result("pass", "true"))])     # one notebook's claim misread
    loo = folds(ev, 0)
    assert len(loo) == 5 and all(len(f.held_out) == 1 for f in loo)
    held = {f.held_out[0]: f.held.claims for f in loo}
    assert held["e.ipynb"] == 0.0 and held["a.ipynb"] == 1.0
    assert next(f for f in loo if f.held_out == ("e.ipynb",)).rest.claims == 1.0
    two = folds(ev, 2)
    assert sorted(len(f.held_out) for f in two) == [2, 3]
    lines = format_folds(ev, loo)
    assert lines[-2].startswith("5 folds, held-out: questions 100.0%-100.0%, claims 0.0%-100.0%")


def test_cli_folds_usage_error(tmp_path, capsys):
    from auditor.cli.evaluate import add_arguments, run
    import argparse

    p = argparse.ArgumentParser()
    add_arguments(p)
    (tmp_path / "l").mkdir()
    (tmp_path / "n").mkdir()
    args = p.parse_args([str(tmp_path / "n"), "--labels", str(tmp_path / "l"), "--folds", "many"])
    assert run(args) == 2
    assert "--folds many" in capsys.readouterr().err
    args = p.parse_args([str(tmp_path / "n"), "--labels", str(tmp_path / "l"), "--folds", "loo"])
    assert run(args) == 0


def test_evaluation_add_sums_counts():
    a, b = Evaluation(claims_total=2, claims_agree=1, reviews=1), Evaluation(claims_total=3, claims_agree=3)
    a.add(b)
    assert (a.claims_total, a.claims_agree, a.reviews) == (5, 4, 1)
