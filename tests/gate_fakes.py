"""Hand-built notebooks and audit results for the gate and pytest-plugin tests (no pipeline, no kernel)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import nbformat

from auditor.load.notebook import InputError
from auditor.models import (
    AssignmentSpec,
    AuditResult,
    CellError,
    ExecStatus,
    ExecutionResult,
    Finding,
    QuestionResult,
    SpecMatch,
    Status,
)

SPEC = AssignmentSpec(id="fake", title="Fake assignment", variant=None, path="fake.toml",
                      sections=(), questions=())


def write_notebook(path: Path, n_cells: int = 4) -> Path:
    """A small valid notebook: alternating markdown question / code answer cells."""
    nb = nbformat.v4.new_notebook()
    for i in range(n_cells):
        if i % 2 == 0:
            nb.cells.append(nbformat.v4.new_markdown_cell(f"{i // 2 + 1}. Question number {i}\n\nmore text"))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(f"x = {i}\nprint(x)"))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def question(qid: str, status: str, claimed=None, expected=None, cell: int = 1, **kw) -> QuestionResult:
    return QuestionResult(
        id=qid, status=Status(status), check=kw.pop("check", "receptive_field"),
        claimed=claimed, expected=expected, cells=(cell,) if cell is not None else (),
        message=kw.pop("message", f"{qid} is {status}"),
        method=kw.pop("method", "analytic recurrence and empirical backprop agree"),
        evidence=kw.pop("evidence", f"the answer to {qid}"), **kw,
    )


def result(path: str, questions: Iterable[QuestionResult], exec_status: str = "ok",
           errors: Iterable[CellError] = (), findings: Iterable[Finding] = ()) -> AuditResult:
    return AuditResult(
        notebook=path, sha256="0" * 64, assignment=SpecMatch(SPEC, 0.9, "fake"),
        questions=tuple(questions),
        execution=ExecutionResult(status=ExecStatus(exec_status), errors=tuple(errors)),
        findings=tuple(findings),
    )


def good(path: str, exec_status: str = "ok") -> AuditResult:
    return result(path, [question("cnns/3", "pass", 112, 112),
                         question("dropout/1", "manual", check="answered", cell=3),
                         question("dropout/2.1", "review", "true", "false", check="true_false", cell=3)],
                  exec_status)


def bad(path: str, exec_status: str = "errors") -> AuditResult:
    return result(
        path,
        [question("cnns/3", "fail", 54, 112, message="states 54; the receptive field is 112"),
         question("dropout/1", "unanswered", check="dropout_composition", cell=None),
         question("dropout/2.1", "pass", "false", "false", check="true_false", cell=3)],
        exec_status,
        errors=[CellError(3, "NameError", "name 'torch' is not defined")] if exec_status == "errors" else (),
        findings=[Finding("tampered", "cnns/3: the question's code was changed\n-  a\n+  b", cell=1,
                          question="cnns/3")],
    )


class FakeAudit:
    """audit(path, **options): results chosen by the file's stem; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, path: str, **options) -> AuditResult:
        self.calls.append((path, options))
        stem = Path(path).stem
        skipped = not options.get("execute", True)
        if stem.startswith("good"):
            return good(path, "skipped" if skipped else "ok")
        if stem.startswith("bad"):
            return bad(path, "skipped" if skipped else "errors")
        if stem.startswith("unreadable"):
            raise InputError(path, "not valid JSON (line 1)")
        if stem.startswith("crash"):
            raise RuntimeError("boom in our code")
        if stem.startswith("internal"):
            return result(path, [question("cnns/3", "error", message="internal error in check: KeyError")],
                          "skipped" if skipped else "ok")
        raise AssertionError(f"unexpected notebook {path}")


#: plugins the inner pytest runs do not need (hypothesis alone costs ~2 s per session)
QUIET_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark")


def run_inner(pytester, *args: str, subprocess: bool = False):
    """Run pytest inside a test (pytester), in-process unless ``subprocess``."""
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
    return run(*QUIET_PLUGINS, *args)
