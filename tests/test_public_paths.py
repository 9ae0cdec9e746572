"""The import paths third parties use keep working whatever the layout inside ``auditor/`` is:
``auditor.models`` (its frozen dataclasses), ``auditor.cli:main`` (the console script),
the ``pytest11`` entry point (the gate's pytest plugin), ``auditor.plugins`` (find, load, run
a check) and ``auditor.audit``."""
from __future__ import annotations

import dataclasses
import importlib
from importlib.metadata import entry_points

import pytest

MODEL_DATACLASSES = (
    "SavedError", "Cell", "ParsedNotebook", "SectionSpec", "QuestionSpec", "AssignmentSpec", "SpecMatch",
    "Segment", "Answer", "Span", "Claim", "CellError", "ExecutionResult", "Outcome", "Finding",
    "QuestionResult", "AuditResult",
)


def _entry_point(group: str, name: str):
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    assert len(found) == 1, f"entry point {group}:{name}: {found}"
    return found[0]


@pytest.mark.parametrize("name", MODEL_DATACLASSES)
def test_models_are_importable_frozen_dataclasses(name):
    models = importlib.import_module("auditor.models")
    cls = getattr(models, name)
    assert dataclasses.is_dataclass(cls) and cls.__module__ == "auditor.models"
    assert cls.__dataclass_params__.frozen, name


def test_model_enums_and_helpers():
    from auditor.models import ExecStatus, ExitCode, Status, freeze, thaw

    assert [s.value for s in Status] == ["pass", "fail", "review", "unanswered", "manual", "error"]
    assert (int(ExitCode.OK), int(ExitCode.FINDINGS), int(ExitCode.USAGE), int(ExitCode.INTERNAL)) == (0, 1, 2, 3)
    assert ExecStatus("ok") is ExecStatus.OK
    assert thaw(freeze({"a": [1, (2,)]})) == {"a": [1, [2]]}


def test_console_script_is_auditor_cli_main(capsys):
    ep = _entry_point("console_scripts", "auditor")
    assert ep.value == "auditor.cli:main"
    main = ep.load()
    assert main is importlib.import_module("auditor.cli").main
    assert main(["checks", "list"]) == 0
    assert "receptive_field" in capsys.readouterr().out
    assert main(["no-such-command"]) == 2


def test_pytest11_entry_point_imports_the_plugin():
    ep = _entry_point("pytest11", "auditor")
    assert ep.value == "auditor.gate.pytest_plugin"
    plugin = ep.load()
    for hook in ("pytest_addoption", "pytest_configure", "pytest_collect_file"):
        assert callable(getattr(plugin, hook)), hook


def test_plugins_find_load_and_run_a_check():
    from auditor.models import Answer, Claim, QuestionSpec, Segment, Status
    from auditor.plugins import find_checks, load_check, missing_spec_params, run_check, validate_signature

    found = {f.name: f for f in find_checks()}
    assert found["receptive_field"].value == "checks.receptive_field:check_receptive_field"
    loaded = load_check(found["dropout_composition"])
    question = QuestionSpec(id="dropout/1", section="dropout", number=1, params={"p1": 0.1, "p2": 0.2})
    answer = Answer("dropout/1", True, (Segment(3, "q = 1-(1-p1)(1-p2) = 0.28", "markdown"),))
    outcome = run_check(loaded, question=question, answer=answer, claim=Claim("number", 0.28))
    assert outcome.status is Status.PASS and outcome.expected == pytest.approx(0.28)
    wrong = run_check(loaded, question=question, answer=answer, claim=Claim("number", 0.3))
    assert wrong.status is Status.FAIL
    # the two helpers docs/writing-checks.md tells check authors to use
    assert missing_spec_params(loaded, {"p1": 0.1}) == ["p2"]
    assert validate_signature("dropout_composition", loaded.func).injected == loaded.injected


def test_checks_are_registered_through_the_same_entry_points():
    names = {ep.name for ep in entry_points(group="auditor.checks")}
    assert {"receptive_field", "dropout_composition", "answered"} <= names


def test_top_level_audit(example_submissions):
    import auditor

    result = auditor.audit(example_submissions / "strong.ipynb", execute=False)
    assert isinstance(result, auditor.AuditResult) and result.assignment.spec.id == "example"
