"""Audit a whole class: one isolation boundary per submission, record and continue, summary at the end.

Modelled on nbgrader's ``convert_notebooks`` loop (each notebook in its own try block, failures
recorded, the batch goes on), made parallel and resumable:

- the unit of work is "audit one notebook file -> its JSON report dict (+ its HTML page)"
  (``_run_task``), run in a pool of reused worker processes (``--jobs``, default the core count)
  or, with ``scheduler=ADDRESS``, one task per submission on a Dask cluster (auditor.batch.dask_runner);
- workers are started with forkserver (spawn where unavailable) and set ``OMP_NUM_THREADS`` /
  ``MKL_NUM_THREADS`` / ... to 1 in their environment, which the kernels they start inherit;
  they ignore SIGINT so Ctrl-C reaches only this process, which stops them cleanly;
- every result is stored in the result cache (auditor.batch.cache) as soon as it arrives, and
  its reports written; a rerun serves stored results and audits only what is missing;
- a submission that cannot be read, whose audit raises, or that kills its worker process
  (BrokenProcessPool: the submissions then in flight are retried one at a time in a fresh
  single-worker pool to find the culprit) is recorded as "could not be audited" with its reason.

Outputs under ``out_dir``: ``submissions/<id>.html`` and ``.json`` per submission, ``index.html``
(auditor.batch.class_report), ``summary.json``, ``grades.csv`` (auditor.batch.grades), ``.cache/``.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as _dt
import glob
import hashlib
import json
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import time
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from auditor.batch import copies as copy_detection
from auditor.batch.cache import ResultCache, cache_key, code_fingerprint, write_json_atomic, write_text_atomic

#: environment every worker (and so every kernel it starts) runs with: one math thread per job.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}

STATUS_AUDITED = "audited"
STATUS_NOT_AUDITED = "not-audited"
STATUS_NOT_RUN = "not-run"          # the batch was interrupted before this one ran


class BatchUsageError(ValueError):
    """Bad batch input (no files matched, unreadable spec, bad --id-pattern): exit code 2."""


# --------------------------------------------------------------------------- the unit of work

@dataclass(frozen=True)
class AuditTask:
    """Everything a worker needs to audit one submission (picklable, small)."""

    display: str                        # the path as shown in reports
    path: str | None = None             # local file to audit (process pool)
    data: bytes | None = None           # or the notebook's bytes (Dask: no shared filesystem needed)
    assignment: str = "auto"            # "auto" or a spec path
    spec_name: str | None = None        # with spec_data: ship the spec to a remote worker
    spec_data: bytes | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    audit_fn: Callable[..., Any] | None = None   # None: auditor.pipeline.audit


def _not_audited_result(display: str, sha256: str, message: str, kind: str) -> Any:
    from auditor import __version__
    from auditor.models import AuditResult, ExecStatus, ExecutionResult, SpecMatch

    return AuditResult(
        notebook=display,
        sha256=sha256,
        assignment=SpecMatch(spec=None, score=0.0, explanation=""),
        questions=(),
        execution=ExecutionResult(status=ExecStatus.SKIPPED, message="not audited"),
        auditor_version=__version__,
        error=message,
        error_kind=kind,
    )


def _package(result: Any) -> dict[str, Any]:
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


def _safe_file_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    if base in ("", ".", ".."):
        base = "notebook.ipynb"
    return base


def _run_task(task: AuditTask) -> dict[str, Any]:
    """Audit one submission; never raises for the submission's sake (errors become results)."""
    for k, v in SINGLE_THREAD_ENV.items():
        os.environ[k] = v
    os.environ.setdefault("AUDITOR_WARM_KERNELS", "1")   # kernels forked warm (auditor.execute.zygote); "0": cold
    audit_fn = task.audit_fn
    if audit_fn is None:
        from auditor.pipeline import audit as audit_fn  # lazy: heavy imports only in workers
    from auditor.load.notebook import InputError

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="auditor-task-") as tmp:
        path = task.path
        if path is None:
            path = os.path.join(tmp, _safe_file_name(task.display))
            with open(path, "wb") as fh:
                fh.write(task.data or b"")
        assignment = task.assignment
        if task.spec_data is not None:
            assignment = os.path.join(tmp, "spec-" + _safe_file_name(task.spec_name or "spec.toml"))
            with open(assignment, "wb") as fh:
                fh.write(task.spec_data)
        sha = _sha256_file(path)
        try:
            result = audit_fn(path, assignment=assignment, **dict(task.options))
        except InputError as exc:
            result = _not_audited_result(task.display, sha, exc.problem, "input")
        except Exception as exc:  # our bug, never the student's fault: record and go on
            result = _not_audited_result(
                task.display, sha, f"internal error: {type(exc).__name__}: {exc}".splitlines()[0][:500], "internal"
            )
        from auditor.models import AuditResult

        if isinstance(result, AuditResult) and result.notebook != task.display:
            result = dataclasses.replace(result, notebook=task.display)  # not the worker's temp path
        out = _package(result)
    out["result"]["notebook"] = task.display
    out["elapsed_s"] = round(time.perf_counter() - started, 4)
    out["pid"] = os.getpid()
    return out


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def _name_process(name: str) -> None:
    """Set the name ps/top/perf show for this process (Linux; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _init_worker(shared_zygote: str | None = None) -> None:
    """Worker start: one thread per math library, Ctrl-C handled by the parent only, kernels
    forked by the batch's shared zygote when the parent started one."""
    os.environ.update(SINGLE_THREAD_ENV)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _name_process("auditor-worker")
    if shared_zygote:
        from auditor.execute.zygote import use_shared_zygote

        use_shared_zygote(shared_zygote)
    torch = sys.modules.get("torch")  # preloaded before the variables above were set
    if torch is not None:
        torch.set_num_threads(1)


# --------------------------------------------------------------------------- finding submissions

def discover(target: str | os.PathLike[str], *, exclude: Iterable[Path] = ()) -> tuple[Path, list[Path]]:
    """(root, notebook files) for a directory (searched recursively), a glob, or one file.

    ``.ipynb_checkpoints`` directories and anything under ``exclude`` (the output directory)
    are skipped.  Sorted, without duplicates.
    """
    target_s = os.fspath(target)
    excluded = [p.resolve() for p in exclude]
    p = Path(target_s)
    if p.is_dir():
        root = p
        found = [f for f in p.rglob("*.ipynb") if f.is_file()]
    elif p.is_file():
        root = p.parent
        found = [p]
    else:
        found = [Path(f) for f in glob.glob(target_s, recursive=True) if os.path.isfile(f)]
        found = [f for f in found if f.suffix == ".ipynb" or glob.has_magic(target_s)]
        root = Path(os.path.commonpath([str(f.parent) for f in found])) if found else Path(".")
    out: dict[Path, Path] = {}
    for f in found:
        parts = f.relative_to(root).parts if f.is_relative_to(root) else f.parts
        if any(part == ".ipynb_checkpoints" for part in parts[:-1]):
            continue
        r = f.resolve()
        if any(r.is_relative_to(e) for e in excluded):
            continue
        out.setdefault(r, f)
    return root, sorted(out.values(), key=lambda f: str(f))


_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def submission_ids(relpaths: Sequence[str]) -> list[str]:
    """Unique, file-system- and URL-safe ids for report file names, from the relative paths."""
    ids: list[str] = []
    taken: set[str] = set()
    for rel in relpaths:
        stem = rel[: -len(".ipynb")] if rel.endswith(".ipynb") else rel
        slug = _SLUG_BAD.sub("_", stem).strip("._-")[:100] or "notebook"
        if slug.lower() in taken:
            slug = f"{slug[:90]}-{hashlib.sha256(rel.encode()).hexdigest()[:8]}"
        taken.add(slug.lower())
        ids.append(slug)
    return ids


# --------------------------------------------------------------------------- the summary

@dataclass(frozen=True)
class BatchSummary:
    out_dir: Path
    submissions: tuple[Mapping[str, Any], ...]   # one entry per submission, in input order
    audited_now: int                             # audited in this run
    from_cache: int                              # served from the result cache
    not_audited: int                             # could not be audited (reason in the entry)
    with_findings: int                           # audited, and failing under the exit policy
    interrupted: bool
    elapsed_s: float
    exit_code: int
    index_html: Path
    summary_json: Path
    grades_csv: Path
    class_data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def results(self) -> dict[str, Mapping[str, Any]]:
        return {e["id"]: e["result"] for e in self.submissions if e.get("result")}


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


def _options(execute: bool, timeout_cell: float, timeout_total: float, sandbox: bool) -> dict[str, Any]:
    return {"execute": execute, "timeout_cell": timeout_cell, "timeout_total": timeout_total, "sandbox": sandbox}


def _fn_name(fn: Callable[..., Any] | None) -> str:
    if fn is None:
        return "auditor.pipeline.audit"
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


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
) -> BatchSummary:
    """Audit every notebook in ``paths`` (a directory, a glob, or a list of files).

    Raises BatchUsageError for unusable input (nothing matched, unreadable spec, bad pattern).
    KeyboardInterrupt stops the batch cleanly: what is done is kept and the outputs are written
    for it; the summary says ``interrupted``.
    """
    from auditor.gate.exit_policy import DEFAULT_FAIL_ON
    from auditor.batch.grades import compile_id_pattern, student_id

    started = time.perf_counter()
    out = Path(out_dir)
    jobs = _default_jobs() if not jobs or jobs < 1 else int(jobs)
    fail_on = frozenset(fail_on) if fail_on is not None else DEFAULT_FAIL_ON
    try:
        rx = compile_id_pattern(id_pattern)
    except ValueError as exc:
        raise BatchUsageError(str(exc)) from None

    if isinstance(paths, (str, os.PathLike)):
        found_root, files = discover(paths, exclude=[out])
        root_path = Path(root) if root is not None else found_root
        if not files:
            raise BatchUsageError(f"{os.fspath(paths)}: no notebook (.ipynb) files found")
    else:
        files = [Path(p) for p in paths]
        if not files:
            raise BatchUsageError("no submissions given")
        root_path = Path(root) if root is not None else Path(os.path.commonpath([str(f.resolve().parent) for f in files]))

    spec_bytes: list[bytes] = []
    if assignment != "auto":
        try:
            spec_bytes.append(Path(assignment).read_bytes())
        except OSError as exc:
            raise BatchUsageError(f"{assignment}: cannot read the assignment spec: {exc.strerror or exc}") from None

    relpaths = []
    for f in files:
        try:
            rel = str(f.resolve().relative_to(root_path.resolve()))
        except ValueError:
            rel = str(f)
        relpaths.append(rel)
    subs = [
        _Submission(path=f, relpath=rel, id=sid, student_id=student_id(rel, rx)[0], id_matched=student_id(rel, rx)[1])
        for f, rel, sid in zip(files, relpaths, submission_ids(relpaths))
    ]

    try:
        (out / "submissions").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchUsageError(f"{out}: cannot create the output folder: {exc.strerror or exc}") from None
    cache = ResultCache(out / ".cache")
    options = _options(execute, timeout_cell, timeout_total, sandbox)
    key_options = {**options, "assignment": "auto" if assignment == "auto" else "spec", "audit_fn": _fn_name(audit_fn)}
    version = code_fingerprint()

    # 1. keys and cache look-ups (reading each file once)
    todo: list[tuple[_Submission, AuditTask]] = []
    cached_n = 0
    for s in subs:
        try:
            data = s.path.read_bytes()
        except OSError as exc:
            _record(s, _package(_not_audited_result(s.relpath, "", f"cannot read: {exc.strerror or exc}", "input")),
                    cache=None, out=out)
            continue
        # the name is part of the key: reports show it, and two files with the same bytes
        # (a copy) must each get a report under its own name
        s.key = cache_key(data, spec_bytes, version=version, options={**key_options, "name": s.relpath})
        hit = cache.get(s.key)
        if hit is not None and isinstance(hit.get("result"), dict):
            _record(s, hit, cache=None, out=out)
            s.cached = True
            cached_n += 1
            continue
        if scheduler:
            task = AuditTask(display=s.relpath, data=data, assignment=assignment,
                             spec_name=Path(assignment).name if spec_bytes else None,
                             spec_data=spec_bytes[0] if spec_bytes else None,
                             options=options, audit_fn=audit_fn)
        else:
            # absolute paths: workers fork from a server that may have another working directory
            task = AuditTask(display=s.relpath, path=str(s.path.resolve()),
                             assignment=str(Path(assignment).resolve()) if spec_bytes else assignment,
                             options=options, audit_fn=audit_fn)
        todo.append((s, task))

    # 2. run what is missing
    interrupted = False
    bar = _Progress(total=len(subs), done=len(subs) - len(todo), enabled=progress, console=console)

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
    return _write_outputs(
        subs, out=out, root=root_path, assignment=assignment, options=options, fail_on=fail_on,
        audited_now=sum(1 for s in subs if s.result is not None and not s.cached),
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


# --------------------------------------------------------------------------- the local process pool

#: imported once in the fork server, so every worker (and a pool rebuilt after a crash) starts with
#: torch and the pipeline already loaded instead of importing them again (seconds each)
FORKSERVER_PRELOAD = ["torch", "auditor.pipeline", "auditor.report.html", "auditor.execute.run", "auditor.claims.read",
                      # the IPython syntax reader the tamper check uses
                      "IPython.core.inputtransformer2",
                      # last: every worker's first-audit work, done once here (see the module)
                      "auditor.batch.warmup"]


def _mp_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(FORKSERVER_PRELOAD)  # import errors there are ignored by multiprocessing
        return ctx
    return multiprocessing.get_context("spawn")


def _new_pool(workers: int, shared_zygote: str | None = None) -> cf.ProcessPoolExecutor:
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_init_worker,
                                  initargs=(shared_zygote,))


def _start_shared_zygote(tasks: Sequence[AuditTask]) -> Any:
    """One warm-kernel zygote for every worker of this batch (auditor.execute.zygote.SharedZygote),
    started now in the background, when the tasks run our pipeline with execution in the
    sandbox and warm kernels are not turned off; else None (each worker decides alone)."""
    if not tasks or os.environ.get("AUDITOR_WARM_KERNELS", "1") != "1":
        return None
    first = tasks[0]
    if first.audit_fn is not None or not first.options.get("execute") or not first.options.get("sandbox"):
        return None
    from auditor.pipeline import sandbox_policy
    from auditor.execute.zygote import SharedZygote

    return SharedZygote(sandbox_policy(first.assignment if first.assignment != "auto" else None))


def _kill_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Stop a pool now: its workers and everything they started (kernels) are killed."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with dask.distributed
        psutil = None
    victims = []
    for p in procs:
        if psutil is not None:
            try:
                victims.extend(psutil.Process(p.pid).children(recursive=True))
            except psutil.Error:
                pass
    for p in procs:
        try:
            p.kill()
        except Exception:
            pass
    for v in victims:
        try:
            v.kill()
        except Exception:
            pass
    pool.shutdown(wait=True, cancel_futures=True)


def _crash_payload(task: AuditTask, why: str) -> dict[str, Any]:
    sha = _sha256_file(task.path) if task.path else hashlib.sha256(task.data or b"").hexdigest()
    return _package(_not_audited_result(task.display, sha, why, "internal"))


def _run_local(
    todo: Sequence[tuple[_Submission, AuditTask]],
    on_result: Callable[[_Submission, dict[str, Any]], None],
    *,
    jobs: int,
) -> None:
    """Run tasks on a pool of reused workers, at most ``jobs`` in flight (so each one in flight is
    running, and a broken pool points at a handful of suspects)."""
    if not todo:
        return
    pending = deque(todo)
    inflight: dict[cf.Future, tuple[_Submission, AuditTask]] = {}
    # the fork server's imports (torch, the pipeline, the warm-up) are the longest part of the
    # start: begin them now, alongside the zygote's, not at the first submit
    ctx = _mp_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
    shared = _start_shared_zygote([t for _, t in todo])
    zygote_file = shared.path if shared is not None else None
    try:
        _drive_pool(pending, inflight, on_result, jobs=jobs, zygote_file=zygote_file)
    finally:
        if shared is not None:
            shared.close()


def _drive_pool(pending: deque[tuple[_Submission, AuditTask]],
                inflight: dict[cf.Future, tuple[_Submission, AuditTask]],
                on_result: Callable[[_Submission, dict[str, Any]], None], *, jobs: int,
                zygote_file: str | None) -> None:
    pool = _new_pool(min(jobs, len(pending)), zygote_file)
    idle_breaks = 0

    def top_up() -> bool:
        """Submit pending tasks until ``jobs`` are in flight; False when the pool is broken."""
        while pending and len(inflight) < jobs:
            try:
                fut = pool.submit(_run_task, pending[0][1])
            except BrokenProcessPool:  # a worker died since the last look
                return False
            inflight[fut] = pending.popleft()
        return True

    try:
        while pending or inflight:
            broken = not top_up()
            suspects: list[tuple[_Submission, AuditTask]] = []
            finished: list[tuple[_Submission, dict[str, Any]]] = []
            if not broken:
                done, _ = cf.wait(list(inflight), return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    s, t = inflight.pop(fut)
                    try:
                        payload = fut.result()
                    except BrokenProcessPool:
                        suspects.append((s, t))
                        broken = True
                        continue
                    except Exception as exc:  # pickling and the like: ours, recorded, batch goes on
                        payload = _crash_payload(t, f"internal error: {type(exc).__name__}: {exc}"[:500])
                    finished.append((s, payload))
                # the freed workers get their next task before the results are written (the
                # report files and cache entry of one result take the parent a few ms)
                broken = broken or not top_up()
            for s, payload in finished:
                on_result(s, payload)
            if broken:
                # the pool is dead: everything still in flight failed with it
                suspects.extend(inflight.values())
                inflight.clear()
                _kill_pool(pool)
                idle_breaks = 0 if suspects else idle_breaks + 1
                if idle_breaks > 3:  # workers die without any task: give up on the rest, say why
                    while pending:
                        s, t = pending.popleft()
                        on_result(s, _crash_payload(t, "audit worker processes could not be started"))
                    return
                _isolate(suspects, on_result, zygote_file)
                pool = _new_pool(min(jobs, max(1, len(pending))), zygote_file)
    except BaseException:
        _kill_pool(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _isolate(suspects: Sequence[tuple[_Submission, AuditTask]],
             on_result: Callable[[_Submission, dict[str, Any]], None], zygote_file: str | None = None) -> None:
    """Rerun the submissions that were in flight when a worker died, one per fresh worker."""
    for s, t in suspects:
        solo = _new_pool(1, zygote_file)
        try:
            payload = solo.submit(_run_task, t).result()
        except BrokenProcessPool:
            payload = _crash_payload(t, "the audit worker process died while auditing this submission "
                                        "(crash or out of memory); the batch went on")
            _kill_pool(solo)
        except BaseException:
            _kill_pool(solo)
            raise
        else:
            solo.shutdown(wait=True)
        on_result(s, payload)


# --------------------------------------------------------------------------- progress

class _Progress:
    """A rich progress bar with ETA on stderr (nothing when disabled)."""

    def __init__(self, *, total: int, done: int, enabled: bool, console: Any = None):
        self.enabled = enabled
        self.total = total
        self.done = done
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self._progress = Progress(
                TextColumn("[bold]auditing"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.description}"),
                console=console or Console(stderr=True), transient=False,
            )
            self._task = self._progress.add_task("", total=total, completed=done)

    def __enter__(self) -> "_Progress":
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, s: _Submission) -> None:
        self.done += 1
        if self._progress is not None:
            from rich.markup import escape

            self._progress.update(self._task, advance=1, description=escape(s.relpath[-60:]))


# --------------------------------------------------------------------------- outputs

def _entry(s: _Submission, failing: list[str]) -> dict[str, Any]:
    r = s.result or {}
    return {
        "id": s.id,
        "student_id": s.student_id,
        "student_id_from_pattern": s.id_matched,
        "file": s.relpath,
        "status": s.status,
        "reason": s.reason,
        "cached": s.cached,
        "html": s.html,
        "json": s.json,
        "assignment": (r.get("assignment") or {}).get("id"),
        "counts": r.get("counts") or {},
        "execution": (r.get("execution") or {}).get("status"),
        "score": r.get("score") or {},
        "failing": failing,
        "elapsed_s": s.elapsed_s,
        "report_error": s.report_error,
        "result": s.result,
    }


def batch_exit_code(entries: Iterable[Mapping[str, Any]], fail_on: Iterable[str]) -> int:
    """3 when any audit hit an internal error of ours, else 1 when any submission has findings
    (or could not be audited, or did not run), else 0."""
    from auditor.gate.exit_policy import exit_code_for, failing_reasons
    from auditor.models import ExitCode

    fail_on = frozenset(fail_on)
    worst = ExitCode.OK
    for e in entries:
        r = e.get("result")
        if not r:
            worst = max(worst, ExitCode.FINDINGS)
            continue
        code = exit_code_for(r, fail_on)
        if code == ExitCode.INTERNAL:
            return int(ExitCode.INTERNAL)
        if code != ExitCode.OK or failing_reasons(r, fail_on):
            worst = max(worst, ExitCode.FINDINGS)
    return int(worst)


def _write_outputs(
    subs: Sequence[_Submission], *, out: Path, root: Path, assignment: str, options: Mapping[str, Any],
    fail_on: frozenset[str], audited_now: int, from_cache: int, interrupted: bool, started: float,
) -> BatchSummary:
    from auditor import __version__
    from auditor.batch.class_report import build_class_data, render_class_report
    from auditor.gate.exit_policy import failing_reasons
    from auditor.batch.grades import grades_csv_text

    entries = [_entry(s, failing_reasons(s.result, fail_on) if s.result else [s.reason or "not run"]) for s in subs]
    generated_at = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    elapsed = time.perf_counter() - started
    exit_code = batch_exit_code(entries, fail_on)
    meta = {
        "auditor_version": __version__,
        "generated_at": generated_at,
        "root": str(root),
        "assignment": assignment,
        "options": dict(options),
        "fail_on": sorted(fail_on),
        "interrupted": interrupted,
        "elapsed_s": round(elapsed, 3),
        "exit_code": exit_code,
    }
    class_data = build_class_data(entries, meta=meta)

    index = out / "index.html"
    write_text_atomic(index, render_class_report(class_data), fsync=False)
    grades = out / "grades.csv"
    from auditor.review.publish import apply_to_batch  # a TA's decisions (auditor review), when any
    ta = apply_to_batch(out, entries)
    write_text_atomic(grades, grades_csv_text(
        [{"student_id": e["student_id"], "file": e["file"], "result": e["result"], "status": e["status"]}
         for e in entries], ta=ta), fsync=False)
    summary_path = out / "summary.json"
    write_json_atomic(summary_path, {
        **meta,
        "totals": class_data["totals"],
        "submissions": [{k: v for k, v in e.items() if k != "result"} for e in entries],
        "questions": class_data["questions"],
        "copied_pairs": class_data["copied_pairs"],
        "not_audited": class_data["not_audited"],
    })
    return BatchSummary(
        out_dir=out,
        submissions=tuple(entries),
        audited_now=audited_now,
        from_cache=from_cache,
        not_audited=class_data["totals"]["not_audited"] + class_data["totals"]["not_run"],
        with_findings=class_data["totals"]["with_findings"],
        interrupted=interrupted,
        elapsed_s=elapsed,
        exit_code=exit_code,
        index_html=index,
        summary_json=summary_path,
        grades_csv=grades,
        class_data=class_data,
    )
