"""The core under the four entry points: one run, prepared once, then each notebook audited safely.

``prepare_run(options)`` is what ``audit``, ``batch``, ``gate`` and ``pytest --audit`` do before
any submission: the given spec is loaded and validated (and every spec of the extra spec folders),
and the sandbox a kernel would get is probed once.  A bad spec or, with ``--require-sandbox``,
degraded isolation raises :class:`~auditor.options.UsageError` (exit 2) before any student code
runs; degraded isolation otherwise prints one warning line on stderr.

``audit_safely(path, ...)`` audits one notebook and never raises for it (nbgrader's record and
continue): a notebook that cannot be read becomes a :class:`NotAudited` result of kind ``input``
naming the file and the problem; an exception of our own code one of kind ``internal`` (exit 3,
never blamed on the student).
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from auditor.models import AuditResult
from auditor.options import AuditOptions, UsageError

#: audit(path, **options) -> AuditResult (or its JSON dict); auditor.pipeline.audit by default
AuditFunction = Callable[..., "AuditResult | Mapping[str, Any]"]

INPUT = "input"         # the file cannot be audited (unreadable, not a notebook)
INTERNAL = "internal"   # our code failed: never the student's fault


@dataclass(frozen=True)
class NotAudited:
    """A notebook that could not be audited: which file, what the problem is, and whose."""

    file: str
    problem: str
    kind: str = INPUT
    sha256: str = ""

    @property
    def line(self) -> str:
        return f"{self.file}: {self.problem}"

    def result(self) -> AuditResult:
        """As an AuditResult (``error``/``error_kind`` set, no questions): what reports and policies read."""
        from auditor import __version__
        from auditor.models import ExecStatus, ExecutionResult, SpecMatch

        return AuditResult(
            notebook=self.file,
            sha256=self.sha256,
            assignment=SpecMatch(None, 0.0, "not audited"),
            questions=(),
            execution=ExecutionResult(ExecStatus.SKIPPED, message="not audited"),
            auditor_version=__version__,
            error=self.problem,
            error_kind=self.kind,
        )

    def to_dict(self) -> dict[str, Any]:
        from auditor.report.result_json import result_to_dict

        return result_to_dict(self.result())


def internal_problem(exc: BaseException) -> str:
    """One line saying which of our exceptions happened."""
    return f"internal error: {type(exc).__name__}: {exc}".splitlines()[0][:500]


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def audit_safely(path: str | os.PathLike[str], kwargs: Mapping[str, Any], *, audit_fn: AuditFunction | None = None,
                 display: str | None = None) -> "AuditResult | Mapping[str, Any]":
    """Audit one notebook with ``audit_fn(path, **kwargs)`` (the pipeline by default); never raises
    for the notebook's sake.  ``display`` is the name reports show (default: the path)."""
    from auditor.assignment.spec import SpecError
    from auditor.load.notebook import InputError

    shown = display if display is not None else str(path)
    try:
        if audit_fn is None:
            from auditor.pipeline import audit as audit_fn
        return audit_fn(str(path), **dict(kwargs))
    except InputError as exc:
        return NotAudited(shown, exc.problem, INPUT, sha256_file(path)).result()
    except SpecError:
        raise   # the run's usage error (prepare_run checks specs first): not this notebook's
    except Exception as exc:  # noqa: BLE001 - our bug: recorded, the run goes on
        return NotAudited(shown, internal_problem(exc), INTERNAL, sha256_file(path)).result()


# --------------------------------------------------------------------------- before any submission

@dataclass(frozen=True)
class PreparedRun:
    """A run's checked setup: its options, the given spec (loaded once; None for auto/none), the
    isolation layers a kernel gets (empty when nothing executes) and the warning line, if any."""

    options: AuditOptions
    spec: Any = None
    layers: tuple[Any, ...] = ()
    warning: str | None = None

    @property
    def spec_path(self) -> str | None:
        return getattr(self.spec, "path", None)


def check_spec_dirs(spec_dirs: tuple[str, ...]) -> None:
    """Every extra spec folder exists and each of its specs loads and validates (UsageError otherwise)."""
    from auditor.assignment.spec import SpecError, load_spec
    from auditor.pipeline import validate_spec

    for d in spec_dirs:
        if not Path(d).is_dir():
            raise UsageError(f"{d}: not a folder of specs (--specs / AUDITOR_SPECS)")
        for p in sorted(Path(d).glob("*.toml")):
            try:
                validate_spec(load_spec(p, spec_dirs))
            except SpecError as exc:
                raise UsageError(str(exc)) from None


def load_given_spec(options: AuditOptions) -> Any:
    """The spec ``--assignment`` names (file or id), loaded and validated; None for auto/none."""
    if options.assignment in ("auto", "none"):
        return None
    from auditor.assignment.spec import SpecError, spec_from_argument
    from auditor.pipeline import validate_spec

    try:
        spec = spec_from_argument(options.assignment, options.spec_dirs)
        validate_spec(spec)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    return spec


def probe_isolation(options: AuditOptions, spec_path: str | None) -> tuple[tuple[Any, ...], str | None]:
    """The layers a kernel of this run gets and the degraded warning (None: all active)."""
    if not options.execute:
        return (), None      # no student code runs
    from auditor.execute import isolation
    from auditor.execute.sandbox import SandboxPolicy
    from auditor.pipeline import sandbox_policy

    policy = sandbox_policy(spec_path) if options.sandbox else SandboxPolicy(enabled=False)
    layers = isolation.probe_layers(policy, python=options.kernel_python)
    return tuple(layers), isolation.degraded_warning(layers)


def prepare_run(options: AuditOptions, *, probe: bool = True,
                warn: Callable[[str], None] | None = None) -> PreparedRun:
    """Check what a run needs before any submission; raises UsageError (exit 2).

    ``probe`` False: the sandbox was probed by this run's parent
    (an xdist worker).  ``warn`` prints the degraded-isolation line (stderr by default).
    """
    if options.require_sandbox and not options.sandbox:
        raise UsageError("--require-sandbox and --no-sandbox contradict each other")
    check_spec_dirs(options.spec_dirs)
    if options.data_dir:
        from auditor.execute.course_data import DataDirError, check_data_dir

        try:
            check_data_dir(options.data_dir)
        except DataDirError as exc:
            raise UsageError(str(exc)) from None
    if options.kernel_python and options.execute:
        from auditor.execute.kernel_python import KernelPythonError, check_kernel_python

        try:
            from auditor.execute.sandbox import SandboxPolicy

            check_kernel_python(options.kernel_python, None if options.sandbox else SandboxPolicy(enabled=False))
        except KernelPythonError as exc:
            raise UsageError(str(exc)) from None
    spec = load_given_spec(options)
    layers, warning = probe_isolation(options, getattr(spec, "path", None)) if probe else ((), None)
    if warning and options.require_sandbox:
        raise UsageError(f"--require-sandbox: {warning.removeprefix('auditor: warning: ')}")
    if warning:
        (warn or _stderr)(warning)
    return PreparedRun(options, spec, layers, warning)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
