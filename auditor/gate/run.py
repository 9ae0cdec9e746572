"""The CI gate as a library: audit notebooks, decide pass/fail per notebook and per item.

``auditor gate`` (auditor/cli/gate.py) and the pytest plugin (auditor/gate/pytest_plugin.py) are thin
adapters over this module; both decide with ``auditor.gate.exit_policy`` on the JSON dict of a result
(``auditor.report.result_json``), so a gate, a pytest run and ``auditor audit`` never disagree.

Items: each question of a result is one item (its id, e.g. ``cnns/3``) and the notebook's
execution is one more (``execution``).  An item fails when its status is in ``fail_on``; a
question also fails when it was tampered with and ``tampered`` is in ``fail_on``; a question
with status ``error`` (our own bug) always fails, reported as an internal error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from auditor.gate.exit_policy import DEFAULT_FAIL_ON, exit_code_for, failing_reasons, worst_exit_code
from auditor.models import AuditResult, ExitCode
from auditor.options import AuditOptions, UsageError
from auditor.session import AuditFunction

EXECUTION_ITEM = "execution"
EXECUTION_FAILURES = ("errors", "timeout", "crashed")


#: bad paths, spec or setup given to the gate (exit 2): the message names what and why
GateUsageError = UsageError


@dataclass(frozen=True)
class ItemVerdict:
    item: str                       # question id or "execution"
    status: str                     # question status, or the execution status
    failed: bool
    internal: bool = False          # failed because our code broke (status "error")
    skipped: bool = False           # nothing to judge (execution skipped)
    reasons: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """What went wrong, in a word or two: "fail", "tampered", "fail, tampered", "internal error"."""
        if self.internal:
            return "internal error"
        kinds = ["tampered" if r.startswith("tampered:") else self.status for r in self.reasons]
        return ", ".join(dict.fromkeys(kinds)) or self.status


@dataclass(frozen=True)
class NotebookDecision:
    path: str
    result: Mapping[str, Any]       # the JSON dict of the AuditResult
    reasons: tuple[str, ...]        # why it fails (empty: it passes)
    exit_code: ExitCode

    @property
    def passed(self) -> bool:
        return self.exit_code == ExitCode.OK


@dataclass(frozen=True)
class GateReport:
    decisions: tuple[NotebookDecision, ...]
    fail_on: frozenset[str]
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        """The worst code over all notebooks: internal (3) > unreadable (2) > findings (1) > ok (0)."""
        return worst_exit_code((d.result for d in self.decisions), self.fail_on)


# --------------------------------------------------------------------------- paths and auditing

def find_notebooks(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files, directories (recursively, skipping checkpoints) and globs into .ipynb files
    (auditor.batch.discover, the discovery of every entry point); UsageError when nothing is found."""
    from auditor.batch.discover import discover

    return list(discover(paths).files)


def default_audit_function() -> AuditFunction:
    from auditor.pipeline import audit

    return audit


def audit_to_dict(path: str | Path, *, audit_fn: AuditFunction | None = None, **options: Any) -> dict[str, Any]:
    """Audit one notebook and return the result's JSON dict; never raises for one notebook
    (auditor.session.audit_safely: unreadable -> ``error_kind="input"``, our crash -> ``"internal"``)."""
    from auditor.report.result_json import result_to_dict
    from auditor.session import audit_safely

    result = audit_safely(path, options, audit_fn=audit_fn or default_audit_function(), display=str(path))
    if isinstance(result, AuditResult):
        return result_to_dict(result)
    return dict(result)


# --------------------------------------------------------------------------- deciding

def decide(result: Mapping[str, Any], fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> NotebookDecision:
    fail_on = frozenset(fail_on)
    return NotebookDecision(
        path=str(result.get("notebook", "")),
        result=result,
        reasons=tuple(failing_reasons(result, fail_on)),
        exit_code=exit_code_for(result, fail_on),
    )


def gate(
    paths: Sequence[str | Path],
    *,
    options: AuditOptions | None = None,
    audit_fn: AuditFunction | None = None,
    **legacy: Any,
) -> GateReport:
    """Audit every notebook under ``paths`` and decide; raises UsageError (exit 2) for bad paths,
    a bad spec or, with ``require_sandbox``, degraded isolation, before any notebook is audited.

    ``options``: the shared options (default ``AuditOptions()``); keywords such as
    ``fail_on=``, ``assignment=`` or ``execute=`` replace single fields of it."""
    from dataclasses import replace

    from auditor.session import prepare_run

    options = replace(options or AuditOptions(), **{k: frozenset(v) if k == "fail_on" else v
                                                    for k, v in legacy.items()})
    notebooks = find_notebooks(paths)
    prepared = prepare_run(options)
    kwargs = options.audit_kwargs(prepared.spec)
    decisions = []
    for nb in notebooks:
        result = audit_to_dict(nb, audit_fn=audit_fn, **kwargs)
        result["notebook"] = str(nb)   # report paths as given, so annotations point at the file
        decisions.append(decide(result, options.fail_on))
    return GateReport(tuple(decisions), options.fail_on, kwargs)


def tampered_messages(result: Mapping[str, Any]) -> dict[str, list[str]]:
    """question id -> messages of its ``tampered`` findings."""
    out: dict[str, list[str]] = {}
    for f in result.get("findings", []):
        if f.get("kind") == "tampered" and f.get("question"):
            out.setdefault(f["question"], []).append(f.get("message", ""))
    return out


def item_ids(result: Mapping[str, Any]) -> list[str]:
    """The items of a result: each question id in order, then ``execution``."""
    return [q["id"] for q in result.get("questions", [])] + [EXECUTION_ITEM]


def item_verdict(result: Mapping[str, Any], item: str, fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> ItemVerdict:
    """Whether one item fails under ``fail_on``; consistent with ``exit_policy.failing_reasons``."""
    fail_on = frozenset(fail_on)
    if result.get("error"):
        return ItemVerdict(item, "error", True, internal=result.get("error_kind") == "internal",
                           reasons=(f"not audited: {result['error']}",))
    if item == EXECUTION_ITEM:
        status = result.get("execution", {}).get("status", "skipped")
        if status == "skipped":
            return ItemVerdict(item, status, False, skipped=True)
        failed = "execution" in fail_on and status in EXECUTION_FAILURES
        return ItemVerdict(item, status, failed, reasons=(f"execution: {status}",) if failed else ())
    question = next((q for q in result.get("questions", []) if q["id"] == item), None)
    if question is None:
        return ItemVerdict(item, "error", True, internal=True,
                           reasons=(f"{item}: not in the audit result (the matched assignment changed?)",))
    status = question["status"]
    reasons = []
    if status in fail_on or status == "error":
        reasons.append(f"{item}: {status}")
    if "tampered" in fail_on and item in tampered_messages(result):
        reasons.append(f"tampered: {item}")
    return ItemVerdict(item, status, bool(reasons), internal=status == "error", reasons=tuple(reasons))
