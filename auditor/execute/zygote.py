"""Warm kernels: a fork server that holds ipykernel, numpy and torch imported, one fork per student.

Starting a kernel and importing torch costs about 3 s per submission; the student's own cells
often take a fraction of that.  :class:`Zygote` starts :mod:`auditor.execute.zygote_main` once, inside
the same bubblewrap view of the file system the cold path gives every kernel (read-only, the
grader's home and the auditor's project hidden, private /tmp, empty network), and asks it for
one freshly forked kernel per submission.  Each fork gets, before any student code runs, the
same protections as a cold kernel: its own temp directory (the only writable place, and the
only one visible under /tmp), a scrubbed environment, the rlimits, its own pids cgroup, its
own mount, pid, network, ipc and uts namespaces, and a fresh unprivileged uid with every
capability dropped.  Students share nothing but the copy-on-write pages of the imported
modules (and the zygote's string-hash seed).

The warm path needs what the cold path uses on this machine: bwrap's view, root (for the
per-kernel namespaces and the uid switch) and, when the policy limits processes, a writable
pids cgroup.  When any of these is missing :func:`warm_unavailable` says why and the caller
runs the cold path instead: the warm path never runs with weaker isolation.

One zygote per grader process (and interpreter, hidden paths, thread count), started on first
use; a batch's parent starts one for all its workers (:class:`SharedZygote`), which they attach
to instead of starting their own.  It exits when the process that started it ends (its stdin
is a pipe from it), which kills every kernel it forked; a kernel also dies when the grader that
asked for it closes its connection (or dies).  It sits in a cgroup leaf of its own, so the
directory and cgroups of a zygote whose grader was killed are recognised as litter and removed
when the next one starts.

:class:`WarmKernelManager` (in auditor.execute.run) plugs it into jupyter_client as a kernel provisioner
(:class:`ZygoteProvisioner`), so nbclient drives a warm kernel exactly like a cold one.
"""
from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from auditor.execute.sandbox import (Sandbox, SandboxPolicy, _is_under, _python_keep_paths, bwrap_view, hidden_roots,
                             probe_bwrap, probe_cgroup_pids, probe_setpriv)

PRELOAD = ("numpy", "torch", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger",
           "ipykernel.zmqshell", "ipykernel.comm", "jupyter_client.session",
           # what a kernel's start-up imports next (a fork then finds them loaded)
           "IPython.core.completerlib", "faulthandler", "tornado.platform.asyncio",
           # the connection file's loader imports psutil to list the interfaces (20 ms a kernel)
           "psutil", "jupyter_client.localinterfaces")
#: ipykernel options for every kernel, warm or cold: no history database (a sqlite file and a
#: saving thread per kernel for a history nobody reads; In/Out still work in memory)
KERNEL_ARGS = ("--HistoryManager.enabled=False",)
#: glibc's malloc on transparent huge pages (madvise) in the zygote, hence in every kernel forked
#: from it: the heap the zygote grew while importing torch is on huge pages, a fork copies fewer
#: page-table entries, and the students' cells spend less time in page faults (here the class's
#: cells ran 10-20 % faster inside the batch).  Only for forked kernels: a kernel *started* with
#: this setting ran the same cells about 1.8x slower here (each fresh large allocation zeroes
#: 2 MiB pages), so cold kernels keep glibc's defaults.  Ignored by a glibc before 2.35 and by
#: other libcs; ``AUDITOR_KERNEL_HUGEPAGES=0`` turns it off.
MALLOC_TUNABLES = "glibc.malloc.hugetlb=1"
READY_TIMEOUT = 90.0
STALE_AFTER_S = 120.0        # a zygote directory untouched this long, with nobody alive in it, is litter
_PREFIX = "auditor-zygote-"
_LAUNCHER = str(Path(__file__).with_name("kernel_launch.py"))
MEMORY_HEADROOM = 512 * 1024 ** 2     # a warm kernel needs this much address space above the zygote's
_MAIN = Path(__file__).with_name("zygote_main.py")


class ZygoteUnavailable(RuntimeError):
    """The warm path cannot give the cold path's isolation here (or its server died)."""


def policy_unsuited(policy: SandboxPolicy) -> str:
    """Why ``policy`` asks for something the warm path does not reproduce ("" when it suits)."""
    if not policy.enabled:
        return "sandbox disabled"
    if policy.network not in ("auto", "bwrap"):
        return f"network policy {policy.network!r} (the warm path only reproduces bwrap's isolation)"
    if not policy.separate_user:
        return "policy keeps the grader's uid (the warm path needs a fresh uid per kernel)"
    return ""


def warm_unavailable(policy: SandboxPolicy, python: str) -> str:
    """Why the warm path cannot be used with ``policy`` on this machine ("" when it can)."""
    why = policy_unsuited(policy)
    if why:
        return why
    ok, why = probe_bwrap()
    if not ok:
        return why
    why = bwrap_view(python, tuple(policy.hide_paths))[2]
    if why:
        return why
    under_tmp = [k for k in _python_keep_paths(python) if _is_under(k, "/tmp")]
    if under_tmp:
        # each warm kernel gets a /tmp of its own holding only its sandbox directory
        return f"the interpreter lives under /tmp ({under_tmp[0]}), which each warm kernel's private /tmp hides"
    ok, why = probe_setpriv()
    if not ok:
        return why
    if policy.max_processes:
        base = probe_cgroup_pids()
        if not base[1]:
            return f"no writable pids cgroup ({base[2]})"
    return ""


class Zygote:
    """One running fork server (for one interpreter, hidden-path set and thread count)."""

    def __init__(self, python: str, hide_paths: tuple[str, ...], threads: int | None, *,
                 hugepages: bool = False) -> None:
        self.python = python
        self.hide_paths = hide_paths
        self.threads = threads
        self.hugepages = hugepages       # malloc on transparent huge pages (MALLOC_TUNABLES)
        self.owner = os.getpid()     # a forked copy of this process must not use or stop it
        self.user = self.owner       # the process using this object (see attach)
        # the same name for its directory (under /tmp: see zygote_main) and its pids cgroup
        self.base = Path("/tmp") / f"{_PREFIX}{uuid.uuid4().hex[:12]}"
        self.base.mkdir(mode=0o755)
        os.chmod(self.base, 0o755)
        self.ctl = self.base / "ctl"
        self.ctl.mkdir(mode=0o700)
        (self.ctl / "owner").write_text(str(self.owner))
        self.socket_path = str(self.ctl / "zygote.sock")
        self.cgroup: tuple[str, str] | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.dead = ""
        self.attached = False
        self.address_space = 0      # the zygote's own address space, inherited by every kernel
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        version, cg_base, _ = probe_cgroup_pids()
        binds: list[str] = ["--bind", str(self.base), str(self.base)]
        readonly_again: list[str] = []
        joins: list[str] = []
        if cg_base:
            cg = Path(cg_base) / self.base.name
            cg.mkdir()
            if version == "v2":         # kernels' cgroups below need the pids controller
                try:
                    (cg / "cgroup.subtree_control").write_text("+pids")
                except OSError:
                    pass                # then new_sandbox finds no pids.max and refuses
            # the zygote itself, in a leaf of its own: the tree is busy exactly while it lives
            (cg / "auditor-zygote").mkdir()
            joins.append(str(cg / "auditor-zygote" / "cgroup.procs"))
            self.cgroup = (version, str(cg))
            binds += ["--bind", str(cg), str(cg)]
            readonly_again.append(str(cg))
        view = [a for a in bwrap_view(self.python, self.hide_paths)[0] if a != "--die-with-parent"]
        self.readonly_again = readonly_again
        test = self.new_sandbox(SandboxPolicy(max_processes=16, threads=self.threads,
                                              hide_paths=self.hide_paths))
        try:
            cfg = {"socket": self.socket_path, "preload": list(PRELOAD),
                   "self_test": self.request(test, str(test.rundir / "none.json"), test.env())}
            env = {k: v for k, v in test.env().items() if k not in ("HOME", "TMPDIR", "IPYTHONDIR",
                                                                     "MPLCONFIGDIR")}
            env["HOME"] = env["TMPDIR"] = str(self.ctl)
            if self.hugepages:
                env["GLIBC_TUNABLES"] = MALLOC_TUNABLES
            # kernel_launch.py puts the zygote (bwrap and all below it) into its cgroup first
            launch = json.dumps({"rlimits": {}, "cgroup_procs": joins, "keep_parent_pid": True})
            cmd = [self.python, "-I", "-S", _LAUNCHER, launch, "--", *view, *binds, "--cap-add", "ALL",
                   "--chdir", "/", self.python, "-s", "-c", _MAIN.read_text(), json.dumps(cfg)]
            self.log = open(self.ctl / "zygote-stderr.log", "wb")
            # No --die-with-parent (it follows the starting *thread*): the zygote exits when
            # its stdin, a pipe from this process, closes.
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.log, env=env, start_new_session=True)
            assert self.proc.stdout is not None
            ready, _, _ = select.select([self.proc.stdout], [], [], READY_TIMEOUT)
            line = self.proc.stdout.readline() if ready else b""
            try:
                status = json.loads(line) if line else {"ready": False, "why": "no answer"}
            except ValueError:
                status = {"ready": False, "why": f"bad answer {line[:80]!r}"}
            if not status.get("ready"):
                raise ZygoteUnavailable(f"the zygote did not start: {status.get('why')} "
                                        f"(log: {self.log_tail()})")
            self.address_space = int(status.get("address_space_bytes") or 0)
        finally:
            test.close()

    def handle(self) -> dict[str, Any]:
        """What another process needs to use this zygote (:meth:`attach`): plain JSON data."""
        return {"python": self.python, "hide_paths": list(self.hide_paths), "threads": self.threads,
                "hugepages": self.hugepages,
                "owner": self.owner, "base": str(self.base), "socket": self.socket_path,
                "cgroup": list(self.cgroup) if self.cgroup else None,
                "readonly_again": list(self.readonly_again), "address_space": self.address_space}

    @classmethod
    def attach(cls, handle: dict[str, Any]) -> "Zygote":
        """A client of a zygote another process started and owns (a batch's workers share the
        one their parent started): it forks kernels there and never stops it."""
        self = cls.__new__(cls)
        self.python, self.threads = handle["python"], handle["threads"]
        self.hugepages = bool(handle.get("hugepages"))
        self.hide_paths = tuple(handle["hide_paths"])
        self.owner = int(handle["owner"])
        self.user = os.getpid()
        self.base = Path(handle["base"])
        self.ctl = self.base / "ctl"
        self.socket_path = handle["socket"]
        self.cgroup = tuple(handle["cgroup"]) if handle.get("cgroup") else None  # type: ignore[assignment]
        self.readonly_again = list(handle["readonly_again"])
        self.address_space = int(handle["address_space"])
        self.proc = None
        self.dead = ""
        self.attached = True
        return self

    def log_tail(self) -> str:
        try:
            lines = (self.ctl / "zygote-stderr.log").read_text("utf-8", "replace").strip().splitlines()
        except OSError:
            return "none"
        return " | ".join(lines[-3:]) or "empty"

    def new_sandbox(self, policy: SandboxPolicy) -> Sandbox:
        sb = Sandbox(policy, python=self.python, parent_dir=str(self.base), cgroup_base=self.cgroup)
        if policy.max_processes and sb.cgroup is None:
            sb.close()
            raise ZygoteUnavailable(f"no pids cgroup for the kernel under the zygote's: {sb.isolation()['pids']}")
        return sb

    def request(self, sb: Sandbox, connection_file: str, env: dict[str, str]) -> dict[str, Any]:
        if sb.uid is None:
            raise ZygoteUnavailable("the sandbox has no separate uid")
        return {"root": str(sb.root), "workdir": str(sb.workdir), "connection_file": connection_file,
                "env": env, "uid": sb.uid, "log": str(sb.root / "kernel-stderr.log"),
                "rlimits": sb.launch_limits["rlimits"], "cgroup_procs": sb.launch_limits["cgroup_procs"],
                "kernel_args": list(KERNEL_ARGS),
                "readonly_again": self.readonly_again}

    def spawn(self, sb: Sandbox, connection_file: str, env: dict[str, str]) -> "WarmKernelProcess":
        if self.dead or (not self.attached and (self.proc is None or self.proc.poll() is not None)):
            self.dead = self.dead or f"the zygote exited ({self.log_tail()})"
            raise ZygoteUnavailable(self.dead)
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(30)
            conn.connect(self.socket_path)
            conn.sendall(json.dumps(self.request(sb, connection_file, env)).encode() + b"\n")
            proc = WarmKernelProcess(conn, sb)
            reply = proc.read_message(timeout=30)
            if not reply or "forked" not in reply:
                conn.close()
                raise ZygoteUnavailable(f"the zygote did not fork a kernel ({self.log_tail()})")
            return proc
        except OSError as exc:
            conn.close()
            self.dead = f"the zygote stopped answering: {exc}"
            raise ZygoteUnavailable(self.dead) from exc

    def stop(self) -> None:
        if self.attached:
            return                      # its owner stops it
        if self.proc is not None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if getattr(self, "log", None) is not None:
            self.log.close()
        if self.cgroup is not None:
            cg = Path(self.cgroup[1])
            for procs in [cg / "cgroup.procs", *cg.glob("*/cgroup.procs")]:   # anything left
                try:
                    for pid in procs.read_text().split():
                        os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            for _ in range(100):
                try:
                    for child in cg.glob("auditor-*"):
                        child.rmdir()
                    cg.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)
        shutil.rmtree(self.base, ignore_errors=True)


class WarmKernelProcess:
    """The Popen-like handle of one forked kernel (what jupyter_client's provisioner polls)."""

    def __init__(self, conn: socket.socket, sb: Sandbox) -> None:
        self.conn = conn
        self.sandbox = sb
        self.buffer = b""
        self.returncode: int | None = None
        self.pid = 0          # not in our pid namespace's terms: use kill_tree() / send_signal()

    def read_message(self, timeout: float | None) -> dict[str, Any] | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.conn], [], [], left)
            if not ready:
                return None
            data = self.conn.recv(65536)
            if not data:
                return {"exit": None, "lost": True}
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def poll(self) -> int | None:
        if self.returncode is None:
            msg = self.read_message(timeout=0)
            if msg is not None and "exit" in msg:
                rc = msg["exit"]
                self.returncode = rc if isinstance(rc, int) else -int(signal.SIGKILL)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("warm kernel", timeout or 0)
            select.select([self.conn], [], [], 0.05 if deadline is None else
                          max(0.0, min(0.05, deadline - time.monotonic())))
        assert self.returncode is not None
        return self.returncode

    def _kernel_pid(self) -> int | None:
        """The kernel (pid 2 of its namespace) in our pid namespace's terms, from its cgroup."""
        if self.sandbox.cgroup is None:
            return None
        try:
            pids = (self.sandbox.cgroup / "cgroup.procs").read_text().split()
        except OSError:
            return None
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("NSpid:") and line.split()[-1] == "2" and len(line.split()) >= 4:
                    return int(pid)
        return None

    def send_signal(self, signum: int) -> None:
        if signum == signal.SIGKILL:
            self.kill_tree()
            return
        pid = self._kernel_pid()
        if pid is not None:
            os.kill(pid, signum)

    def kill(self) -> None:
        self.kill_tree()

    def terminate(self) -> None:
        self.kill_tree()

    def kill_tree(self) -> None:
        self.sandbox.kill_all()

    def signal_kill(self) -> None:
        """SIGKILL everything in the kernel's cgroup once, without waiting: killing the
        namespace's pid 1 ends every process in it, and the zygote reports when it is gone."""
        if self.sandbox.cgroup is None:
            self.kill_tree()
        else:
            self.sandbox.signal_kill(by_uid=False)

    def close(self) -> None:
        if self.reaping:
            return                  # the background reaper closes it once the kernel is gone
        self._close()

    def _close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass

    reaping = False


class _Reaper:
    """Waits, off the auditing thread, for killed warm kernels to be gone, then removes their
    sandboxes (the kernel's results are read before it is killed: nothing waits for its
    teardown, which for a process sharing hundreds of MB of pages takes tens of ms)."""

    def __init__(self) -> None:
        import queue

        self.owner = os.getpid()
        self.queue: Any = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="auditor-kernel-reaper", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                proc = item
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
                proc._close()
                proc.sandbox.close()    # anything left is killed, the cgroup and files removed
            except Exception:
                pass                    # best effort: a kernel's litter never stops the audit
            finally:
                self.queue.task_done()


_REAPER: list[_Reaper] = []


def reap_in_background(proc: WarmKernelProcess) -> None:
    """Kill ``proc``'s kernel now; wait for it and remove its sandbox in the background."""
    proc.reaping = True
    proc.sandbox.close_deferred = True
    proc.signal_kill()
    with _LOCK:
        if not _REAPER or _REAPER[0].owner != os.getpid():
            _REAPER[:] = [_Reaper()]
            _register_exit_hooks()
        reaper = _REAPER[0]
    reaper.queue.put(proc)


def wait_for_reaper() -> None:
    """Block until every kernel handed to the background reaper is gone and cleaned up."""
    with _LOCK:
        reaper = _REAPER[0] if _REAPER and _REAPER[0].owner == os.getpid() else None
    if reaper is not None:
        reaper.queue.join()


class ZygoteProvisioner(LocalProvisioner):  # type: ignore[misc]
    """A jupyter_client kernel provisioner whose "launch" is a fork of the warm zygote."""

    zygote: Zygote | None = None
    sandbox: Sandbox | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        assert self.zygote is not None and self.sandbox is not None
        km = self.parent
        self.process = self.zygote.spawn(self.sandbox, km.connection_file, dict(kwargs.get("env") or {}))
        self.pid = None
        self.pgid = None
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        if self.process:
            self.process.send_signal(signum)

    async def cleanup(self, restart: bool = False) -> None:
        if self.process is not None:
            self.process.close()
        await super().cleanup(restart)


# --------------------------------------------------------------------------- the shared servers

_LOCK = threading.Lock()
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
    why = policy_unsuited(policy)
    if why:
        raise ZygoteUnavailable(why)
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
            why = warm_unavailable(policy, python)
            if why:
                raise ZygoteUnavailable(why)
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
        import tempfile

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
    cg_base = probe_cgroup_pids()[1]
    now = time.time()
    bases = {p.name: p for p in Path("/tmp").glob(_PREFIX + "*")}
    cgroups = {p.name: p for p in Path(cg_base).glob(_PREFIX + "*")} if cg_base else {}
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
