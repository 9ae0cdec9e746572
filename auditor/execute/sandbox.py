"""Isolation of the kernel that runs a student's notebook.

The kernel is started through a wrapper chain instead of plain ``python -m ipykernel_launcher``:

    python -I -S kernel_launch.py LIMITS -- [bwrap ... | unshare ... python mount_view.py SPEC --] [setpriv ...] \
        python -m ipykernel_launcher -f CONN

* ``kernel_launch.py`` (in the grader's namespaces) sets the resource limits (address space,
  CPU seconds, processes, file size, open files, no core dumps) and joins a per-kernel
  cgroup with a ``pids.max`` when the machine lets us create one;
* ``bwrap`` (Debian package ``bubblewrap``) gives a new network, pid, ipc and uts namespace and a
  read-only view of the file system in which only the sandbox's temporary directory is writable
  and the grader's home and the auditor's own project (specs, keys, checks) are hidden; without
  ``bwrap``, ``unshare`` (util-linux) gives the network and pid namespaces, and in its mount
  namespace ``child/mount_view.py`` hides the home and the project and binds the interpreter back
  read-only (nothing else is read-only then);
* ``setpriv`` (util-linux) runs the kernel as a fresh unprivileged uid when we are root, which
  makes ``RLIMIT_NPROC`` count only this kernel's processes and keeps it away from root's files.

The kernel talks to the grader over ZMQ *ipc* sockets (files in the sandbox's ``run``
directory): they work across network namespaces where loopback TCP does not.  What was
actually active on this machine is described by :meth:`Sandbox.isolation`, and every missing
protection says why.

The warm path (:mod:`auditor.execute.zygote`) uses the same plan (temp directories, uid, rlimits,
cgroup, environment) but forks the kernel from a server already inside bwrap's view instead of
running this wrapper chain; it is used only where it gives the same protections.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.execute.course_data import copy_data
from auditor.execute.housekeeping import claim_uid, pids_of_uid, release_uid, sweep_stale_cgroups
from auditor.execute.probes import (CgroupBase, Probe, probe_bwrap, probe_cgroup_pids, probe_python_for_uid,
                                    probe_setpriv, probe_unshare, setpriv_cmd, unshare_cmd)
from auditor.execute.view import bwrap_view, mount_view

GIB = 1024 ** 3
LAUNCHER = str(Path(__file__).parent / "child" / "kernel_launch.py")
_RLIMIT_NAMES = {"as": "address_space_bytes", "cpu": "cpu_seconds", "nproc": "processes",
                 "fsize": "file_size_bytes", "nofile": "open_files", "core": "core_bytes"}


@dataclass(frozen=True)
class SandboxPolicy:
    """What the kernel may use.  ``None`` for a limit means "not limited".

    network: "auto" (bwrap, else unshare, else none with the reason), "bwrap", "unshare" or
    "allow" (no network isolation).  separate_user: run as a fresh unprivileged uid when the
    grader is root.  threads: OMP/MKL/OpenBLAS threads of the kernel (1 for batch grading).
    hide_paths: extra files or directories the kernel must not see (bwrap only), e.g. a spec.
    data_dir: the course's data files (``--data``): copied into the kernel's working directory
    before it starts, so ``pd.read_csv("survey.csv")`` finds them and no kernel can change the
    originals.
    """

    enabled: bool = True
    memory_bytes: int | None = 2 * GIB
    cpu_seconds: int | None = 900
    max_processes: int | None = 1024
    file_size_bytes: int | None = 1 * GIB
    open_files: int | None = 1024
    network: str = "auto"
    separate_user: bool = True
    threads: int | None = 1
    hide_paths: tuple[str, ...] = ()
    uid_range: tuple[int, int] = (61000, 61999)
    extra_env: tuple[tuple[str, str], ...] = field(default=())
    data_dir: str | None = None


# --------------------------------------------------------------------------- the sandbox

class Sandbox:
    """One kernel's sandbox: temp directories, wrapper command, environment, and the kill."""

    def __init__(self, policy: SandboxPolicy | None = None, *, python: str | None = None,
                 parent_dir: str | None = None, cgroup_base: CgroupBase | None = None):
        """``parent_dir`` / ``cgroup_base``: where this kernel's temp
        directory and pids cgroup are made (the warm path puts them under the zygote's)."""
        self.policy = policy or SandboxPolicy()
        self.python = python or sys.executable
        self._cgroup_base = cgroup_base
        self.root = Path(tempfile.mkdtemp(prefix="auditor-kernel-", dir=parent_dir))
        self.workdir = self.root / "work"
        self.rundir = self.root / "run"
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        for d in (self.workdir, self.rundir, self.home, self.tmp):
            d.mkdir(mode=0o700)     # owned by the kernel's uid below; nobody else looks in
        os.chmod(self.root, 0o755)
        self.uid: int | None = None
        self.cgroup: Path | None = None
        self._isolation: dict[str, Any] = {}
        self._prefix: list[str] = []
        self._hidden_by_mounts = False
        self.launch_limits: dict[str, Any] = {"rlimits": {}, "cgroup_procs": []}
        self._closed = False
        try:
            self._plan()
            if self.policy.data_dir:
                copy_data(self.policy.data_dir, self.workdir, self.uid)
        except BaseException:
            self.close()
            raise

    # -- planning -------------------------------------------------------------------------
    def _plan(self) -> None:
        p = self.policy
        iso: dict[str, Any] = {"sandbox": "on" if p.enabled else "off", "workdir": "temp",
                               "env": "scrubbed", "threads": p.threads}
        if not p.enabled:
            iso.update(network="none (sandbox disabled)", user="grader's uid (sandbox disabled)",
                       filesystem="not protected (sandbox disabled)", rlimits={},
                       pids="not limited (sandbox disabled)", kill="process group",
                       pid_namespace=False)
            self._isolation = iso
            return
        rlimits: dict[str, int] = {"core": 0}
        for key, value in (("as", p.memory_bytes), ("cpu", p.cpu_seconds),
                           ("fsize", p.file_size_bytes), ("nofile", p.open_files)):
            if value:
                rlimits[key] = int(value)
        net_wrap, use_bwrap = self._plan_namespaces(iso)
        user_wrap = self._plan_user(iso, use_bwrap)
        cg_procs = self._plan_pids(iso, rlimits)
        iso["rlimits"] = {_RLIMIT_NAMES[k]: v for k, v in rlimits.items()}
        kill = ["process group"]
        if net_wrap:
            kill.insert(0, "pid namespace")
        if self.cgroup is not None:
            kill.append("cgroup")
        if self.uid is not None:
            kill.append("sandbox uid")
        iso["kill"] = " + ".join(kill)
        self._isolation = iso
        self.launch_limits = {"rlimits": rlimits, "cgroup_procs": cg_procs}
        self._prefix = [self.python, "-I", "-S", LAUNCHER,
                        json.dumps({"rlimits": rlimits, "cgroup_procs": cg_procs,
                                    "keep_parent_pid": not net_wrap}), "--",
                        *net_wrap, *user_wrap]

    def _plan_namespaces(self, iso: dict[str, Any]) -> tuple[list[str], bool]:
        """Network, pid namespace and file system: (wrapper command, whether it is bwrap)."""
        p = self.policy
        bwrap, unshare = probe_bwrap(), probe_unshare()
        use_bwrap = p.network in ("auto", "bwrap") and bwrap.ok
        if use_bwrap:
            view = bwrap_view(self.python, tuple(p.hide_paths))
            if view.why:
                use_bwrap, bwrap = False, Probe(False, view.why)
        net_wrap: list[str] = []
        if p.network == "allow":
            iso["network"] = "none (allowed by policy)"
            iso["filesystem"] = "not protected (network=allow: no namespaces)"
        elif use_bwrap:
            net_wrap = [*view.args, "--bind", str(self.root), str(self.root), "--chdir", str(self.workdir)]
            iso["filesystem"] = ("read-only except the sandbox's temp dir; private /tmp; hidden: "
                                 + ", ".join(view.hidden))
            iso["network"] = "bwrap (empty network namespace)"
        elif p.network in ("auto", "bwrap", "unshare") and unshare.ok:
            net_wrap = unshare_cmd(shutil.which("unshare") or "unshare")
            iso["network"] = "unshare-net (empty network namespace)" + (
                "" if p.network == "unshare" else f"; bwrap unavailable: {bwrap.why}")
            why_not = bwrap.why if p.network != "unshare" else "policy chose unshare"
            hiding = mount_view(self.python, tuple(p.hide_paths))
            if hiding.why:
                iso["filesystem"] = f"not protected beyond file permissions (bwrap unavailable: {why_not}; {hiding.why})"
            else:
                net_wrap += hiding.args
                self._hidden_by_mounts = True
                iso["filesystem"] = (f"not protected beyond file permissions (bwrap unavailable: {why_not}) "
                                     "but hidden by a private mount namespace: " + ", ".join(hiding.hidden))
        else:
            iso["network"] = f"none ({bwrap.why}; {unshare.why})"
            iso["filesystem"] = f"not protected beyond file permissions ({bwrap.why})"
        iso["pid_namespace"] = bool(net_wrap)
        return net_wrap, use_bwrap

    def _plan_user(self, iso: dict[str, Any], use_bwrap: bool) -> list[str]:
        """A fresh unprivileged uid when we are root: the ``setpriv`` command, or [] and why not."""
        p = self.policy
        setpriv = probe_setpriv()
        if not p.separate_user:
            iso["user"] = "grader's uid (policy)"
            return []
        if not setpriv.ok:
            iso["user"] = f"grader's uid ({setpriv.why})"
            return []
        uid = claim_uid(*p.uid_range)
        # Any unprivileged uid sees the same permissions: probe once with a fixed one.
        # (bwrap's view and the mount namespace bind the interpreter back for any uid; tried already)
        usable = Probe(True) if use_bwrap or self._hidden_by_mounts else probe_python_for_uid(self.python, p.uid_range[0])
        if not usable.ok:
            release_uid(uid)
            iso["user"] = f"root ({usable.why})"
            return []
        self.uid = uid
        for d in (self.workdir, self.rundir, self.home, self.tmp):
            os.chown(d, uid, uid)
        iso["user"] = f"uid {uid} (unprivileged, fresh per kernel)"
        return [*setpriv_cmd(uid), "--no-new-privs", "--inh-caps=-all"]

    def _plan_pids(self, iso: dict[str, Any], rlimits: dict[str, int]) -> list[str]:
        """Processes: a cgroup with pids.max, else RLIMIT_NPROC (effective only for a non-root
        uid).  Returns the cgroup.procs files the launcher joins."""
        p = self.policy
        if not p.max_processes:
            iso["pids"] = "not limited (policy)"
            return []
        cg_procs: list[str] = []
        found = self._cgroup_base or probe_cgroup_pids()
        why = found.why
        if found.base:
            sweep_stale_cgroups(Path(found.base))
            cg = Path(found.base) / f"auditor-{uuid.uuid4().hex[:12]}"
            try:
                cg.mkdir()
                (cg / "pids.max").write_text(str(int(p.max_processes)))
                self.cgroup = cg
                cg_procs = [str(cg / "cgroup.procs")]
            except OSError as exc:
                why = f"{cg}: {exc.strerror}"
        if self.uid is not None:
            rlimits["nproc"] = int(p.max_processes)
        elif os.geteuid() != 0:
            # RLIMIT_NPROC counts all the grader's processes: leave room for them.
            rlimits["nproc"] = len(pids_of_uid(os.geteuid())) + int(p.max_processes)
        parts = []
        if self.cgroup is not None:
            parts.append(f"cgroup {found.version} pids.max={p.max_processes}")
            iso["cgroup"] = str(self.cgroup)
        if "nproc" in rlimits:
            parts.append(f"RLIMIT_NPROC={rlimits['nproc']}"
                         + ("" if self.uid is not None else " (shared with the grader's uid)"))
        iso["pids"] = " + ".join(parts) if parts else (
            f"not limited (no writable cgroup: {why}; RLIMIT_NPROC is ignored for root)")
        return cg_procs

    # -- what the kernel manager needs ------------------------------------------------------
    def isolation(self) -> dict[str, Any]:
        return dict(self._isolation)

    def wrap(self, cmd: list[str]) -> list[str]:
        return [*self._prefix, *cmd]

    def env(self) -> dict[str, str]:
        path_dirs = [os.path.dirname(self.python), "/usr/local/bin", "/usr/bin", "/bin"]
        env = {
            "PATH": os.pathsep.join(dict.fromkeys(path_dirs)),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "HOME": str(self.home), "TMPDIR": str(self.tmp),
            "IPYTHONDIR": str(self.home / ".ipython"), "MPLCONFIGDIR": str(self.home / ".mpl"),
            "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "PYTHONNOUSERSITE": "1",
        }
        if self.policy.threads:
            for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                         "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
                env[name] = str(self.policy.threads)
        env.update(dict(self.policy.extra_env))
        return env

    # -- the end ----------------------------------------------------------------------------
    def kill_all(self) -> None:
        """SIGKILL everything this kernel started that may still live (cgroup, sandbox uid),
        until nothing is left (at most 5 s)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.signal_kill():
            time.sleep(0.005)

    def signal_kill(self, by_uid: bool = True) -> bool:
        """SIGKILL, once, every process in the kernel's cgroup (and, with ``by_uid``, every
        process of its uid); True when there was any."""
        pids: set[int] = set()
        if self.cgroup is not None:
            try:
                pids.update(int(x) for x in (self.cgroup / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        if by_uid and self.uid is not None:
            pids.update(pids_of_uid(self.uid))
        pids.discard(os.getpid())
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return bool(pids)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.kill_all()
        if self.uid is not None and not pids_of_uid(self.uid):
            release_uid(self.uid)       # (a uid whose processes outlive the kill stays claimed)
        if self.cgroup is not None:
            for _ in range(100):
                try:
                    self.cgroup.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.close_deferred:     # handed to a background reaper (auditor.execute.zygote)
            self.close()

    close_deferred = False
