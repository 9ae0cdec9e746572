"""The pytest plugin (`pytest --audit`): collection, items, lazy single audit, failure text, JUnit.

The inner pytest runs in-process (pytester), so the pipeline can be replaced by the hand-built
results of tests/gate_fakes.py; tests/test_gate_examples.py runs the real pipeline.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.gate import run as gate_module
from gate_fakes import FakeAudit, run_inner, write_notebook

pytest_plugins = ["pytester"]


@pytest.fixture
def fake(monkeypatch) -> FakeAudit:
    audit = FakeAudit()
    monkeypatch.setattr(gate_module, "default_audit_function", lambda: audit)
    return audit


def test_off_unless_asked(pytester, fake):
    write_notebook(pytester.path / "bad.ipynb")
    result = run_inner(pytester)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert fake.calls == []


def test_one_item_per_question_plus_execution(pytester, fake):
    write_notebook(pytester.path / "good.ipynb")
    result = run_inner(pytester, "--audit", "--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "good.ipynb::cnns/3", "good.ipynb::dropout/1", "good.ipynb::dropout/2.1", "good.ipynb::execution",
    ])
    # collection reads the questions without running the notebook
    assert [o["execute"] for _, o in fake.calls] == [False]


def test_good_passes_bad_fails_with_readable_text_and_junit(pytester, fake):
    for name in ("good", "bad", "unreadable", "crash", "internal"):
        write_notebook(pytester.path / f"{name}.ipynb")
    result = run_inner(pytester, "--audit", "--junitxml=out.xml")
    result.assert_outcomes(passed=5 + 1, failed=3 + 2 + 1)
    text = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*_ bad.ipynb::cnns/3 _*",
        "cnns/3: fail (check: receptive_field)",
        "  claimed:  54",
        "  expected: 112",
        "  how:      analytic recurrence and empirical backprop agree",
    ])
    assert "dropout/1: unanswered" in text
    assert "cell 3: NameError: name 'torch' is not defined" in text
    # a notebook that cannot be audited is one failing item, in one line; the others are judged
    result.stdout.fnmatch_lines([
        "*_ crash.ipynb::audit _*",
        "auditor internal error (not the student's fault):",
        "*crash.ipynb: not audited: internal error: RuntimeError: boom in our code",
    ])
    result.stdout.fnmatch_lines([
        "*_ internal.ipynb::cnns/3 _*", "auditor internal error (not the student's fault):", "cnns/3: error*"])
    result.stdout.fnmatch_lines([
        "*_ unreadable.ipynb::audit _*",
        "*unreadable.ipynb: not audited: not valid JSON (line 1)",
    ])
    assert "Traceback" not in text and "auditor/gate/pytest_plugin.py" not in text
    # each notebook is audited once for collection and once, fully, when its first item runs
    executed = sorted(p.rsplit("/", 1)[-1] for p, o in fake.calls if o["execute"])
    assert executed == ["bad.ipynb", "good.ipynb", "internal.ipynb"]
    # --junitxml: one testcase per question plus execution, with the status as a property
    suite = ET.parse(pytester.path / "out.xml").getroot()
    cases = [c for c in suite.iter("testcase") if c.get("classname") == "bad.ipynb"]
    assert [c.get("name") for c in cases] == ["cnns/3", "dropout/1", "dropout/2.1", "execution"]
    statuses = {c.get("name"): c.find("properties/property[@name='status']").get("value") for c in cases}
    assert statuses == {"cnns/3": "fail", "dropout/1": "unanswered", "dropout/2.1": "pass", "execution": "errors"}
    assert "expected: 112" in cases[0].find("failure").text


def test_items_do_not_depend_on_order(pytester, fake):
    write_notebook(pytester.path / "bad.ipynb")
    result = run_inner(pytester, "--audit", "bad.ipynb::execution")
    result.assert_outcomes(failed=1)
    result = run_inner(pytester, "--audit", "-k", "dropout/2.1")
    result.assert_outcomes(passed=1, deselected=3)


def test_fail_on_and_no_execute(pytester, fake):
    write_notebook(pytester.path / "good.ipynb")
    write_notebook(pytester.path / "bad.ipynb")
    result = run_inner(pytester, "--audit", "--audit-fail-on", "review,tampered", "--audit-no-execute")
    result.assert_outcomes(passed=4, failed=2, skipped=2)
    result.stdout.fnmatch_lines(["*FAILED bad.ipynb::cnns/3*", "*FAILED good.ipynb::dropout/2.1*"])
    assert "tampered: cnns/3: the question's code was changed" in result.stdout.str()
    assert all(o["execute"] is False for _, o in fake.calls)
    assert len(fake.calls) == 2          # the no-execute preview is the result: one audit per file
    # passing items that a person should look at carry a note (-rP)
    result = run_inner(pytester, "--audit", "--audit-no-execute", "-rP", "good.ipynb", "-k", "dropout")
    result.assert_outcomes(passed=2, deselected=2)
    result.stdout.fnmatch_lines(["*- Captured auditor call -*", "dropout/2.1: review (check: true_false)"])


def test_bad_fail_on_is_a_usage_error(pytester, fake):
    write_notebook(pytester.path / "good.ipynb")
    result = run_inner(pytester, "--audit", "--audit-fail-on", "nonsense", subprocess=True)
    assert result.ret == 2   # the gate's usage exit code
    assert "unknown item(s) nonsense" in result.stderr.str()


def test_bad_spec_is_a_usage_error(pytester, fake):
    write_notebook(pytester.path / "good.ipynb")
    result = run_inner(pytester, "--audit", "--audit-assignment", "missing.toml", subprocess=True)
    assert result.ret == 2
    assert "missing.toml: no such spec file" in result.stderr.str()


@pytest.mark.slow
def test_xdist_workers_give_the_same_outcomes_and_run_each_notebook_once(pytester):
    tests_dir = str(Path(__file__).parent)
    pytester.makeconftest(f"""
import sys
sys.path.insert(0, {tests_dir!r})
import auditor.gate.run
from gate_fakes import FakeAudit

class LoggedAudit(FakeAudit):
    def __call__(self, path, **options):
        with open("calls.log", "a") as log:
            log.write(f"{{path}} {{options['execute']}}\\n")
        return super().__call__(path, **options)

auditor.gate.run.default_audit_function = lambda: LoggedAudit()
""")
    write_notebook(pytester.path / "good.ipynb")
    write_notebook(pytester.path / "bad.ipynb")
    result = run_inner(pytester, "--audit", "-n", "2", subprocess=True)
    result.assert_outcomes(passed=5, failed=3)
    executed = [line.split()[0] for line in (pytester.path / "calls.log").read_text().splitlines()
                if line.endswith(" True")]
    assert sorted(Path(p).name for p in executed) == ["bad.ipynb", "good.ipynb"]   # once each
