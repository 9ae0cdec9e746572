"""grades.csv: one row per submission, a column per question's points, the total; safe for spreadsheets."""
from __future__ import annotations

import csv
import io

import pytest

from auditor.batch.grades import compile_id_pattern, grades_csv_text, safe_cell, student_id


def res(*points):
    return {"questions": [{"id": f"q{i}", "points": p, "max_points": 1.0} for i, p in enumerate(points, 1)],
            "score": {"points": sum(points), "max_points": float(len(points))}}


def test_rows_columns_and_total():
    text = grades_csv_text([
        {"student_id": "alice", "file": "alice.ipynb", "result": res(1.0, 0.5), "status": "audited"},
        {"student_id": "=HYPERLINK(\"x\")", "file": "=evil.ipynb", "result": res(0.0, 1.0), "status": "audited"},
        {"student_id": "bob", "file": "bob (1), final.ipynb", "result": None, "status": "not-audited"},
    ])
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["student_id", "file", "q1", "q2", "total", "max_points", "status"]
    assert rows[1] == ["alice", "alice.ipynb", "1", "0.5", "1.5", "2", "audited"]
    assert rows[2][:2] == ["'=HYPERLINK(\"x\")", "'=evil.ipynb"]
    assert rows[3] == ["bob", "bob (1), final.ipynb", "", "", "", "", "not-audited"]


def test_questions_missing_from_one_variant_are_blank():
    other = {"questions": [{"id": "q3", "points": 2.0}], "score": {"points": 2.0, "max_points": 2.0}}
    rows = list(csv.reader(io.StringIO(grades_csv_text([
        {"student_id": "a", "file": "a.ipynb", "result": res(1.0), "status": "audited"},
        {"student_id": "b", "file": "b.ipynb", "result": other, "status": "audited"},
    ]))))
    assert rows[0][2:5] == ["q1", "q3", "total"]
    assert rows[1][2:4] == ["1", ""] and rows[2][2:4] == ["", "2"]


def test_student_id_from_name_or_pattern():
    assert student_id("team 7/hw4 (1).ipynb", None) == ("hw4 (1)", True)
    rx = compile_id_pattern(r"submitted/(?P<id>[^/]+)/")
    assert student_id("submitted/s123/ps1/hw.ipynb", rx) == ("s123", True)
    assert student_id("elsewhere/hw.ipynb", rx) == ("hw", False)
    with pytest.raises(ValueError, match="named group"):
        compile_id_pattern(r"(\d+)")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        compile_id_pattern(r"(?P<id>")


def test_safe_cell():
    assert safe_cell("-1+2") == "'-1+2" and safe_cell("@SUM") == "'@SUM" and safe_cell(-1) == -1
    assert safe_cell("plain") == "plain"
