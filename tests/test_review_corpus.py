"""The review app on the real class (../shared/corpus, skipped when absent): every question page
renders with every answer on it, groups never mix claims, and the grading-action figure holds."""
from __future__ import annotations

import re

import pytest

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
