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
from typing import Any, Callable, Iterable, Mapping, Sequence

from auditor.gate.exit_policy import DEFAULT_FAIL_ON, exit_code_for, failing_reasons
from auditor.models import AuditResult, ExitCode

EXECUTION_ITEM = "execution"
EXECUTION_FAILURES = ("errors", "timeout", "crashed")

#: audit(path, **options) -> AuditResult (or its JSON dict); pipeline.audit by default
AuditFunction = Callable[..., "AuditResult | Mapping[str, Any]"]


class GateUsageError(Exception):
    """Bad paths given to the gate (exit 2): the message names the path and the problem."""


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
        return max((d.exit_code for d in self.decisions), default=ExitCode.OK)


# --------------------------------------------------------------------------- paths

def find_notebooks(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and directories (recursively, skipping checkpoints) into .ipynb files."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += sorted(
                f for f in p.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in f.parts and f.is_file()
            )
        elif p.is_file():
            found.append(p)
        elif p.exists():
            raise GateUsageError(f"{raw}: not a file or directory")
        else:
            raise GateUsageError(f"{raw}: no such file or directory")
    unique: list[Path] = []
    for f in found:
        if f not in unique:
            unique.append(f)
    return unique


# --------------------------------------------------------------------------- auditing

def load_assignment(value: Any) -> Any:
    """``--assignment``: "auto"/"none" pass through; a spec path (or the id of a shipped spec)
    is loaded once for all notebooks.

    Raises GateUsageError (exit 2) naming the file when the spec cannot be used.
    """
    if value in (None, "auto", "none") or not isinstance(value, (str, Path)):
        return value
    from auditor.pipeline import validate_spec
    from auditor.assignment.spec import SpecError, spec_from_argument

    try:
        spec = spec_from_argument(value)
        validate_spec(spec)
        return spec
    except SpecError as exc:
        raise GateUsageError(str(exc)) from None


def default_audit_function() -> AuditFunction:
    from auditor.pipeline import audit

    return audit


def audit_to_dict(path: str | Path, *, audit_fn: AuditFunction | None = None, **options: Any) -> dict[str, Any]:
    """Audit one notebook and return the result's JSON dict; never raises for one notebook.

    An unreadable notebook becomes a dict with ``error_kind="input"``; a crash of our code one
    with ``error_kind="internal"`` (the message names the exception, not the student).
    """
    from auditor.report.result_json import result_to_dict

    try:
        fn = audit_fn or default_audit_function()
        result = fn(str(path), **options)
    except Exception as exc:  # noqa: BLE001 - one notebook must not stop the gate
        kind = "input" if _is_input_error(exc) else "internal"
        message = str(exc) if kind == "input" else f"internal error: {type(exc).__name__}: {exc}"
        return error_dict(str(path), message, kind)
    if isinstance(result, AuditResult):
        return result_to_dict(result)
    return dict(result)


def error_dict(path: str, message: str, kind: str) -> dict[str, Any]:
    """The JSON dict of a notebook that could not be audited at all."""
    return {
        "notebook": path,
        "error": message,
        "error_kind": kind,
        "assignment": {"id": None, "score": 0.0},
        "execution": {"status": "skipped", "errors": [], "stale_errors": []},
        "questions": [],
        "findings": [],
    }


def _is_input_error(exc: Exception) -> bool:
    try:
        from auditor.load.notebook import InputError
    except ImportError:
        return False
    return isinstance(exc, InputError)


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
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
    audit_fn: AuditFunction | None = None,
    **options: Any,
) -> GateReport:
    """Audit every notebook under ``paths`` and decide.  Raises GateUsageError for bad paths."""
    fail_on = frozenset(fail_on)
    if "assignment" in options:
        options["assignment"] = load_assignment(options["assignment"])
    notebooks = find_notebooks(paths)
    if not notebooks:
        raise GateUsageError(f"{', '.join(map(str, paths)) or '(no paths)'}: no .ipynb notebooks found")
    decisions = []
    for nb in notebooks:
        result = audit_to_dict(nb, audit_fn=audit_fn, **options)
        result["notebook"] = str(nb)   # report paths as given, so annotations point at the file
        decisions.append(decide(result, fail_on))
    return GateReport(tuple(decisions), fail_on, dict(options))


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
