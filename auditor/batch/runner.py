"""Audit a whole class: one isolation boundary per submission, record and continue, summary at the end.

Modelled on nbgrader's ``convert_notebooks`` loop (each notebook in its own try block, failures
recorded, the batch goes on), made parallel and resumable.  ``run_batch`` does, in order:

1. before any submission (exit 2 on a problem): the ``--id-pattern``, the notebooks
   (auditor.batch.discover), the spec and the sandbox (auditor.session.prepare_run: one warning
   line when isolation is degraded), the output folder;
2. keys and cache look-ups: a result stored by an earlier run (auditor.batch.cache) is served,
   so a rerun, also after ``kill -9``, audits only what is missing;
3. the rest as tasks (auditor.batch.task) on the local pool (auditor.batch.local_pool) or, with
   ``scheduler=ADDRESS``, on a Dask cluster (auditor.batch.dask_runner); each result is cached
   and its reports written as soon as it arrives (``_record``);
4. the class outputs (auditor.batch.outputs): ``index.html``, ``summary.json``, ``grades.csv``.

Outputs under ``out_dir``: ``submissions/<id>.html`` and ``.json`` per submission, ``index.html``,
``summary.json``, ``grades.csv`` (auditor.batch.grades), ``.cache/``.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from auditor.batch import copies as copy_detection
from auditor.batch.cache import ResultCache, cache_key, code_fingerprint, write_text_atomic
from auditor.batch.discover import discover, relative_names, submission_ids
from auditor.batch.local_pool import run_local as _run_local
from auditor.batch.local_pool import start_fork_server
from auditor.batch.outputs import BatchSummary, write_outputs
from auditor.batch.progress import ProgressBar
from auditor.batch.task import AuditTask, Job, package
from auditor.options import AuditOptions, UsageError
from auditor.session import INPUT, NotAudited, prepare_run

__all__ = ["BatchSummary", "BatchUsageError", "run_batch", "discover", "submission_ids"]

STATUS_AUDITED = "audited"
STATUS_NOT_AUDITED = "not-audited"
STATUS_NOT_RUN = "not-run"          # the batch was interrupted before this one ran

#: bad batch input (no files matched, unusable spec, bad --id-pattern, degraded sandbox with
#: --require-sandbox): exit code 2, raised before any submission is audited
BatchUsageError = UsageError


@dataclass
class _Submission:
    path: Path
    relpath: str
    id: str
    student_id: str
    id_matched: bool
    key: str | None = None
    status: str = STATUS_NOT_RUN
    reason: str | None = None
    cached: bool = False
    result: dict[str, Any] | None = None
    elapsed_s: float | None = None
    html: str | None = None
    json: str | None = None
    report_error: str | None = None     # the HTML page could not be made (JSON report still written)


def _default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def _fn_name(fn: Callable[..., Any] | None) -> str:
    if fn is None:
        return "auditor.pipeline.audit"
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


@dataclass(frozen=True)
class _SpecPlan:
    """How the tasks get the assignment: the value they pass, the file a remote worker needs,
    and the bytes that make the cache key (another spec, another key)."""

    assignment: str
    file: Path | None
    key_bytes: tuple[bytes, ...]
    spec_data: bytes | None = None      # the given spec file's bytes, shipped to remote workers
    spec_bases: tuple[tuple[str, bytes], ...] = ()  # (file name, bytes) of the specs it extends, shipped too


def _spec_plan(options: AuditOptions, spec: Any) -> _SpecPlan:
    if options.assignment in ("auto", "none"):
        extra = [p.read_bytes() for d in options.spec_dirs for p in sorted(Path(d).glob("*.toml"))]
        return _SpecPlan(options.assignment, None, tuple(extra))
    from auditor.assignment.spec import spec_bytes, spec_files

    # absolute paths: workers fork from a server that may have another working directory
    file = Path(spec.path).resolve()
    # the key covers the specs it extends (spec_bytes); a remote worker gets their files beside the spec
    bases = tuple((Path(f).name, Path(f).read_bytes()) for f in spec_files(file, options.spec_dirs)[1:])
    return _SpecPlan(str(file), file, (spec_bytes(spec),), file.read_bytes(), bases)


def run_batch(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    assignment: str = "auto",
    out_dir: str | os.PathLike[str] = "reports/class",
    jobs: int | None = None,
    scheduler: str | None = None,
    audit_fn: Callable[..., Any] | None = None,
    id_pattern: str | None = None,
    progress: bool = True,
    execute: bool = True,
    timeout_cell: float = 60,
    timeout_total: float = 600,
    sandbox: bool = True,
    fail_on: Iterable[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    console: Any = None,
    options: AuditOptions | None = None,
) -> BatchSummary:
    """Audit every notebook in ``paths`` (a folder, a glob, a file, or several of them).

    ``options`` (the shared options of every entry point) replaces ``assignment``, ``execute``,
    the timeouts, ``sandbox`` and ``fail_on`` when given.  Raises BatchUsageError for unusable
    input, before any submission is audited.  KeyboardInterrupt stops the batch cleanly: what is
    done is kept and the outputs are written for it; the summary says ``interrupted``.
    """
    from auditor.batch.grades import compile_id_pattern, student_id
    from auditor.gate.exit_policy import DEFAULT_FAIL_ON

    started = time.perf_counter()
    if options is None:
        options = AuditOptions(assignment=str(assignment), execute=execute, timeout_cell=timeout_cell,
                               timeout_total=timeout_total, sandbox=sandbox,
                               fail_on=frozenset(fail_on) if fail_on is not None else DEFAULT_FAIL_ON)
    out = Path(out_dir)
    jobs = _default_jobs() if not jobs or jobs < 1 else int(jobs)
    try:
        rx = compile_id_pattern(id_pattern)
    except ValueError as exc:
        raise BatchUsageError(str(exc)) from None
    found = discover(paths, exclude=[out])
    root_path = Path(root) if root is not None else found.root
    files = list(found.files)
    if not scheduler:
        start_fork_server()     # its seconds of imports run while the spec is checked and the sandbox probed
    prepared = prepare_run(options)
    plan = _spec_plan(options, prepared.spec)

    relpaths = relative_names(files, root_path)
    subs = []
    for f, rel, sid in zip(files, relpaths, submission_ids(relpaths)):
        who = student_id(rel, rx)
        subs.append(_Submission(path=f, relpath=rel, id=sid, student_id=who.id, id_matched=who.matched))

    try:
        (out / "submissions").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchUsageError(f"{out}: cannot create the output folder: {exc.strerror or exc}") from None
    cache = ResultCache(out / ".cache")
    task_options = {k: v for k, v in options.audit_kwargs().items() if k != "assignment"}
    token = plan.assignment if plan.file is None else "spec"
    key_options = {**task_options, "assignment": token, "audit_fn": _fn_name(audit_fn)}
    if "spec_dirs" in key_options:
        key_options["spec_dirs"] = list(key_options["spec_dirs"])
    if options.data_dir:  # the course's data decides computed answers: its content is part of the key
        from auditor.execute.course_data import fingerprint

        key_options["data_dir"] = fingerprint(options.data_dir)
    version = code_fingerprint()

    # 1. keys and cache look-ups (reading each file once)
    todo: list[Job] = []
    cached_n = 0
    for s in subs:
        try:
            data = s.path.read_bytes()
        except OSError as exc:
            _record(s, package(NotAudited(s.relpath, f"cannot read: {exc.strerror or exc}", INPUT).result()),
                    cache=None, out=out)
            continue
        # the name is part of the key: reports show it, and two files with the same bytes
        # (a copy) must each get a report under its own name
        s.key = cache_key(data, list(plan.key_bytes), version=version, options={**key_options, "name": s.relpath})
        hit = cache.get(s.key)
        if hit is not None and isinstance(hit.get("result"), dict):
            _record(s, hit, cache=None, out=out)
            s.cached = True
            cached_n += 1
            continue
        if scheduler:
            task = AuditTask(display=s.relpath, data=data, assignment=plan.assignment,
                             spec_name=plan.file.name if plan.file else None,
                             spec_data=plan.spec_data, spec_bases=plan.spec_bases,
                             options=task_options, audit_fn=audit_fn)
        else:
            task = AuditTask(display=s.relpath, path=str(s.path.resolve()), assignment=plan.assignment,
                             options=task_options, audit_fn=audit_fn)
        todo.append(Job(s, task))

    # 2. run what is missing
    interrupted = False
    bar = ProgressBar(total=len(subs), done=len(subs) - len(todo), enabled=progress, console=console)

    def on_result(s: _Submission, payload: dict[str, Any]) -> None:
        _record(s, payload, cache=cache, out=out)
        bar.advance(s)
        if s.status == STATUS_AUDITED:            # the submissions the class report compares
            copy_detection.prepare(s.result)      # its copy check, a share at a time

    try:
        with bar:
            if scheduler:
                from auditor.batch.dask_runner import run_on_dask

                run_on_dask(scheduler, todo, on_result)
            else:
                _run_local(todo, on_result, jobs=jobs)
    except KeyboardInterrupt:
        interrupted = True

    for s in subs:
        if s.status == STATUS_NOT_RUN:
            s.reason = "not run: the batch was interrupted"

    # 3. class outputs
    return write_outputs(
        subs, out=out, root=root_path, assignment=options.assignment, options=task_options,
        fail_on=options.fail_on, audited_now=sum(1 for s in subs if s.result is not None and not s.cached),
        from_cache=cached_n, interrupted=interrupted, started=started,
    )


def _record(s: _Submission, payload: Mapping[str, Any], *, cache: ResultCache | None, out: Path) -> None:
    """Store one finished submission: cache entry first (the resume point), then its reports."""
    result = dict(payload["result"])
    result["notebook"] = s.relpath
    # an internal error (our bug, a dead worker) is not a fact about the submission: not cached,
    # so a rerun tries again
    if cache is not None and s.key is not None and result.get("error_kind") != "internal":
        cache.put(s.key, {"result": result, "html": payload.get("html"), "json_text": payload.get("json_text"),
                          "report_error": payload.get("report_error")})
    json_text = payload.get("json_text") or json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n"
    json_path = out / "submissions" / f"{s.id}.json"
    write_text_atomic(json_path, json_text, fsync=False)
    s.json = f"submissions/{s.id}.json"
    html = payload.get("html")
    if html:
        write_text_atomic(out / "submissions" / f"{s.id}.html", html, fsync=False)
        s.html = f"submissions/{s.id}.html"
    s.result = result
    s.elapsed_s = payload.get("elapsed_s")
    s.report_error = payload.get("report_error")
    if result.get("error"):
        s.status = STATUS_NOT_AUDITED
        s.reason = str(result["error"])
    else:
        s.status = STATUS_AUDITED
        s.reason = None


