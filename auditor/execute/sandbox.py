"""Isolation of the kernel that runs a student's notebook.

The kernel is started through a wrapper chain instead of plain ``python -m ipykernel_launcher``:

    python -I -S kernel_launch.py LIMITS -- [bwrap ... | unshare ...] [setpriv ...] python -m ipykernel_launcher -f CONN

* ``kernel_launch.py`` (in the grader's namespaces) sets the resource limits (address space,
  CPU seconds, processes, file size, open files, no core dumps) and joins a per-kernel
  cgroup with a ``pids.max`` when the machine lets us create one;
* ``bwrap`` (Debian package ``bubblewrap``) gives a new network, pid, ipc and uts namespace and a
  read-only view of the file system in which only the sandbox's temporary directory is writable
  and the grader's home and the auditor's own project (specs, keys, checks) are hidden; without
  ``bwrap``, ``unshare`` (util-linux) gives the network and pid namespaces only;
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

import functools
import json
import os
import pwd
import random
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import auditor

GIB = 1024 ** 3
_LAUNCHER = str(Path(__file__).with_name("kernel_launch.py"))
_PROBE_TIMEOUT = 20


@dataclass(frozen=True)
class SandboxPolicy:
    """What the kernel may use.  ``None`` for a limit means "not limited".

    network: "auto" (bwrap, else unshare, else none with the reason), "bwrap", "unshare" or
    "allow" (no network isolation).  separate_user: run as a fresh unprivileged uid when the
    grader is root.  threads: OMP/MKL/OpenBLAS threads of the kernel (1 for batch grading).
    hide_paths: extra files or directories the kernel must not see (bwrap only), e.g. a spec.
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


# --------------------------------------------------------------------------- probes (cached)

def _run_ok(cmd: list[str]) -> tuple[bool, str]:
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=_PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{cmd[0]}: {exc}"
    if proc.returncode == 0:
        return True, ""
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return False, f"{cmd[0]} failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}"


@functools.lru_cache(maxsize=None)
def probe_bwrap() -> tuple[bool, str]:
    exe = shutil.which("bwrap")
    if not exe:
        return False, "bwrap not installed (Debian package bubblewrap)"
    return _run_ok([exe, "--die-with-parent", "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/",
                    "--dev", "/dev", "--proc", "/proc", "true"])


@functools.lru_cache(maxsize=None)
def probe_unshare() -> tuple[bool, str]:
    exe = shutil.which("unshare")
    if not exe:
        return False, "unshare not installed (Debian package util-linux)"
    return _run_ok([*_unshare_cmd(exe), "true"])


def _unshare_cmd(exe: str) -> list[str]:
    # Without root, a user namespace (mapped to the grader's uid) makes the others possible.
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [exe, *user, "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]


@functools.lru_cache(maxsize=None)
def probe_setpriv() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "grader is not root: the kernel runs as the grader's own uid"
    if not shutil.which("setpriv"):
        return False, "setpriv not installed (Debian package util-linux)"
    return True, ""


@functools.lru_cache(maxsize=None)
def probe_python_for_uid(python: str, uid: int) -> tuple[bool, str]:
    """Can an unprivileged uid run the kernel's interpreter with ipykernel (no bwrap re-binds)?"""
    ok, why = _run_ok([shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}",
                       "--clear-groups", python, "-c", "import ipykernel"])
    if ok:
        return True, ""
    return False, f"the interpreter {python} is not usable by an unprivileged uid ({why})"


def _cgroup_bases() -> list[tuple[str, Path]]:
    bases: list[tuple[str, Path]] = [("v1", Path("/sys/fs/cgroup/pids"))]
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                bases.append(("v2", Path("/sys/fs/cgroup") / line[3:].lstrip("/")))
    except OSError:
        pass
    return bases


@functools.lru_cache(maxsize=None)
def probe_cgroup_pids() -> tuple[str, str, str]:
    """(version, base directory, reason) of a cgroup where we can create a pids-limited child."""
    reasons = []
    for version, base in _cgroup_bases():
        if not (base / "cgroup.procs").exists():
            reasons.append(f"{base}: no such cgroup")
            continue
        probe = base / f"auditor-probe-{uuid.uuid4().hex[:8]}"
        try:
            probe.mkdir()
        except OSError as exc:
            reasons.append(f"{base}: {exc.strerror}")
            continue
        try:
            (probe / "pids.max").write_text("10")
            return version, str(base), ""
        except OSError as exc:
            reasons.append(f"{base}: pids.max not writable ({exc.strerror})")
        finally:
            try:
                probe.rmdir()
            except OSError:
                pass
    return "", "", "; ".join(reasons) or "no cgroup pids controller"


# --------------------------------------------------------------------------- helpers

def _pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _sweep_stale_cgroups(base: Path, older_than_s: float = 3600) -> None:
    """Remove empty ``auditor-*`` cgroups left by a grader that was killed before cleaning up.

    A live kernel's cgroup is never empty (its launcher joins it at once) and rmdir refuses a
    cgroup with processes, so only litter goes; the age margin avoids racing a new sandbox.
    """
    now = time.time()
    for cg in base.glob("auditor-*"):
        try:
            if now - cg.stat().st_mtime > older_than_s and not (cg / "cgroup.procs").read_text().strip():
                cg.rmdir()
        except OSError:
            continue


_UID_CLAIMS = Path(tempfile.gettempdir()) / "auditor-uid-claims"
STALE_CLAIM_S = 600.0


def _claim_uid(lo: int, hi: int) -> int:
    """A sandbox uid that no other kernel on this machine uses: not a real account, no live
    process, and claimed atomically (an O_EXCL file naming the claiming process), so two
    graders or workers starting kernels at the same moment never get the same one (a kernel's
    kill reaches every process of its uid).  :func:`release_uid` gives it back."""
    _UID_CLAIMS.mkdir(mode=0o700, exist_ok=True)
    for _ in range(200):
        uid = random.randint(lo, hi)
        try:
            pwd.getpwuid(uid)
            continue            # a real account: never borrow it
        except KeyError:
            pass
        claim = _UID_CLAIMS / str(uid)
        try:
            fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            _drop_if_stale(claim)
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        if _pids_of_uid(uid):   # processes left by a grader that died before cleaning up
            claim.unlink(missing_ok=True)
            continue
        return uid
    raise RuntimeError(f"no free sandbox uid in {lo}..{hi}")


def release_uid(uid: int) -> None:
    (_UID_CLAIMS / str(uid)).unlink(missing_ok=True)


def _drop_if_stale(claim: Path) -> None:
    """A claim whose process is gone and that is old is litter of a killed grader."""
    try:
        owner = int(claim.read_text() or "0")
        old = time.time() - claim.stat().st_mtime > STALE_CLAIM_S
    except (OSError, ValueError):
        return
    if old and not (owner and Path(f"/proc/{owner}").exists()):
        claim.unlink(missing_ok=True)


def _python_keep_paths(python: str) -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(python)}
    try:
        paths.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - virtualenv's old site.py
        pass
    return sorted({os.path.realpath(p) for p in paths if os.path.isdir(p)})


def _is_under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _default_hidden() -> list[str]:
    hidden = {os.path.realpath(os.path.expanduser("~")), "/root"}
    project = os.path.realpath(Path(auditor.__file__).resolve().parent.parent)
    hidden.add(project)
    return sorted(p for p in hidden if p not in ("/", "") and os.path.exists(p))


def hidden_roots(hide_paths: tuple[str, ...]) -> tuple[str, ...]:
    """The paths the sandbox hides for ``hide_paths``: the grader's home, the auditor's project
    and the given paths (resolved, existing, not under the temp dir), less any path inside
    another hidden one (a shipped spec lives in the hidden project), sorted."""
    hidden = set(_default_hidden()) | {os.path.realpath(h) for h in hide_paths if os.path.exists(h)}
    hidden = {h for h in hidden if not _is_under(tempfile.gettempdir(), h)}
    return tuple(sorted(h for h in hidden if not any(o != h and _is_under(h, o) for o in hidden)))


def bwrap_view(python: str, hide_paths: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(bwrap arguments for the file-system view, hidden paths, reason it fails or "").

    Everything read-only, a private /tmp, the grader's home and the auditor's project hidden
    under empty tmpfs, the interpreter's own directories bound back so the kernel can run.
    The view is tried once per distinct set of hidden roots (``import ipykernel`` inside it;
    every spec of a batch lives in the hidden project, so one try serves them all) so a machine
    where it cannot be built falls back to ``unshare`` with the reason instead of failing every
    kernel start.
    """
    return _bwrap_view(python, hidden_roots(hide_paths))


@functools.lru_cache(maxsize=None)
def _bwrap_view(python: str, hidden: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    # the interpreter's own directories inside a hidden path or the private /tmp (a virtual
    # environment made under /tmp) are bound back, read-only
    covered = (*hidden, "/tmp")
    keep = [k for k in _python_keep_paths(python) if any(_is_under(k, h) for h in covered)]
    args = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--ro-bind", "/", "/", "--dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc",
            "--tmpfs", "/tmp"]
    for h in hidden:
        args += ["--tmpfs", h] if os.path.isdir(h) else ["--ro-bind", "/dev/null", h]
    made: set[str] = set()
    for k in keep:
        # bwrap creates missing mount points as 0700: make the path to each kept directory
        # traversable by the sandbox uid first.
        hidden_parent = max((h for h in covered if _is_under(k, h)), key=len)
        parts = Path(os.path.relpath(k, hidden_parent)).parts[:-1]
        for i in range(1, len(parts) + 1):
            d = os.path.join(hidden_parent, *parts[:i])
            if d not in made:
                made.add(d)
                args += ["--perms", "0755", "--dir", d]
        args += ["--ro-bind", k, k]
    as_user = ([shutil.which("setpriv") or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
               if probe_setpriv()[0] else [])
    ok, why = _run_ok([*args, *as_user, python, "-c", "import ipykernel"])
    return tuple(args), tuple(hidden), ("" if ok else f"bwrap file-system view failed: {why}")


# --------------------------------------------------------------------------- the sandbox

class Sandbox:
    """One kernel's sandbox: temp directories, wrapper command, environment, and the kill."""

    def __init__(self, policy: SandboxPolicy | None = None, *, python: str | None = None,
                 parent_dir: str | None = None, cgroup_base: tuple[str, str] | None = None):
        """``parent_dir`` / ``cgroup_base`` (version, directory): where this kernel's temp
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
        self.launch_limits: dict[str, Any] = {"rlimits": {}, "cgroup_procs": []}
        self._closed = False
        try:
            self._plan()
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
        if p.memory_bytes:
            rlimits["as"] = int(p.memory_bytes)
        if p.cpu_seconds:
            rlimits["cpu"] = int(p.cpu_seconds)
        if p.file_size_bytes:
            rlimits["fsize"] = int(p.file_size_bytes)
        if p.open_files:
            rlimits["nofile"] = int(p.open_files)

        # network / pid namespace / file system
        bwrap_ok, bwrap_why = probe_bwrap()
        unshare_ok, unshare_why = probe_unshare()
        net_wrap: list[str] = []
        use_bwrap = p.network in ("auto", "bwrap") and bwrap_ok
        if use_bwrap:
            view, hidden, view_why = bwrap_view(self.python, tuple(p.hide_paths))
            if view_why:
                use_bwrap, bwrap_ok, bwrap_why = False, False, view_why
        if p.network == "allow":
            iso["network"] = "none (allowed by policy)"
            iso["filesystem"] = "not protected (network=allow: no namespaces)"
        elif use_bwrap:
            net_wrap, iso["filesystem"] = self._bwrap_args(list(view), list(hidden))
            iso["network"] = "bwrap (empty network namespace)"
        elif p.network in ("auto", "bwrap", "unshare") and unshare_ok:
            net_wrap = _unshare_cmd(shutil.which("unshare") or "unshare")
            iso["network"] = "unshare-net (empty network namespace)" + (
                "" if p.network == "unshare" else f"; bwrap unavailable: {bwrap_why}")
            iso["filesystem"] = "not protected beyond file permissions (bwrap unavailable: " + (
                bwrap_why if p.network != "unshare" else "policy chose unshare") + ")"
        else:
            iso["network"] = f"none ({bwrap_why}; {unshare_why})"
            iso["filesystem"] = f"not protected beyond file permissions ({bwrap_why})"
        iso["pid_namespace"] = bool(net_wrap)

        # user
        user_wrap: list[str] = []
        setpriv_ok, setpriv_why = probe_setpriv()
        if not p.separate_user:
            iso["user"] = "grader's uid (policy)"
        elif not setpriv_ok:
            iso["user"] = f"grader's uid ({setpriv_why})"
        else:
            uid = _claim_uid(*p.uid_range)
            # Any unprivileged uid sees the same permissions: probe once with a fixed one.
            usable, why = (True, "") if use_bwrap else probe_python_for_uid(self.python, p.uid_range[0])
            if usable:
                self.uid = uid
                user_wrap = [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}",
                             "--clear-groups", "--no-new-privs", "--inh-caps=-all"]
                for d in (self.workdir, self.rundir, self.home, self.tmp):
                    os.chown(d, uid, uid)
                iso["user"] = f"uid {uid} (unprivileged, fresh per kernel)"
            else:
                release_uid(uid)
                iso["user"] = f"root ({why})"

        # processes: cgroup pids.max, else RLIMIT_NPROC (effective only for a non-root uid)
        cg_procs: list[str] = []
        if p.max_processes:
            version, base, why = self._cgroup_base + ("",) if self._cgroup_base else probe_cgroup_pids()
            if base:
                _sweep_stale_cgroups(Path(base))
                cg = Path(base) / f"auditor-{uuid.uuid4().hex[:12]}"
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
                rlimits["nproc"] = len(_pids_of_uid(os.geteuid())) + int(p.max_processes)
            parts = []
            if self.cgroup is not None:
                parts.append(f"cgroup {version} pids.max={p.max_processes}")
                iso["cgroup"] = str(self.cgroup)
            if "nproc" in rlimits:
                parts.append(f"RLIMIT_NPROC={rlimits['nproc']}"
                             + ("" if self.uid is not None else " (shared with the grader's uid)"))
            iso["pids"] = " + ".join(parts) if parts else (
                f"not limited (no writable cgroup: {why}; RLIMIT_NPROC is ignored for root)")
        else:
            iso["pids"] = "not limited (policy)"

        iso["rlimits"] = {{"as": "address_space_bytes", "cpu": "cpu_seconds", "nproc": "processes",
                           "fsize": "file_size_bytes", "nofile": "open_files",
                           "core": "core_bytes"}[k]: v for k, v in rlimits.items()}
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
        self._prefix = [self.python, "-I", "-S", _LAUNCHER,
                        json.dumps({"rlimits": rlimits, "cgroup_procs": cg_procs,
                                    "keep_parent_pid": not net_wrap}), "--",
                        *net_wrap, *user_wrap]

    def _bwrap_args(self, view: list[str], hidden: list[str]) -> tuple[list[str], str]:
        args = [*view, "--bind", str(self.root), str(self.root), "--chdir", str(self.workdir)]
        return args, "read-only except the sandbox's temp dir; private /tmp; hidden: " + ", ".join(hidden)

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
            pids.update(_pids_of_uid(self.uid))
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
        if self.uid is not None and not _pids_of_uid(self.uid):
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
