"""Warm kernels: a fork server that holds ipykernel, numpy and torch imported, one fork per student.

Starting a kernel and importing torch costs about 3 s per submission; the student's own cells
often take a fraction of that.  :class:`Zygote` starts :mod:`auditor.execute.child.zygote_main` once, inside
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
pids cgroup.  An interpreter under /tmp or a hidden path (a virtual environment in /tmp or
/root) is bound read-only into each kernel's view, as the cold path's bwrap does.  When any of
these is missing :func:`warm_probe` says why and the caller runs the cold path instead: the warm
path never runs with weaker isolation.

One zygote per grader process (and interpreter, hidden paths, thread count), started on first
use (:mod:`auditor.execute.zygote` keeps them); a batch's parent starts one for all its workers
(:class:`~auditor.execute.zygote.SharedZygote`), which they attach to instead of starting their
own.  It exits when the process that started it ends (its stdin
is a pipe from it), which kills every kernel it forked; a kernel also dies when the grader that
asked for it closes its connection (or dies).  It sits in a cgroup leaf of its own, so the
directory and cgroups of a zygote whose grader was killed are recognised as litter and removed
when the next one starts.

:class:`WarmKernelManager` (in auditor.execute.run) plugs it into jupyter_client as a kernel provisioner
(:class:`~auditor.execute.warm_kernel.ZygoteProvisioner`), so nbclient drives a warm kernel
exactly like a cold one.  This module is the grader's side of one server: start, fork, stop.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from auditor.execute.probes import CgroupBase, Probe, probe_bwrap, probe_cgroup_pids, probe_setpriv
from auditor.execute.sandbox import LAUNCHER, Sandbox, SandboxPolicy
from auditor.execute.view import bwrap_view, tmp_binds
from auditor.execute.warm_kernel import WarmKernelProcess, ZygoteUnavailable

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
ZYGOTE_PREFIX = "auditor-zygote-"
MEMORY_HEADROOM = 512 * 1024 ** 2     # a warm kernel needs this much address space above the zygote's
_MAIN = Path(__file__).parent / "child" / "zygote_main.py"


def policy_suits(policy: SandboxPolicy) -> Probe:
    """Whether the warm path reproduces what ``policy`` asks for (why not, when it does not)."""
    if not policy.enabled:
        return Probe(False, "sandbox disabled")
    if policy.network not in ("auto", "bwrap"):
        return Probe(False, f"network policy {policy.network!r} (the warm path only reproduces bwrap's isolation)")
    if not policy.separate_user:
        return Probe(False, "policy keeps the grader's uid (the warm path needs a fresh uid per kernel)")
    return Probe(True)


def warm_probe(policy: SandboxPolicy, python: str) -> Probe:
    """Whether the warm path can be used with ``policy`` on this machine, and why not."""
    for probe in (policy_suits(policy), probe_bwrap()):
        if not probe.ok:
            return probe
    view = bwrap_view(python, tuple(policy.hide_paths))
    if view.why:
        return Probe(False, view.why)
    setpriv = probe_setpriv()
    if not setpriv.ok:
        return setpriv
    if policy.max_processes:
        cgroup = probe_cgroup_pids()
        if not cgroup.base:
            return Probe(False, f"no writable pids cgroup ({cgroup.why})")
    return Probe(True)


def warm_unavailable(policy: SandboxPolicy, python: str) -> str:
    """Why the warm path cannot be used with ``policy`` here, for messages ("" when it can)."""
    return warm_probe(policy, python).why


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
        self.base = Path("/tmp") / f"{ZYGOTE_PREFIX}{uuid.uuid4().hex[:12]}"
        self.base.mkdir(mode=0o755)
        os.chmod(self.base, 0o755)
        self.ctl = self.base / "ctl"
        self.ctl.mkdir(mode=0o700)
        (self.ctl / "owner").write_text(str(self.owner))
        self.socket_path = str(self.ctl / "zygote.sock")
        self.cgroup: CgroupBase | None = None
        self.tmp_binds = tmp_binds(python, hide_paths)
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
        found = probe_cgroup_pids()
        binds: list[str] = ["--bind", str(self.base), str(self.base)]
        readonly_again: list[str] = []
        joins: list[str] = []
        if found.base:
            cg = Path(found.base) / self.base.name
            cg.mkdir()
            if found.version == "v2":         # kernels' cgroups below need the pids controller
                try:
                    (cg / "cgroup.subtree_control").write_text("+pids")
                except OSError:
                    pass                # then new_sandbox finds no pids.max and refuses
            # the zygote itself, in a leaf of its own: the tree is busy exactly while it lives
            (cg / "auditor-zygote").mkdir()
            joins.append(str(cg / "auditor-zygote" / "cgroup.procs"))
            self.cgroup = CgroupBase(found.version, str(cg))
            binds += ["--bind", str(cg), str(cg)]
            readonly_again.append(str(cg))
        view = [a for a in bwrap_view(self.python, self.hide_paths).args if a != "--die-with-parent"]
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
            cmd = [self.python, "-I", "-S", LAUNCHER, launch, "--", *view, *binds, "--cap-add", "ALL",
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
                "cgroup": [self.cgroup.version, self.cgroup.base] if self.cgroup else None,
                "tmp_binds": list(self.tmp_binds),
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
        self.cgroup = CgroupBase(*handle["cgroup"]) if handle.get("cgroup") else None
        self.tmp_binds = tuple(handle.get("tmp_binds") or ())
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
                "readonly_again": self.readonly_again, "tmp_binds": list(self.tmp_binds)}

    def spawn(self, sb: Sandbox, connection_file: str, env: dict[str, str]) -> WarmKernelProcess:
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
            cg = Path(self.cgroup.base)
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
