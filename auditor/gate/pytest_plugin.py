"""pytest plugin (entry point ``pytest11: auditor``): ``pytest --audit notebooks/``.

Off unless ``--audit`` is given: without it this plugin collects nothing and changes nothing.
With it, each ``.ipynb`` is a collected file and each question of its audit an item
(``nb.ipynb::cnns/3``), plus ``nb.ipynb::execution``, so ``-k``, ``--junitxml``, ``-n`` and IDEs work.

A thin adapter over ``auditor.gate.run``: collection reads the notebook's questions from an audit
without execution; the full audit (with execution) runs once per file, lazily, when the first of
its items runs, whatever the order; every item then reads its verdict from that one result.
With xdist (``-n``), a notebook's items share one worker (and one kernel run): the default
distribution becomes ``loadfile`` when ``--audit`` is on.

The options are the shared ones of every entry point (auditor.options), each as ``--audit-<name>``;
the run is prepared once (auditor.session.prepare_run: spec checked, sandbox probed, one warning
line) and the exit codes are the gate's: 2 for a usage error (before any notebook is audited) or
a notebook that cannot be read, 3 for an internal error of ours, 1 for findings.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

_GROUP = "auditor"
NOT_AUDITED_ITEM = "audit"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(_GROUP, "auditing notebook answers (auditor)")
    group.addoption("--audit", action="store_true", default=False,
                    help="collect .ipynb files and test each question's answer")
    from auditor.options import add_pytest_options

    add_pytest_options(group)


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("audit", False):
        return
    from auditor.options import UsageError, options_from_pytest
    from auditor.session import prepare_run

    try:
        options = options_from_pytest(config)
        # an xdist worker takes the controller's word for the sandbox: probed (and warned) once
        prepared = prepare_run(options, probe=not hasattr(config, "workerinput"))
    except UsageError as exc:
        pytest.exit(f"auditor: {exc}", returncode=USAGE_EXIT)
    config._auditor_options = options  # type: ignore[attr-defined]
    config._auditor_fail_on = options.fail_on  # type: ignore[attr-defined]
    config._auditor_kwargs = options.audit_kwargs(prepared.spec)  # type: ignore[attr-defined]
    config.pluginmanager.register(_ExitCode(), "auditor-exit-code")


USAGE_EXIT = 2
_EXIT_PROPERTY = "auditor_exit_code"


class _ExitCode:
    """The session's exit code as the gate's: the worst audited notebook decides (3 internal error,
    2 unreadable notebook) when pytest would say 0 or 1; each item carries its notebook's code."""

    def __init__(self) -> None:
        self.worst = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == _EXIT_PROPERTY:
                self.worst = max(self.worst, int(value))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if session.exitstatus in (0, 1) and self.worst > 1:
            session.exitstatus = self.worst


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``-n`` and the default distribution, keep a notebook's items on one worker.

    Otherwise a notebook whose items land on two workers would be executed twice.  An explicit
    ``--dist`` other than ``load`` is respected.
    """
    if config.getoption("audit", False) and config.getoption("dist", None) == "load":
        from xdist.scheduler import LoadFileScheduling

        return LoadFileScheduling(config, log)
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not parent.config.getoption("audit", False):
        return None
    from auditor.batch.discover import is_notebook_path

    if not is_notebook_path(file_path):
        return None
    return AuditedNotebook.from_parent(parent, path=file_path)


class AuditFailed(Exception):
    """An item fails: its text is what the user sees (no traceback)."""


class AuditInternalError(Exception):
    """Our own code failed for this item (status ``error``); never the student's fault."""


class AuditedNotebook(pytest.File):
    """One notebook: its items are the questions of its audit plus ``execution``."""

    def _options(self, *, execute: bool) -> dict[str, Any]:
        return {**self.config._auditor_kwargs, "execute": execute}  # type: ignore[attr-defined]

    @property
    def executes(self) -> bool:
        return self.config._auditor_options.execute  # type: ignore[attr-defined]

    def collect(self):
        from auditor.gate.run import audit_to_dict, item_ids

        preview = audit_to_dict(self.path, **self._options(execute=False))
        if not self.executes or preview.get("error"):
            self._result = preview       # final: nothing more to run
        # a notebook that cannot be audited is one failing item ("audit"), not a collection
        # error that would stop the whole session
        for item in item_ids(preview) if not preview.get("error") else [NOT_AUDITED_ITEM]:
            yield AuditItem.from_parent(self, name=item)

    def result(self) -> dict[str, Any]:
        """The full audit of this notebook, computed once, on first use by any item."""
        cached = getattr(self, "_result", None)
        if cached is None:
            from auditor.gate.run import audit_to_dict

            cached = self._result = audit_to_dict(self.path, **self._options(execute=self.executes))
        return cached


class AuditItem(pytest.Item):
    """One question (``cnns/3``) or the notebook's ``execution``."""

    def runtest(self) -> None:
        from auditor.gate.exit_policy import exit_code_for
        from auditor.gate.formats import item_text
        from auditor.gate.run import item_verdict, tampered_messages

        result = self.parent.result()
        fail_on = self.config._auditor_fail_on  # type: ignore[attr-defined]
        verdict = item_verdict(result, self.name, fail_on)
        self.user_properties.append(("status", verdict.status))
        self.user_properties.append((_EXIT_PROPERTY, int(exit_code_for(result, fail_on))))
        if verdict.skipped:
            pytest.skip(f"{self.name}: {verdict.status} (--audit-no-execute)")
        if verdict.failed:
            exc = AuditInternalError if verdict.internal else AuditFailed
            raise exc(item_text(result, self.name))
        if verdict.status in ("review", "manual") or self.name in tampered_messages(result):
            # passes, with a note (shown by -rP): a person grades it or should look at it
            self.add_report_section("call", "auditor", item_text(result, self.name))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, AuditFailed):
            return str(excinfo.value)
        if isinstance(excinfo.value, AuditInternalError):
            return f"auditor internal error (not the student's fault):\n{excinfo.value}"
        # a bug in the plugin itself: one line, no traceback of our code
        return (f"auditor internal error: {type(excinfo.value).__name__}: {excinfo.value}\n"
                f"(run `auditor audit {self.path}` for details)")

    def reportinfo(self):
        from auditor.gate.formats import item_cell, notebook_cell_lines

        line = None
        result = getattr(self.parent, "_result", None)
        if result is not None:
            cell = item_cell(result, self.name)
            if cell is not None:
                line = notebook_cell_lines(self.path).get(cell)
        return self.path, (line - 1 if line else None), f"{self.path.name}::{self.name}"
