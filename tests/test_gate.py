"""auditor gate: decisions, exit codes, output formats (text, json, github), JUnit XML.

Hand-built audit results (tests/gate_fakes.py) injected in place of the pipeline: these tests
are about the gate's decisions and formats, not about auditing.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.gate import run as gate_module
from auditor.gate.formats import cell_source_lines, item_cell, workflow_command
from auditor.cli import main
from auditor.gate.exit_policy import exit_code_for, failing_reasons
from auditor.gate.run import EXECUTION_ITEM, audit_to_dict, gate, item_ids, item_verdict
from auditor.models import ExitCode
from auditor.report.result_json import result_to_dict
from gate_fakes import FakeAudit, bad, good, write_notebook


@pytest.fixture
def fake(monkeypatch) -> FakeAudit:
    audit = FakeAudit()
    monkeypatch.setattr(gate_module, "default_audit_function", lambda: audit)
    return audit


@pytest.fixture
def books(tmp_path) -> dict[str, Path]:
    return {name: write_notebook(tmp_path / f"{name}.ipynb")
            for name in ("good", "bad", "unreadable", "crash", "internal")}


def run_gate(capsys, *argv) -> tuple[int, str, str]:
    code = main(["gate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- exit codes

def test_passing_notebook_exits_0(fake, books, capsys):
    code, out, _ = run_gate(capsys, books["good"])
    assert code == ExitCode.OK
    assert out.startswith(f"PASS {books['good']}")
    assert fake.calls[0][1]["execute"] is True


def test_wrong_answers_exit_1_and_name_the_items(fake, books, capsys):
    code, out, _ = run_gate(capsys, books["bad"])
    assert code == ExitCode.FINDINGS
    assert "cnns/3: fail" in out and "claimed:  54" in out and "expected: 112" in out
    assert "dropout/1: unanswered" in out
    assert "cell 3: NameError" in out
    assert "dropout/2.1" not in out          # it passes


def test_unreadable_notebook_exits_2_with_one_line(fake, books, capsys):
    code, out, _ = run_gate(capsys, books["unreadable"])
    assert code == ExitCode.USAGE
    assert f"ERROR {books['unreadable']}\n  not valid JSON (line 1)\n" in out
    assert "Traceback" not in out


def test_crash_of_our_code_exits_3(fake, books, capsys):
    code, out, _ = run_gate(capsys, books["crash"])
    assert code == ExitCode.INTERNAL
    assert "internal error: RuntimeError: boom in our code" in out


def test_question_with_internal_error_exits_3(fake, books, capsys):
    assert run_gate(capsys, books["internal"])[0] == ExitCode.INTERNAL


def test_worst_notebook_decides(fake, books, capsys):
    assert run_gate(capsys, books["good"], books["bad"])[0] == ExitCode.FINDINGS
    assert run_gate(capsys, books["bad"], books["unreadable"])[0] == ExitCode.USAGE
    assert run_gate(capsys, books["unreadable"], books["crash"], books["good"])[0] == ExitCode.INTERNAL


def test_missing_path_and_bad_fail_on_exit_2(fake, books, tmp_path, capsys):
    code, _, err = run_gate(capsys, tmp_path / "nope.ipynb")
    assert code == ExitCode.USAGE and "nope.ipynb: no such file or directory" in err
    code, _, err = run_gate(capsys, books["good"], "--fail-on", "fail,wrong")
    assert code == ExitCode.USAGE and "unknown item(s) wrong" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_gate(capsys, empty)
    assert code == ExitCode.USAGE and "no notebook (.ipynb) files found" in err
    assert fake.calls == []


def test_spec_is_loaded_once_and_a_bad_spec_exits_2(fake, books, tmp_path, capsys):
    code, _, err = run_gate(capsys, books["good"], "--assignment", tmp_path / "missing.toml")
    assert code == ExitCode.USAGE and "missing.toml: no such spec file" in err
    assert fake.calls == []
    spec = Path(__file__).parent.parent / "auditor" / "specs" / "example.toml"
    assert run_gate(capsys, books["good"], books["bad"], "--assignment", spec)[0] == ExitCode.FINDINGS
    assert {o["assignment"].id for _, o in fake.calls} == {"example"}
    assert run_gate(capsys, books["good"], "--assignment", "example")[0] == ExitCode.OK   # a shipped id
    assert fake.calls[-1][1]["assignment"].id == "example"


def test_fail_on_selects_what_fails(fake, books, capsys):
    assert run_gate(capsys, books["bad"], "--fail-on", "review")[0] == ExitCode.OK
    assert run_gate(capsys, books["good"], "--fail-on", "review")[0] == ExitCode.FINDINGS
    code, out, _ = run_gate(capsys, books["bad"], "--fail-on", "tampered")
    assert code == ExitCode.FINDINGS and "tampered: cnns/3" in out


def test_directory_is_searched_and_no_execute_is_passed_on(fake, tmp_path, capsys):
    write_notebook(tmp_path / "d" / "good_a.ipynb")
    write_notebook(tmp_path / "d" / "sub" / "good_b.ipynb")
    write_notebook(tmp_path / "d" / ".ipynb_checkpoints" / "bad-checkpoint.ipynb")
    code, out, _ = run_gate(capsys, tmp_path / "d", "--no-execute", "--assignment", "none")
    assert code == ExitCode.OK
    assert [Path(p).name for p, _ in fake.calls] == ["good_a.ipynb", "good_b.ipynb"]
    assert all(o["execute"] is False and o["assignment"] == "none" for _, o in fake.calls)
    assert "2 notebook(s), 0 failing" in out


# --------------------------------------------------------------------------- items agree with the exit policy

@pytest.mark.parametrize("fail_on", [
    {"fail"}, {"unanswered"}, {"review"}, {"execution"}, {"tampered"}, {"manual"},
    {"fail", "unanswered", "error", "execution"}, {"fail", "unanswered", "review", "error", "execution", "tampered"},
])
@pytest.mark.parametrize("make", [good, bad])
def test_item_verdicts_agree_with_exit_policy(make, fail_on):
    res = result_to_dict(make("x.ipynb"))
    failed = [i for i in item_ids(res) if item_verdict(res, i, fail_on).failed]
    assert bool(failed) == bool(failing_reasons(res, fail_on))
    assert (exit_code_for(res, fail_on) == ExitCode.OK) == (not failed)


def test_items_are_questions_then_execution():
    res = result_to_dict(bad("x.ipynb"))
    assert item_ids(res) == ["cnns/3", "dropout/1", "dropout/2.1", EXECUTION_ITEM]
    assert item_verdict(res, "nope/1").internal


# --------------------------------------------------------------------------- JSON

def test_json_format(fake, books, capsys):
    code, out, _ = run_gate(capsys, books["good"], books["bad"], "--format", "json")
    payload = json.loads(out)
    assert code == payload["exit_code"] == 1
    good_nb, bad_nb = payload["notebooks"]
    assert good_nb["passed"] and good_nb["reasons"] == []
    assert not bad_nb["passed"]
    assert bad_nb["reasons"] == ["cnns/3: fail", "dropout/1: unanswered", "execution: errors"]
    assert bad_nb["result"]["questions"][0]["claimed"] == 54


# --------------------------------------------------------------------------- GitHub annotations

def test_cell_source_lines_point_at_the_cells_source_in_the_file(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", n_cells=5)
    text = path.read_text()
    lines = cell_source_lines(text)
    raw = text.splitlines()
    assert sorted(lines) == [0, 1, 2, 3, 4]
    assert '"1. Question number 0\\n"' in raw[lines[0] - 1]
    assert '"x = 1\\n"' in raw[lines[1] - 1]
    assert '"3. Question number 4\\n"' in raw[lines[4] - 1]


def test_cell_source_lines_on_compact_and_string_sources():
    text = '{"metadata": {"a": [1, {"source": "no"}]},\n"cells": [\n{"cell_type": "code",\n "source": "x = 1"},\n' \
           '{"cell_type": "markdown", "metadata": {},\n\n "source": []}]}'
    assert cell_source_lines(text) == {0: 4, 1: 7}
    assert cell_source_lines("not json") == {}
    assert cell_source_lines('{"cells": [') == {}


def test_workflow_command_escapes_properties_and_message():
    line = workflow_command("error", "dir/a,b:c.ipynb", 12, "auditor cnns/3: fail", "50% wrong\nclaimed 54")
    assert line == "::error file=dir/a%2Cb%3Ac.ipynb,line=12,title=auditor cnns/3%3A fail::50%25 wrong%0Aclaimed 54"


def test_github_format(fake, books, capsys):
    code, out, _ = run_gate(capsys, books["bad"], books["unreadable"], "--format", "github")
    assert code == ExitCode.USAGE
    lines = out.splitlines()
    errors = [ln for ln in lines if ln.startswith("::error ")]
    cell_lines = cell_source_lines(books["bad"].read_text())
    # what most needs fixing first (GitHub shows only the first 10 errors of a step)
    assert errors[0] == f"::error file={books['unreadable']},title=auditor%3A not audited::not valid JSON (line 1)"
    assert errors[1] == (
        f"::error file={books['bad']},line={cell_lines[1]},title=auditor cnns/3%3A fail::"
        "cnns/3: fail (check: receptive_field)%0A  claimed:  54%0A  expected: 112"
        "%0A  how:      analytic recurrence and empirical backprop agree"
        "%0A  message:  states 54; the receptive field is 112%0A  quote:    \"the answer to cnns/3\" (cell 1)"
        "%0A  tampered: cnns/3: the question's code was changed%0A            -  a%0A            +  b"
    )
    assert errors[2].startswith(f"::error file={books['bad']},line={cell_lines[3]},title=auditor execution%3A errors::")
    # an unanswered question without a cell is annotated on the file (no line)
    assert errors[3].startswith(f"::error file={books['bad']},title=auditor dropout/1%3A unanswered::")
    assert len(errors) == 4
    # tampering not in --fail-on: a warning, not an error
    assert any(ln.startswith(f"::warning file={books['bad']},line={cell_lines[1]},title=auditor cnns/3%3A tampered::")
               for ln in lines)
    assert lines[-1].startswith("auditor gate: 2 notebook(s), 2 failing")


# --------------------------------------------------------------------------- JUnit

def test_junit_lists_one_testcase_per_question_plus_execution(fake, books, tmp_path, capsys):
    junit = tmp_path / "out" / "gate.xml"
    code, _, _ = run_gate(capsys, books["good"], books["bad"], books["unreadable"], "--junit", junit)
    assert code == ExitCode.USAGE
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    good_suite, bad_suite = suites[str(books["good"])], suites[str(books["bad"])]
    assert [c.get("name") for c in bad_suite.findall("testcase")] == ["cnns/3", "dropout/1", "dropout/2.1", "execution"]
    assert (bad_suite.get("tests"), bad_suite.get("failures"), bad_suite.get("errors")) == ("4", "3", "0")
    failure = bad_suite.find("testcase[@name='cnns/3']/failure")
    assert failure.get("message") == "cnns/3: fail" and "expected: 112" in failure.text
    assert bad_suite.find("testcase[@name='cnns/3']").get("line") == str(cell_source_lines(books["bad"].read_text())[1])
    assert good_suite.get("failures") == "0"
    assert good_suite.find("testcase[@name='dropout/2.1']/properties/property").get("value") == "review"
    assert "dropout/2.1: review" in good_suite.find("testcase[@name='dropout/2.1']/system-out").text
    assert suites[str(books["unreadable"])].find("testcase/failure") is not None
    assert root.get("tests") == str(4 + 4 + 1)


def test_junit_keeps_xml_valid_with_control_characters(fake, tmp_path, capsys, monkeypatch):
    from gate_fakes import CellError, result, question

    nb = write_notebook(tmp_path / "ansi.ipynb")
    monkeypatch.setattr(gate_module, "default_audit_function", lambda: lambda p, **o: result(
        p, [question("q/1", "fail", "\x1b[31m54\x00", 112)], "errors",
        errors=[CellError(1, "ValueError", "\x1b[0;31mbad\x07")]))
    junit = tmp_path / "j.xml"
    assert run_gate(capsys, nb, "--junit", junit)[0] == ExitCode.FINDINGS
    root = ET.parse(junit).getroot()
    assert "[31m54" in root.find(".//testcase[@name='q/1']/failure").text


# --------------------------------------------------------------------------- library

def test_audit_to_dict_reports_paths_and_never_raises(tmp_path):
    nb = write_notebook(tmp_path / "crash.ipynb")
    res = audit_to_dict(nb, audit_fn=FakeAudit())
    assert res["error_kind"] == "internal" and res["questions"] == []
    report = gate([nb], audit_fn=FakeAudit())
    assert report.exit_code == ExitCode.INTERNAL
    assert item_cell(result_to_dict(bad("x")), "dropout/1") is None
