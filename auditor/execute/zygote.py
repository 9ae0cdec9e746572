"""The running warm-kernel servers of this process: one per interpreter, hidden paths, threads and
allocator, started on first use (:func:`get_zygote`) or shared by a batch's parent with its
workers (:class:`SharedZygote`, :func:`use_shared_zygote`); litter of killed graders is swept and
every server stops when the process ends.  The server itself is :mod:`auditor.execute.zygote_server`,
the grader's side of one warm kernel :mod:`auditor.execute.warm_kernel`.
"""
from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from auditor.execute.probes import probe_cgroup_pids
from auditor.execute.sandbox import SandboxPolicy
from auditor.execute.view import hidden_roots
from auditor.execute.warm_kernel import (WarmKernelProcess, ZygoteProvisioner, ZygoteUnavailable,
                                         reap_in_background, wait_for_reaper)
from auditor.execute.zygote_server import (KERNEL_ARGS, MALLOC_TUNABLES, MEMORY_HEADROOM, READY_TIMEOUT,
                                           ZYGOTE_PREFIX, Zygote, policy_suits, warm_probe, warm_unavailable)

__all__ = ["KERNEL_ARGS", "MALLOC_TUNABLES", "SharedZygote", "WarmKernelProcess", "Zygote", "ZygoteProvisioner",
           "ZygoteUnavailable", "get_zygote", "reap_in_background", "stop_all", "sweep_stale_zygotes",
           "use_shared_zygote", "wait_for_reaper", "warm_probe", "warm_unavailable"]

STALE_AFTER_S = 120.0        # a zygote directory untouched this long, with nobody alive in it, is litter

_LOCK = threading.Lock()


def _fresh_lock_after_fork() -> None:
    """A child forked while another thread of the parent held the lock (a batch's zygote starting
    in the background) would wait on it forever: the child gets its own, unlocked."""
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_after_fork)
_ZYGOTES: dict[tuple[Any, ...], Zygote | str] = {}


_SHARED: dict[str, Any] = {"path": None, "failed": False}
SHARED_WAIT = READY_TIMEOUT + 30.0


def use_shared_zygote(path: str | None) -> None:
    """Use the zygote that another process (a batch's parent, :class:`SharedZygote`) announces in
    the file ``path``, for the policies it serves, instead of starting one in this process."""
    _SHARED["path"] = path
    _SHARED["failed"] = False


def _shared(key: tuple[Any, ...]) -> Zygote | str | None:
    """The announced zygote for ``key`` (waiting for its announcement), the reason it could not
    start, or None (none announced, or it serves another key)."""
    path = _SHARED["path"]
    if not path or _SHARED["failed"]:
        return None
    deadline = time.monotonic() + SHARED_WAIT
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            _SHARED["failed"] = True
            return None
        time.sleep(0.02)
    try:
        with open(path, encoding="utf-8") as fh:
            handle = json.load(fh)
    except (OSError, ValueError):
        _SHARED["failed"] = True
        return None
    got = handle.get("key") or []
    if len(got) != len(key) or (got[0], tuple(got[1]), *got[2:]) != key:
        return None
    if "unavailable" in handle:
        return str(handle["unavailable"])
    return Zygote.attach(handle)


def hugepages_enabled() -> bool:
    """Kernels' malloc on transparent huge pages (see MALLOC_TUNABLES), unless turned off."""
    return os.environ.get("AUDITOR_KERNEL_HUGEPAGES", "1") != "0"


def _key(policy: SandboxPolicy, python: str) -> tuple[Any, ...]:
    """Which zygote serves ``policy``: interpreter, hidden roots, math threads, allocator."""
    return (python, hidden_roots(tuple(policy.hide_paths)), policy.threads, hugepages_enabled())


def get_zygote(policy: SandboxPolicy, python: str) -> Zygote:
    """The running zygote for this policy's interpreter, hidden paths and threads: the one this
    process uses already, else the shared one announced to it (:func:`use_shared_zygote`), else
    one started here (shared by the threads of this process).  Raises ZygoteUnavailable with
    the reason."""
    suits = policy_suits(policy)
    if not suits.ok:
        raise ZygoteUnavailable(suits.why)
    key = _key(policy, python)
    _, hidden, _, hugepages = key
    with _LOCK:
        got = _ZYGOTES.get(key)
        if isinstance(got, Zygote) and got.user != os.getpid():
            got = None                  # inherited through fork(): the parent's, not ours
        elif isinstance(got, Zygote) and got.dead:
            if got.attached:
                _SHARED["failed"] = True     # the shared one died: start our own
            got.stop()
            got = None
        if got is None:
            got = _shared(key)
        if got is None:
            usable = warm_probe(policy, python)
            if not usable.ok:
                raise ZygoteUnavailable(usable.why)
            _register_exit_hooks()
            sweep_stale_zygotes()
            try:
                got = Zygote(python, hidden, policy.threads, hugepages=hugepages)
            except (ZygoteUnavailable, OSError) as exc:
                got = str(exc)
        _ZYGOTES[key] = got
        if isinstance(got, str):
            raise ZygoteUnavailable(got)
    if policy.memory_bytes and policy.memory_bytes < got.address_space + MEMORY_HEADROOM:
        raise ZygoteUnavailable(f"the address-space limit ({policy.memory_bytes} bytes) leaves too "
                                f"little room above the zygote's own {got.address_space} bytes")
    return got


class SharedZygote:
    """A batch's one zygote for all its worker processes.

    The parent starts it in the background (``get_zygote`` in a thread, while the workers start
    and import the pipeline) and announces it in a file; each worker, given that file's path
    (:func:`use_shared_zygote`), waits for the announcement the first time it needs a kernel and
    forks its kernels there.  One zygote instead of one per worker: torch is imported once per
    batch, not once per worker.  Each kernel is tied to the worker's connection: when a worker
    dies, the zygote kills the kernels it asked for.  :meth:`close` stops the zygote."""

    def __init__(self, policy: SandboxPolicy, python: str | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="auditor-shared-zygote-"))
        self.path = str(self.dir / "zygote.json")
        self._zygote: Zygote | None = None
        self._thread = threading.Thread(target=self._start, args=(policy, python or sys.executable),
                                        name="auditor-shared-zygote", daemon=True)
        self._thread.start()

    def _start(self, policy: SandboxPolicy, python: str) -> None:
        data: dict[str, Any] = {"key": list(_key(policy, python))}
        try:
            self._zygote = get_zygote(policy, python)
            data.update(self._zygote.handle())
        except ZygoteUnavailable as exc:
            data["unavailable"] = str(exc)
        except Exception as exc:        # ours: the workers then start their own
            data["unavailable"] = f"the shared zygote could not start: {type(exc).__name__}: {exc}"
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.path)

    def close(self) -> None:
        self._thread.join()
        z = self._zygote
        if z is not None:
            with _LOCK:
                for key in [k for k, v in _ZYGOTES.items() if v is z]:
                    del _ZYGOTES[key]
            z.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "SharedZygote":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_HOOKED: set[int] = set()


def _register_exit_hooks() -> None:
    """multiprocessing's workers end with os._exit (no atexit): its own finalizers do run."""
    if os.getpid() not in _HOOKED:
        _HOOKED.add(os.getpid())
        multiprocessing.util.Finalize(None, stop_all, exitpriority=10)


def _cgroup_busy(cg: Path) -> bool:
    for procs in [cg / "cgroup.procs", *cg.glob("*/cgroup.procs")]:
        try:
            if procs.read_text().strip():
                return True
        except OSError:
            continue
    return False


def _owner_alive(base: Path) -> bool:
    try:
        return Path("/proc", (base / "ctl" / "owner").read_text().strip()).exists()
    except OSError:
        return False


def sweep_stale_zygotes(older_than_s: float = STALE_AFTER_S) -> None:
    """Remove the directories and cgroups of zygotes whose grader died without cleaning up
    (a worker process killed, or ended by os._exit).  A zygote sits in its own cgroup while it
    lives, so an empty cgroup tree (or, without cgroups, a dead owner) means it is gone."""
    cg_base = probe_cgroup_pids().base
    now = time.time()
    bases = {p.name: p for p in Path("/tmp").glob(ZYGOTE_PREFIX + "*")}
    cgroups = {p.name: p for p in Path(cg_base).glob(ZYGOTE_PREFIX + "*")} if cg_base else {}
    for name in set(bases) | set(cgroups):
        base, cg = bases.get(name), cgroups.get(name)
        try:
            age = now - max(p.stat().st_mtime for p in (base, cg) if p is not None)
        except OSError:
            continue
        if age < older_than_s:
            continue
        if cg is not None and _cgroup_busy(cg):
            continue
        if cg is None and base is not None and _owner_alive(base):
            continue
        if cg is not None:
            for child in cg.glob("auditor-*"):
                try:
                    child.rmdir()
                except OSError:
                    pass
            try:
                cg.rmdir()
            except OSError:
                pass
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)


@atexit.register
def stop_all() -> None:
    wait_for_reaper()
    with _LOCK:
        for z in _ZYGOTES.values():
            if isinstance(z, Zygote) and z.owner == os.getpid() and not z.attached:
                z.stop()
        _ZYGOTES.clear()
