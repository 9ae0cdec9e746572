"""The unit of batch work: audit one submission file -> its JSON report dict (+ its HTML page).

Runs in a worker process (the local pool, auditor.batch.local_pool) or on a Dask worker
(auditor.batch.dask_runner): an :class:`AuditTask` is small and picklable, and ``run_task`` never
raises for the submission's sake (``auditor.session.audit_safely``: a file that cannot be read,
or a crash of our code, becomes a "could not be audited" result).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NamedTuple

from auditor.session import INTERNAL, NotAudited, audit_safely, internal_problem, sha256_file

#: environment every worker (and so every kernel it starts) runs with: one math thread per job.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}


@dataclass(frozen=True)
class AuditTask:
    """Everything a worker needs to audit one submission (picklable, small)."""

    display: str                        # the path as shown in reports
    path: str | None = None             # local file to audit (process pool)
    data: bytes | None = None           # or the notebook's bytes (Dask: no shared filesystem needed)
    assignment: str = "auto"            # "auto", "none", a spec path or a spec id
    spec_name: str | None = None        # with spec_data: ship the spec to a remote worker
    spec_data: bytes | None = None
    spec_bases: tuple[tuple[str, bytes], ...] = ()  # the specs spec_data extends: written beside it
    options: Mapping[str, Any] = field(default_factory=dict)   # pipeline.audit's other keywords
    audit_fn: Callable[..., Any] | None = None   # None: auditor.pipeline.audit


class Job(NamedTuple):
    """A task and the submission it is for (what the runner records the result under)."""

    submission: Any
    task: AuditTask


def package(result: Any) -> dict[str, Any]:
    """AuditResult (or an already-made dict) -> {"result": dict, "html": str|None, "json_text": str|None}."""
    from auditor.models import AuditResult
    from auditor.report.result_json import result_to_dict

    if isinstance(result, AuditResult):
        from auditor.report.writer import result_json_text

        out = {"result": result_to_dict(result), "html": None, "json_text": result_json_text(result)}
        try:
            from auditor.report.html import render_html

            out["html"] = render_html(result)
        except Exception as exc:  # a bug in our HTML report must not lose the audit: JSON still written
            out["report_error"] = f"HTML report failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]
        return out
    if isinstance(result, Mapping):
        return {"result": dict(result), "html": None, "json_text": None}
    raise TypeError(f"audit function returned {type(result).__name__}, expected AuditResult or dict")


def crash_payload(task: AuditTask, why: str) -> dict[str, Any]:
    """The payload of a task whose worker died or failed: could not be audited, our fault."""
    sha = sha256_file(task.path) if task.path else hashlib.sha256(task.data or b"").hexdigest()
    return package(NotAudited(task.display, why, INTERNAL, sha).result())


def _safe_file_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    if base in ("", ".", ".."):
        base = "notebook.ipynb"
    return base


def run_task(task: AuditTask) -> dict[str, Any]:
    """Audit one submission; never raises for the submission's sake (errors become results)."""
    for k, v in SINGLE_THREAD_ENV.items():
        os.environ[k] = v
    os.environ.setdefault("AUDITOR_WARM_KERNELS", "1")   # kernels forked warm (auditor.execute.zygote); "0": cold
    from auditor.models import AuditResult

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="auditor-task-") as tmp:
        path = task.path
        if path is None:
            path = os.path.join(tmp, _safe_file_name(task.display))
            with open(path, "wb") as fh:
                fh.write(task.data or b"")
        assignment = task.assignment
        if task.spec_data is not None:
            specs = os.path.join(tmp, "specs")   # the spec and its bases in one folder: bases resolve by id
            os.mkdir(specs)
            assignment = os.path.join(specs, "spec-" + _safe_file_name(task.spec_name or "spec.toml"))
            with open(assignment, "wb") as fh:
                fh.write(task.spec_data)
            for k, (name, data) in enumerate(task.spec_bases):
                with open(os.path.join(specs, f"base-{k}-" + _safe_file_name(name)), "wb") as fh:
                    fh.write(data)
        try:
            result = audit_safely(path, {**dict(task.options), "assignment": assignment}, audit_fn=task.audit_fn,
                                  display=task.display)
        except Exception as exc:  # a spec that broke in the worker: ours to fix, recorded, batch goes on
            result = NotAudited(task.display, internal_problem(exc), INTERNAL, sha256_file(path)).result()
        if isinstance(result, AuditResult) and result.notebook != task.display:
            result = dataclasses.replace(result, notebook=task.display)  # not the worker's temp path
        out = package(result)
    out["result"]["notebook"] = task.display
    out["elapsed_s"] = round(time.perf_counter() - started, 4)
    out["pid"] = os.getpid()
    return out
