"""The review page in headless Chromium (Debian's, driven by Playwright; no browser is downloaded).

On a batch of our example submissions: grade a whole question through its groups from the keyboard
(add a rubric item, tick it, save each group), correct one `review` reading, re-run the batch and see
the decisions kept (the changed answer flagged) and grades.csv updated; a second session that loaded
the page before those writes gets the stale-write message instead of overwriting them.
"""
from __future__ import annotations

import csv

import pytest

import review_batch as rb

pytest.importorskip("playwright.sync_api", reason="playwright (pip) not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(rb.CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"),
]

A = "example"


@pytest.fixture()
def served(tmp_path):
    subs = rb.make_submissions(tmp_path / "subs")
    rb.run(subs, tmp_path / "out")
    with rb.serving(tmp_path / "out") as (app, base):
        yield tmp_path, app, base


@pytest.fixture()
def browser():
    with rb.chromium() as b:
        yield b


def open_question(browser, base, q):
    return rb.open_page(browser, base, f"/question?a={A}&q={q}")


def test_grade_a_question_by_groups_correct_a_reading_rerun_and_a_stale_second_session(served, browser):
    root, app, base = served
    db = app.config["REVIEW_STATE"].db
    ana, ana_errors = open_question(browser, base, rb.MANUAL_QUESTION)
    ben, _ = open_question(browser, base, rb.MANUAL_QUESTION)      # a second TA, same page, loaded now

    # a rubric item, added from the keyboard without a reload
    ana.keyboard.press("a")
    ana.keyboard.type("explains the output size")
    ana.keyboard.press("Tab")
    ana.keyboard.press("Control+a")
    ana.keyboard.type("1")
    ana.keyboard.press("Enter")
    ana.wait_for_selector("#rubric-list li")
    assert ana.locator(".group").first.locator(".tick").count() == 1

    # the whole question through its groups: tick item 1 (its points), Enter saves and moves on
    answers = ana.locator(".member").count()
    n_groups = ana.locator(".group").count()
    assert answers == 4 and n_groups < answers                     # the two identical answers share a group
    for i in range(n_groups):
        group = ana.locator(".group").nth(i)
        assert "current" in group.get_attribute("class")
        ana.keyboard.press("1")
        assert group.locator(".points").input_value() == "1"
        ana.keyboard.press("Enter")
        ana.wait_for_function("g => g.classList.contains('saved')", arg=group.element_handle())
    decided = db.decisions(A, rb.MANUAL_QUESTION)
    assert len(decided) == 4 and {d.points for d in decided.values()} == {1.0}
    assert all(len(d.rubric) == 1 for d in decided.values())
    assert ana.url.endswith(rb.MANUAL_QUESTION)                    # no reload happened

    # the second session still holds version 0 of the first group: its save is refused with a message
    ben.keyboard.press("0")                                         # not a rubric key: nothing happens
    ben.locator(".group").first.locator(".points").fill("0")
    ben.locator(".group").first.locator(".save").click()
    ben.wait_for_selector("#flash .msg.error")
    assert "changed since you loaded the page" in ben.inner_text("#flash")
    assert {d.points for d in db.decisions(A, rb.MANUAL_QUESTION).values()} == {1.0}

    # correct one `review` reading: the hedged verdict is, for the TA, "false" (the key): re-judged, pass
    ana.goto(f"{base}/question?a={A}&q={rb.HEDGED_QUESTION}")
    review_group = ana.locator(".group.gs-review")
    review_group.locator("h2").click()
    ana.keyboard.press("w")
    ana.keyboard.type("false")
    ana.keyboard.press("Enter")
    ana.wait_for_function("g => g.classList.contains('saved')", arg=review_group.element_handle())
    assert "pass" in review_group.locator(".state").first.inner_text()
    d = db.decision("hedging.ipynb", rb.HEDGED_QUESTION)
    assert (d.reading["claimed"], d.reading["status"], d.points) == ("false", "pass", 0.5)

    # a re-run of the batch after one student changed an answer: decisions kept, that one flagged
    rb.change_answer(root / "subs", "strong.ipynb", "what does the stride of a convolution change",
                     "**Answer:** It changes the step.")
    rb.run(root / "subs", root / "out")
    ana.goto(f"{base}/question?a={A}&q={rb.MANUAL_QUESTION}")
    ana.wait_for_selector(".group.current")
    stale = ana.locator(".member.stale")
    assert stale.count() == 1 and stale.get_attribute("data-file") == "strong.ipynb"
    assert "answer changed since graded" in stale.inner_text()
    kept = [d for d in db.decisions(A, rb.MANUAL_QUESTION).values() if not d.stale]
    assert len(kept) == 3
    with open(root / "out" / "grades.csv", newline="", encoding="utf-8") as fh:
        grades = {r["file"]: r for r in csv.DictReader(fh)}
    assert grades["hedging.ipynb"]["ta_points"] == "1.5"           # 1 (manual) + 0.5 (corrected reading)
    assert grades["typical_mistakes.ipynb"]["ta_points"] == "1"
    assert grades["strong.ipynb"]["ta_points"] == ""               # its answer changed: to grade again

    # a TA splits a group from the keyboard: pick the first answer (x), split it off (s)
    before = ana.locator(".group").count()
    pair = ana.locator(".group", has=ana.locator(".member:nth-child(2)")).first
    pair.locator("h2").click()
    ana.keyboard.press("x")
    ana.keyboard.press("s")
    ana.locator(".group").nth(before).wait_for()                 # the page reloaded with one more group
    assert ana_errors == []
