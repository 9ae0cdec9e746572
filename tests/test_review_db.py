"""The review database: WAL, a version per decision, stale writes refused whole, re-run flags."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from auditor.review.database import ReviewDB, StaleWrite, Write


def w(file, version, h="h1", **changes):
    return Write(file, "q/1", "spec", h, version, changes)


def test_wal_and_tables(tmp_path):
    db = ReviewDB.in_folder(tmp_path)
    con = sqlite3.connect(db.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"decisions", "rubric_items", "splits", "meta"} <= {
        r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert ReviewDB.exists_in(tmp_path)


def test_versions_and_kept_fields(tmp_path):
    db = ReviewDB.in_folder(tmp_path)
    [d] = db.write([w("a.ipynb", 0, points=1.5, comment="good")], grader="ana")
    assert (d.version, d.points, d.comment, d.grader) == (1, 1.5, "good", "ana")
    [d] = db.write([w("a.ipynb", 1, rubric=[3])])
    assert (d.version, d.points, d.comment, d.rubric) == (2, 1.5, "good", (3,))   # unchanged fields kept
    with pytest.raises(ValueError):
        db.write([w("a.ipynb", 2, colour="red")])


def test_a_stale_member_refuses_the_whole_group(tmp_path):
    db = ReviewDB.in_folder(tmp_path)
    db.write([w("a.ipynb", 0, points=1)], grader="ana")
    with pytest.raises(StaleWrite) as exc:
        db.write([w("b.ipynb", 0, points=2), w("a.ipynb", 0, points=2)], grader="ben")
    assert "changed since you loaded the page" in str(exc.value) and "ana" in str(exc.value)
    assert db.decision("b.ipynb", "q/1") is None            # nothing of the refused write stored
    assert db.decision("a.ipynb", "q/1").points == 1


def test_two_graders_at_once_exactly_one_wins(tmp_path):
    db = ReviewDB.in_folder(tmp_path)
    outcomes = []
    barrier = threading.Barrier(4)

    def grade(name):
        other = ReviewDB.in_folder(tmp_path)          # its own connection, as a second server would
        barrier.wait()
        try:
            other.write([w("a.ipynb", 0, points=float(len(name)))], grader=name)
            outcomes.append(("ok", name))
        except StaleWrite:
            outcomes.append(("stale", name))

    threads = [threading.Thread(target=grade, args=(n,)) for n in ("a", "bb", "ccc", "dddd")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o for o, _ in outcomes) == ["ok", "stale", "stale", "stale"]
    winner = next(n for o, n in outcomes if o == "ok")
    d = db.decision("a.ipynb", "q/1")
    assert (d.version, d.grader) == (1, winner)


def test_mark_stale_flags_changed_text_and_unflags_when_back(tmp_path):
    db = ReviewDB.in_folder(tmp_path)
    db.write([w("a.ipynb", 0, h="h1", points=1), w("b.ipynb", 0, h="h2", points=0)])
    assert db.mark_stale({("a.ipynb", "q/1"): "h1", ("b.ipynb", "q/1"): "CHANGED"}) == (1, 1)
    assert not db.decision("a.ipynb", "q/1").stale and db.decision("b.ipynb", "q/1").stale
    assert db.decision("b.ipynb", "q/1").points == 0       # kept, only flagged
    assert db.mark_stale({("a.ipynb", "q/1"): "h1", ("b.ipynb", "q/1"): "h2"}) == (2, 0)
    assert not db.decision("b.ipynb", "q/1").stale
    # a new decision on the changed text clears the flag and records the new hash
    db.mark_stale({("b.ipynb", "q/1"): "h3"})
    [d] = db.write([w("b.ipynb", 1, h="h3", points=1)])
    assert not d.stale and d.answer_hash == "h3"


def test_rubric_and_splits(tmp_path):
    db = ReviewDB.in_folder(tmp_path)
    r1 = db.add_rubric("spec", "q/1", "  names   the stride ", 0.5)
    db.add_rubric("spec", "q/2", "other question", 1)
    assert [(r.id, r.label, r.points) for r in db.rubric("spec", "q/1")] == [(r1.id, "names the stride", 0.5)]
    with pytest.raises(ValueError):
        db.add_rubric("spec", "q/1", "   ", 1)
    assert db.split("spec", "q/1", ["a.ipynb", "b.ipynb"]) == 1
    assert db.split("spec", "q/1", ["b.ipynb"]) == 2
    assert db.splits("spec", "q/1") == {"a.ipynb": 1, "b.ipynb": 2}
    assert db.splits("spec", "q/2") == {}
