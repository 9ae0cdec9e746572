"""The review app on the real class (../shared/corpus, skipped when absent): every question page
renders with every answer on it, groups never mix claims, the grading-action figure holds, and in
headless Chromium a TA grades a whole question through its groups and corrects a review reading."""
from __future__ import annotations

import csv
import re
from urllib.parse import urlencode

import pytest

import review_batch as rb

from corpus_paths import NOTEBOOKS, need_corpus

pytestmark = [pytest.mark.corpus]


@pytest.fixture(scope="module")
def corpus_batch(tmp_path_factory):
    need_corpus()
    from auditor.batch.runner import run_batch

    out = tmp_path_factory.mktemp("review-corpus") / "out"
    run_batch(NOTEBOOKS, out_dir=out, jobs=2, execute=False, progress=False)
    return out


def test_every_question_page_renders_all_its_answers(corpus_batch):
    from auditor.review.app import create_app
    from auditor.review.classdata import load_batch
    from auditor.review.grouping import group_answers

    batch = load_batch(corpus_batch)
    app = create_app(corpus_batch, token="tok")
    c = app.test_client()
    assert c.get("/?token=tok").status_code == 200
    for q in batch.questions:
        r = c.get("/question", query_string={"a": q.assignment, "q": q.id})
        assert r.status_code == 200, (q.assignment, q.id)
        html = r.get_data(as_text=True)
        assert len(re.findall(r'<li class="member ', html)) == len(batch.answers(q.assignment, q.id))
        for g in group_answers(batch.answers(q.assignment, q.id)):
            assert len({repr(m.claimed) for m in g.members if m.claimed is not None}) <= 1


def test_groups_need_fewer_actions_than_answers(corpus_batch):
    from auditor.review.classdata import load_batch
    from auditor.review.grouping import grading_actions

    c = grading_actions(load_batch(corpus_batch).items)
    assert c.items > 500                 # the class leaves hundreds of answers to a person
    assert c.groups < c.items


@pytest.mark.browser
@pytest.mark.skipif(rb.CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")
def test_grade_a_real_question_by_groups_and_correct_a_review_reading(corpus_batch):
    pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")
    from auditor.review.classdata import load_batch
    from auditor.review.grouping import group_answers

    batch = load_batch(corpus_batch)
    # the manual question whose answers form the fewest groups for their number (copies share one)
    manual = [q for q in batch.questions if q.counts.get("manual", 0) >= 3]
    q = min(manual, key=lambda q: (len(group_answers(batch.answers(q.assignment, q.id)))
                                   / len(batch.answers(q.assignment, q.id)), q.id))
    # a review answer with a true/false reading the TA corrects
    rev = next(a for a in batch.items if a.status == "review" and a.check == "true_false")
    with rb.serving(corpus_batch) as (app, base), rb.chromium() as browser:
        db = app.config["REVIEW_STATE"].db
        page, errors = rb.open_page(browser, base, "/question?" + urlencode({"a": q.assignment, "q": q.id}))
        n_groups = page.locator(".group").count()
        for i in range(n_groups):
            group = page.locator(".group").nth(i)
            page.keyboard.press("p")
            page.keyboard.type("0.5")
            page.keyboard.press("Enter")                           # saves, the next group becomes current
            page.wait_for_function("g => g.classList.contains('saved')", arg=group.element_handle())
        decided = db.decisions(q.assignment, q.id)
        assert len(decided) == len(batch.answers(q.assignment, q.id)) and {d.points for d in decided.values()} == {0.5}

        page.goto(f"{base}/question?" + urlencode({"a": rev.assignment, "q": rev.question}))
        group = page.locator(".group", has=page.locator(f'.member[data-file="{rev.file}"]'))
        group.locator("h2").click()
        page.keyboard.press("w")
        page.keyboard.type("true")
        page.keyboard.press("Enter")
        page.wait_for_function("g => g.classList.contains('saved')", arg=group.element_handle())
        d = db.decision(rev.file, rev.question)
        assert d.reading["claimed"] == "true" and d.reading["status"] in ("pass", "fail")
        full = batch.question(rev.assignment, rev.question).max_points
        assert d.points == (full if d.reading["status"] == "pass" else 0.0)
        assert errors == []
    with open(corpus_batch / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    assert all(rows[a.file]["ta_points"] != "" for a in batch.answers(q.assignment, q.id))
