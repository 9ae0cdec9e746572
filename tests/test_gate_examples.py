"""The gate and the pytest plugin on the shipped example submissions, with the real pipeline.

Answers only (no kernel) except the one test marked slow, which runs one notebook.
"""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from auditor.gate import run as gate_module
from auditor.cli import main
from auditor.models import ExitCode
from auditor.assignment.spec import load_spec
from gate_fakes import run_inner

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "notebooks" / "submissions"
SPEC = ROOT / "auditor" / "specs" / "example.toml"
CNN_ID = "convolutional-networks/2"



def gate_json(capsys, *argv) -> tuple[int, dict]:
    code = main(["gate", *map(str, argv), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def questions_of(payload: dict, n: int = 0) -> dict[str, dict]:
    return {q["id"]: q for q in payload["notebooks"][n]["result"]["questions"]}


def edited_copy(tmp_path: Path, old: str, new: str, name: str = "edited.ipynb") -> Path:
    nb = nbformat.read(SUBMISSIONS / "strong.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    assert len(cells) == 1
    cells[0].source = cells[0].source.replace(old, new)
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


# --------------------------------------------------------------------------- auditor gate

def test_gate_fails_the_wrong_notebook_and_passes_the_strong_one(capsys):
    code, payload = gate_json(capsys, SUBMISSIONS / "typical_mistakes.ipynb", "--no-execute")
    assert code == ExitCode.FINDINGS
    cnn = questions_of(payload)[CNN_ID]
    assert (cnn["status"], cnn["claimed"], cnn["expected"]) == ("fail", 18, 26)
    assert f"{CNN_ID}: fail" in payload["notebooks"][0]["reasons"]

    code, payload = gate_json(capsys, SUBMISSIONS / "strong.ipynb", "--no-execute")
    assert payload["notebooks"][0]["reasons"] == []
    assert code == ExitCode.OK


def test_tampered_cnn_is_reported_and_still_judged_against_the_canonical_field(tmp_path, capsys):
    tampered = edited_copy(tmp_path, "kernel_size=5, padding=2", "kernel_size=9, padding=4")
    code, payload = gate_json(capsys, SUBMISSIONS / "strong.ipynb", tampered, "--no-execute")
    original, edited = questions_of(payload, 0)[CNN_ID], questions_of(payload, 1)[CNN_ID]
    # the truth comes from the spec's canonical CNN (26), not from the edited cell (it would be 30)
    assert edited["expected"] == original["expected"] == 26
    assert edited["status"] == original["status"]
    findings = [f for f in payload["notebooks"][1]["result"]["findings"] if f["kind"] == "tampered"]
    assert [f["question"] for f in findings] == [CNN_ID]
    assert "-  Conv2d(in_channels=1, out_channels=8, kernel_size=5, padding=2)" in findings[0]["message"]
    assert "+  Conv2d(in_channels=1, out_channels=8, kernel_size=9, padding=4)" in findings[0]["message"]
    assert not [f for f in payload["notebooks"][0]["result"]["findings"] if f["kind"] == "tampered"]

    code = main(["gate", str(tampered), "--no-execute", "--fail-on", "tampered", "--format", "github"])
    out = capsys.readouterr().out
    assert code == ExitCode.FINDINGS
    assert f"::error file={tampered},line=" in out and f"title=auditor {CNN_ID}%3A tampered::" in out


def test_formatting_only_edit_of_the_cnn_is_not_tampering(tmp_path, capsys):
    reformatted = edited_copy(
        tmp_path, "nn.Conv2d(in_channels=1, out_channels=8, kernel_size=5, padding=2),",
        "nn.Conv2d(1, 8, (5, 5), padding=2, bias=True),   # first layer")
    code = main(["gate", str(reformatted), "--no-execute", "--fail-on", "tampered"])
    assert code == ExitCode.OK, capsys.readouterr().out


def test_junit_from_the_gate_has_one_testcase_per_spec_question(tmp_path, capsys):
    junit = tmp_path / "gate.xml"
    main(["gate", str(SUBMISSIONS / "typical_mistakes.ipynb"), "--no-execute", "--junit", str(junit)])
    capsys.readouterr()
    names = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert names == [q.id for q in load_spec(SPEC).questions] + ["execution"]


# --------------------------------------------------------------------------- pytest --audit

def test_pytest_audit_on_the_examples(pytester):
    for name in ("strong.ipynb", "typical_mistakes.ipynb"):
        shutil.copy(SUBMISSIONS / name, pytester.path / name)
    result = run_inner(pytester, "--audit", "--audit-no-execute", "--junitxml=out.xml", "-rf")
    outcomes = result.parseoutcomes()
    n_questions = len(load_spec(SPEC).questions)
    assert outcomes["skipped"] == 2                             # the execution items (no kernel)
    assert outcomes["passed"] + outcomes["failed"] == 2 * n_questions
    text = result.stdout.str()
    assert "FAILED strong.ipynb" not in text
    result.stdout.fnmatch_lines([
        f"*_ typical_mistakes.ipynb::{CNN_ID} _*",
        f"{CNN_ID}: fail (check: receptive_field)",
        "  claimed:  18",
        "  expected: 26",
        "  how:      analytic recurrence*",
    ])
    assert "Traceback" not in text
    cases = ET.parse(pytester.path / "out.xml").getroot().iter("testcase")
    names = [c.get("name") for c in cases]
    assert names == 2 * ([q.id for q in load_spec(SPEC).questions] + ["execution"])


@pytest.mark.slow
def test_pytest_audit_executes_each_notebook_once(pytester, monkeypatch):
    from auditor.pipeline import audit

    calls: list[bool] = []

    def counting_audit(path, **options):
        calls.append(options["execute"])
        return audit(path, **options)

    monkeypatch.setattr(gate_module, "default_audit_function", lambda: counting_audit)
    shutil.copy(SUBMISSIONS / "partly_blank.ipynb", pytester.path / "partly_blank.ipynb")
    result = run_inner(pytester, "--audit")
    assert calls.count(True) == 1                               # one kernel run for all the items
    result.stdout.fnmatch_lines(["*_ partly_blank.ipynb::execution _*", "execution: errors", "  cell *: *Error: *"])
    assert result.parseoutcomes()["failed"] >= 2
