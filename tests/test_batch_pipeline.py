"""End to end: the real pipeline over the project's example submissions (no execution, one worker)."""
from __future__ import annotations

import csv
import json
import shutil

import pytest

from auditor.cli import main


def test_batch_cli_on_the_example_class(tmp_path, capsys, example_submissions):
    examples = sorted(example_submissions.glob("*.ipynb"))
    sub = tmp_path / "class"
    sub.mkdir()
    for p in examples:
        shutil.copy(p, sub / p.name)
    (sub / "empty.ipynb").write_bytes(b"")
    out = tmp_path / "out"
    code = main(["batch", str(sub), "--out", str(out), "--no-execute", "--jobs", "1", "-q"])
    assert code == 2  # empty.ipynb cannot be read: the worst submission decides, as in `gate`
    summary = json.loads((out / "summary.json").read_text())
    by_file = {s["file"]: s for s in summary["submissions"]}
    assert set(by_file) == {p.name for p in examples} | {"empty.ipynb"}
    assert by_file["empty.ipynb"]["status"] == "not-audited" and "empty" in by_file["empty.ipynb"]["reason"]
    for p in examples:
        entry = by_file[p.name]
        assert entry["status"] == "audited", entry["reason"]
        assert entry["execution"] == "skipped"
        report = json.loads((out / entry["json"]).read_text())
        assert report["notebook"] == p.name and report["questions"]
        assert (out / entry["html"]).is_file()
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [r["file"] for r in rows] == sorted(by_file)
    index = (out / "index.html").read_text()
    assert all(p.name in index for p in examples)
    assert "empty file" in index
    printed = capsys.readouterr().out
    assert "class report:" in printed

    # the rerun audits nothing again
    again = main(["batch", str(sub), "--out", str(out), "--no-execute", "--jobs", "1", "-q"])
    assert again == code
    assert "(0 now, 4 from cache)" in capsys.readouterr().out


def test_batch_cli_usage_errors(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nothing-*.ipynb"), "--out", str(tmp_path / "o")]) == 2
    assert "no notebook" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--jobs", "0"]) == 2


@pytest.mark.parametrize(("assignment", "expected"), [("example", "example"), ("none", None)])
def test_batch_takes_a_shipped_spec_id_and_none(tmp_path, example_submissions, assignment, expected):
    examples = sorted(example_submissions.glob("*.ipynb"))[:2]
    out = tmp_path / "out"
    code = main(["batch", *map(str, examples), "--assignment", assignment, "--out", str(out), "--no-execute",
                 "--jobs", "1", "-q"])
    summary = json.loads((out / "summary.json").read_text())
    assert [s["status"] for s in summary["submissions"]] == ["audited", "audited"]
    assert [s["assignment"] for s in summary["submissions"]] == [expected, expected]
    assert code == summary["exit_code"] == 1     # the examples have mistakes or blanks
