"""The local process pool: reused worker processes, at most ``jobs`` audits in flight.

Workers are started with forkserver (spawn where unavailable) from a fork server that has already
imported :data:`FORKSERVER_PRELOAD` (torch, the pipeline, then ``auditor.batch.warmup``); they
set ``OMP_NUM_THREADS`` and friends to 1 (the kernels they start inherit it), ignore SIGINT so
Ctrl-C reaches only the parent, and fork their kernels from the batch's shared warm zygote.

A worker that dies (BrokenProcessPool) takes the pool with it: the submissions then in flight
are retried one at a time in a fresh single-worker pool to find the culprit, which is recorded
as "could not be audited"; the batch goes on.
"""
from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import multiprocessing
import os
import signal
import sys
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence

from auditor.batch.task import SINGLE_THREAD_ENV, AuditTask, Job, crash_payload, run_task

#: imported once in the fork server, so every worker (and a pool rebuilt after a crash) starts with
#: torch and the pipeline already loaded instead of importing them again (seconds each);
#: multiprocessing ignores a name that does not import, so tests/test_worker_warmup.py imports each
FORKSERVER_PRELOAD = ("torch", "auditor.pipeline", "auditor.report.html", "auditor.execute.run", "auditor.claims.read",
                      # the IPython syntax reader the tamper check uses
                      "IPython.core.inputtransformer2",
                      # last: every worker's first-audit work, done once here (see the module)
                      "auditor.batch.warmup")

OnResult = Callable[[Any, dict[str, Any]], None]


def missing_preloads(names: Sequence[str] = FORKSERVER_PRELOAD) -> list[str]:
    """The preload names that no installed module answers to (should be none)."""
    missing = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


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


def _mp_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(FORKSERVER_PRELOAD))  # import errors there are ignored by multiprocessing
        return ctx
    return multiprocessing.get_context("spawn")


def start_fork_server() -> None:
    """Start the fork server now (once per process): its imports (torch, the pipeline, the
    warm-up) are the longest part of a batch's start, and run in its own process meanwhile."""
    if _mp_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


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

    return SharedZygote(sandbox_policy(first.assignment if first.assignment not in ("auto", "none") else None))


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


def run_local(
    todo: Sequence[Job],
    on_result: OnResult,
    *,
    jobs: int,
) -> None:
    """Run tasks on a pool of reused workers, at most ``jobs`` in flight (so each one in flight is
    running, and a broken pool points at a handful of suspects)."""
    if not todo:
        return
    pending = deque(todo)
    inflight: dict[cf.Future, Job] = {}
    start_fork_server()
    shared = _start_shared_zygote([t for _, t in todo])
    zygote_file = shared.path if shared is not None else None
    try:
        drive_pool(pending, inflight, on_result, jobs=jobs, zygote_file=zygote_file)
    finally:
        if shared is not None:
            shared.close()


def drive_pool(pending: deque[Job],
                inflight: dict[cf.Future, Job],
                on_result: OnResult, *, jobs: int,
                zygote_file: str | None) -> None:
    pool = _new_pool(min(jobs, len(pending)), zygote_file)
    idle_breaks = 0

    def top_up() -> bool:
        """Submit pending tasks until ``jobs`` are in flight; False when the pool is broken."""
        while pending and len(inflight) < jobs:
            try:
                fut = pool.submit(run_task, pending[0].task)
            except BrokenProcessPool:  # a worker died since the last look
                return False
            inflight[fut] = pending.popleft()
        return True

    try:
        while pending or inflight:
            broken = not top_up()
            suspects: list[Job] = []
            finished: list[tuple[Any, dict[str, Any]]] = []
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
                        payload = crash_payload(t, f"internal error: {type(exc).__name__}: {exc}"[:500])
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
                        on_result(s, crash_payload(t, "audit worker processes could not be started"))
                    return
                _isolate(suspects, on_result, zygote_file)
                pool = _new_pool(min(jobs, max(1, len(pending))), zygote_file)
    except BaseException:
        _kill_pool(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _isolate(suspects: Sequence[Job],
             on_result: OnResult, zygote_file: str | None = None) -> None:
    """Rerun the submissions that were in flight when a worker died, one per fresh worker."""
    for s, t in suspects:
        solo = _new_pool(1, zygote_file)
        try:
            payload = solo.submit(run_task, t).result()
        except BrokenProcessPool:
            payload = crash_payload(t, "the audit worker process died while auditing this submission "
                                        "(crash or out of memory); the batch went on")
            _kill_pool(solo)
        except BaseException:
            _kill_pool(solo)
            raise
        else:
            solo.shutdown(wait=True)
        on_result(s, payload)


