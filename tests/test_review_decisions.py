"""Decisions on a real (small) batch of our example submissions: group decisions, readings corrected
and re-judged by the same check, and how they flow into grades.csv, the reports, a re-run, the labels."""
from __future__ import annotations

import csv
import json
import shutil

import pytest

import review_batch as rb
from review_batch import made_batch  # noqa: F401 (the session's batch)
from auditor.evaluate.agreement import Evaluation, evaluate_one
from auditor.review.classdata import load_batch
from auditor.review.database import ReviewDB, StaleWrite
from auditor.review.decisions import ChangedAnswer, DecisionError, Member, SpecIndex, decide, parse_claim
from auditor.review.export import export_labels
from auditor.review.publish import publish

A = "example"


@pytest.fixture()
def klass(made_batch, tmp_path):
    shutil.copytree(made_batch / "subs", tmp_path / "subs")
    shutil.copytree(made_batch / "out", tmp_path / "out")
    batch = load_batch(tmp_path / "out")
    return tmp_path, batch, ReviewDB.in_folder(tmp_path / "out"), SpecIndex(batch)


def members(batch, q, db=None, status=None):
    out = []
    for a in batch.answers(A, q):
        if status and a.status != status:
            continue
        d = db.decision(a.file, q) if db else None
        out.append(Member(a.file, d.version if d else 0))
    return out


def grades(folder):
    with open(folder / "grades.csv", newline="", encoding="utf-8") as fh:
        return {r["file"]: r for r in csv.DictReader(fh)}


def test_parse_claim_per_kind():
    assert parse_claim("verdict", " F ") == "false"
    assert parse_claim("number", "1,024") == 1024
    assert parse_claim("probability", "0.28") == 0.28
    assert parse_claim("shape", "(4, 3, 9, 16)") == [4, 3, 9, 16]
    assert parse_claim("shape", "4x3x16") == [4, 3, 16]
    assert parse_claim("yesno", "Y") == "yes"
    assert parse_claim("code", "true") is True
    assert parse_claim("choice", "3") == [3] and parse_claim("choice", "(b, D)") == ["b", "d"]
    for kind, bad in (("verdict", "maybe"), ("number", "54.5"), ("probability", "nan"), ("shape", "four"),
                      ("cause", "gravity"), ("choice", "the second one please"), (None, "x")):
        with pytest.raises(DecisionError):
            parse_claim(kind, bad)


def test_one_decision_grades_a_group_and_flows_into_grades_and_reports(klass):
    root, batch, db, specs = klass
    ms = members(batch, rb.MANUAL_QUESTION)
    assert len(ms) == 5
    rubric = db.add_rubric(A, rb.MANUAL_QUESTION, "explains the output size", 1)
    written = decide(db, batch, specs, A, rb.MANUAL_QUESTION, ms, points=1, rubric=[rubric.id],
                     comment="<script>alert(1)</script> good", grader="ana")
    assert [d.version for d in written] == [1] * 5 and {d.points for d in written} == {1.0}
    publish(db, batch)
    g = grades(root / "out")
    strong = g["strong.ipynb"]
    assert strong["ta_points"] == "1" and float(strong["total_with_ta"]) == float(strong["total"]) + 1
    assert strong["ta_comments"].startswith(f"{rb.MANUAL_QUESTION}: <script>")
    html = (root / "out" / "submissions" / "strong.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; good" in html and "<script>" not in html
    assert "<dt>Grader&#39;s rubric</dt><dd>explains the output size (+1)</dd>" in html
    assert "<dt>Grader&#39;s points</dt><dd>1 / 1</dd>" in html


def test_bad_decisions_are_refused_and_store_nothing(klass):
    root, batch, db, specs = klass
    ms = members(batch, rb.MANUAL_QUESTION)
    with pytest.raises(DecisionError, match="at most 1"):
        decide(db, batch, specs, A, rb.MANUAL_QUESTION, ms, points=5)
    with pytest.raises(DecisionError, match="0 or more"):
        decide(db, batch, specs, A, rb.MANUAL_QUESTION, ms, points=-1)
    other = db.add_rubric(A, "dropout/1", "elsewhere", 1)
    with pytest.raises(DecisionError, match="rubric"):
        decide(db, batch, specs, A, rb.MANUAL_QUESTION, ms, rubric=[other.id])
    with pytest.raises(DecisionError, match="no reading"):
        decide(db, batch, specs, A, rb.MANUAL_QUESTION, ms, reading="right")
    with pytest.raises(DecisionError, match="no answer"):
        decide(db, batch, specs, A, rb.MANUAL_QUESTION, [Member("nobody.ipynb", 0)], points=1)
    assert db.decisions() == {}
    decide(db, batch, specs, A, rb.MANUAL_QUESTION, ms[:1], points=1)
    with pytest.raises(StaleWrite):
        decide(db, batch, specs, A, rb.MANUAL_QUESTION, ms, points=0)   # ms[0] was decided meanwhile


def test_corrected_reading_is_judged_again_by_the_same_check(klass):
    root, batch, db, specs = klass
    [hedged] = [a for a in batch.answers(A, rb.HEDGED_QUESTION) if a.status == "review"]
    assert hedged.claimed == "hedged"
    # "the reading is right": the same check judges "hedged" again: still review, no points given
    [d] = decide(db, batch, specs, A, rb.HEDGED_QUESTION, [Member(hedged.file, 0)], reading="right")
    assert d.reading["status"] == "review" and d.reading["how"] == "confirmed" and d.points is None
    # the student claimed "false" (the key): pass, the question's points
    [d] = decide(db, batch, specs, A, rb.HEDGED_QUESTION, [Member(hedged.file, 1)], reading="false")
    assert (d.reading["status"], d.reading["claimed"], d.points) == ("pass", "false", 0.5)
    # a receptive field read as 18 that the TA reads as 26: pass, 2 points; as 20: fail, 0
    rf = batch.item("typical_mistakes.ipynb", "convolutional-networks/2")
    assert rf.claimed == 18
    [d] = decide(db, batch, specs, A, "convolutional-networks/2", [Member(rf.file, 0)], reading="26")
    assert (d.reading["status"], d.points) == ("pass", 2.0)
    [d] = decide(db, batch, specs, A, "convolutional-networks/2", [Member(rf.file, 1)], reading="20")
    assert (d.reading["status"], d.points) == ("fail", 0.0)
    with pytest.raises(DecisionError, match="whole number"):
        decide(db, batch, specs, A, "convolutional-networks/2", [Member(rf.file, 2)], reading="about 20")


def test_rerun_keeps_unchanged_decisions_and_flags_changed_ones(klass):
    root, batch, db, specs = klass
    decide(db, batch, specs, A, rb.MANUAL_QUESTION, members(batch, rb.MANUAL_QUESTION), points=1, comment="ok")
    rb.change_answer(root / "subs", "strong.ipynb", "what does the stride of a convolution change",
                     "**Answer:** I do not know.")
    rb.run(root / "subs", root / "out")
    decisions = db.decisions()
    stale = {f for (f, q), d in decisions.items() if d.stale}
    assert stale == {"strong.ipynb"} and len(decisions) == 5
    g = grades(root / "out")
    assert g["strong.ipynb"]["ta_points"] == "" and g["typical_mistakes.ipynb"]["ta_points"] == "1"
    assert "Grader&#39;s" not in (root / "out" / "submissions" / "strong.html").read_text(encoding="utf-8")
    typical = (root / "out" / "submissions" / "typical_mistakes.html").read_text(encoding="utf-8")
    assert "Grader&#39;s comment" in typical


def test_export_labels_makes_measured_cases(klass):
    root, batch, db, specs = klass
    [hedged] = [a for a in batch.answers(A, rb.HEDGED_QUESTION) if a.status == "review"]
    decide(db, batch, specs, A, rb.HEDGED_QUESTION, [Member(hedged.file, 0)], reading="false")
    decide(db, batch, specs, A, rb.MANUAL_QUESTION, members(batch, rb.MANUAL_QUESTION), points=1)
    written = export_labels(db, batch, root / "labels")
    label = json.loads((root / "labels" / "hedging.json").read_text(encoding="utf-8"))
    assert len(written) == 5 and label["file"] == "hedging.ipynb"
    assert label["items"][rb.HEDGED_QUESTION]["claimed"] == "false"
    assert label["items"][rb.MANUAL_QUESTION] == {"answered": True}
    # auditor evaluate's comparison counts the correction as a claim the auditor got wrong
    ev = Evaluation()
    evaluate_one(label, batch.results[hedged.submission], ev)
    assert (ev.answered_total, ev.answered_agree, ev.claims_total, ev.claims_agree) == (2, 2, 1, 0)


def test_cli_counts_exports_and_refuses_a_non_batch_folder(klass, capsys):
    from auditor.cli import main

    root, batch, db, specs = klass
    assert main(["review", str(root / "out"), "--count-actions"]) == 0
    out = capsys.readouterr().out
    assert "grading actions one by one" in out and "with groups" in out
    decide(db, batch, specs, A, rb.HEDGED_QUESTION, [Member("hedging.ipynb", 0)], reading="false")
    assert main(["review", str(root / "out"), "--export-labels", str(root / "labels")]) == 0
    assert json.loads((root / "labels" / "hedging.json").read_text())["items"][rb.HEDGED_QUESTION]["claimed"] == "false"
    assert main(["review", str(root / "out"), "--publish"]) == 0
    assert grades(root / "out")["hedging.ipynb"]["ta_points"] == "0.5"
    assert main(["review", str(root / "nothing-here")]) == 2
    assert "summary.json: missing" in capsys.readouterr().err


def test_a_page_loaded_before_a_rerun_cannot_grade_the_new_text_unseen(klass):
    root, batch, db, specs = klass
    seen = batch.item("strong.ipynb", rb.MANUAL_QUESTION).hash
    rb.change_answer(root / "subs", "strong.ipynb", "what does the stride of a convolution change",
                     "**Answer:** Something else entirely.")
    rb.run(root / "subs", root / "out")
    batch = load_batch(root / "out")
    with pytest.raises(ChangedAnswer, match="changed since you loaded the page"):
        decide(db, batch, specs, A, rb.MANUAL_QUESTION, [Member("strong.ipynb", 0, seen)], points=1)
    assert db.decisions() == {}
    now = batch.item("strong.ipynb", rb.MANUAL_QUESTION).hash
    [d] = decide(db, batch, specs, A, rb.MANUAL_QUESTION, [Member("strong.ipynb", 0, now)], points=1)
    assert d.answer_hash == now


def test_a_specless_reading_is_corrected_against_the_spec_inferred_again(tmp_path):
    import convention_notebooks as cn

    (tmp_path / "subs").mkdir()
    cn.write(tmp_path / "subs" / "labelled.ipynb", cn.labels_submission())
    rb.run(tmp_path / "subs", tmp_path / "out")
    batch = load_batch(tmp_path / "out")
    db, specs = ReviewDB.in_folder(tmp_path / "out"), SpecIndex(batch)
    item = next(a for a in batch.items if a.claimed == "false")
    assert item.assignment == "spec-less"
    [d] = decide(db, batch, specs, item.assignment, item.question, [Member(item.file, 0, item.hash)], reading="true")
    assert d.reading["claimed"] == "true" and d.reading["was"] == "false"
    export_labels(db, batch, tmp_path / "labels")
    label = json.loads((tmp_path / "labels" / "labelled.json").read_text(encoding="utf-8"))
    assert label["items"][item.question]["claimed"] == "true"
