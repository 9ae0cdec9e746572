"""pytest plugin (entry point ``pytest11: auditor``): ``pytest --audit notebooks/``.

Off unless ``--audit`` is given: without it this plugin collects nothing and changes nothing.
With it, each ``.ipynb`` is a collected file and each question of its audit an item
(``nb.ipynb::cnns/3``), plus ``nb.ipynb::execution``, so ``-k``, ``--junitxml``, ``-n`` and IDEs work.

A thin adapter over ``auditor.gate.run``: collection reads the notebook's questions from an audit
without execution; the full audit (with execution) runs once per file, lazily, when the first of
its items runs, whatever the order; every item then reads its verdict from that one result.
With xdist (``-n``), a notebook's items share one worker (and one kernel run): the default
distribution becomes ``loadfile`` when ``--audit`` is on.
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
    group.addoption("--audit-assignment", default="auto", metavar="auto|SPEC",
                    help="assignment spec (TOML path or shipped id); auto picks the best fit (default)")
    group.addoption("--audit-fail-on", default=None, metavar="ITEMS",
                    help="comma-separated: fail,unanswered,review,error,execution,tampered "
                         "(default: error,execution,fail,unanswered)")
    group.addoption("--audit-no-execute", action="store_true", default=False,
                    help="do not run the notebooks (answers only; the execution item is skipped)")
    group.addoption("--audit-timeout-cell", type=float, default=60, metavar="S",
                    help="per-cell timeout in seconds (default 60)")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("audit", False):
        return
    from auditor.gate.exit_policy import parse_fail_on

    from auditor.gate.run import GateUsageError, load_assignment

    try:
        config._auditor_fail_on = parse_fail_on(config.getoption("audit_fail_on"))  # type: ignore[attr-defined]
        config._auditor_assignment = load_assignment(config.getoption("audit_assignment"))  # type: ignore[attr-defined]
    except (ValueError, GateUsageError) as exc:
        raise pytest.UsageError(str(exc)) from None


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
    if file_path.suffix != ".ipynb" or ".ipynb_checkpoints" in file_path.parts:
        return None
    return AuditedNotebook.from_parent(parent, path=file_path)


class AuditFailed(Exception):
    """An item fails: its text is what the user sees (no traceback)."""


class AuditInternalError(Exception):
    """Our own code failed for this item (status ``error``); never the student's fault."""


class AuditedNotebook(pytest.File):
    """One notebook: its items are the questions of its audit plus ``execution``."""

    def _options(self, *, execute: bool) -> dict[str, Any]:
        cfg = self.config
        return {
            "assignment": cfg._auditor_assignment,
            "execute": execute,
            "timeout_cell": cfg.getoption("audit_timeout_cell"),
        }

    @property
    def executes(self) -> bool:
        return not self.config.getoption("audit_no_execute")

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
        from auditor.gate.formats import item_text
        from auditor.gate.run import item_verdict, tampered_messages

        result = self.parent.result()
        verdict = item_verdict(result, self.name, self.config._auditor_fail_on)  # type: ignore[attr-defined]
        self.user_properties.append(("status", verdict.status))
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
