"""What this machine lets a kernel's sandbox use, probed once per process (cached).

Each probe runs the real tool the sandbox will run (``bwrap``, ``unshare``, ``setpriv``, a cgroup
``mkdir``) and answers with a :class:`Probe`: whether it works and, when it does not, why (the
reason that ends up in the report's isolation block and in ``auditor doctor``).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

PROBE_TIMEOUT = 20


@dataclass(frozen=True)
class Probe:
    """Whether a tool or layer works here; ``why`` says what is wrong when it does not."""

    ok: bool
    why: str = ""


@dataclass(frozen=True)
class CgroupBase:
    """A cgroup under which a pids-limited child can be made: version ("v1"/"v2") and directory
    ("" when there is none; ``why`` then says why)."""

    version: str
    base: str
    why: str = ""


def run_ok(cmd: list[str]) -> Probe:
    """Run ``cmd`` (no input, output captured); ok when it exits 0, else the last stderr line."""
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe(False, f"{cmd[0]}: {exc}")
    if proc.returncode == 0:
        return Probe(True)
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return Probe(False, f"{cmd[0]} failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}")


@functools.lru_cache(maxsize=None)
def probe_bwrap() -> Probe:
    exe = shutil.which("bwrap")
    if not exe:
        return Probe(False, "bwrap not installed (Debian package bubblewrap)")
    return run_ok([exe, "--die-with-parent", "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/",
                   "--dev", "/dev", "--proc", "/proc", "true"])


def unshare_cmd(exe: str) -> list[str]:
    """``unshare`` with an empty network and a pid namespace (and, without root, a user namespace
    mapped to the grader's uid, which makes the others possible)."""
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [exe, *user, "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]


@functools.lru_cache(maxsize=None)
def probe_unshare() -> Probe:
    exe = shutil.which("unshare")
    if not exe:
        return Probe(False, "unshare not installed (Debian package util-linux)")
    return run_ok([*unshare_cmd(exe), "true"])


@functools.lru_cache(maxsize=None)
def probe_setpriv() -> Probe:
    if os.geteuid() != 0:
        return Probe(False, "grader is not root: the kernel runs as the grader's own uid")
    if not shutil.which("setpriv"):
        return Probe(False, "setpriv not installed (Debian package util-linux)")
    return Probe(True)


def setpriv_cmd(uid: int) -> list[str]:
    """``setpriv`` as ``uid`` with no groups (the start of the command that drops privileges)."""
    return [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


@functools.lru_cache(maxsize=None)
def probe_python_for_uid(python: str, uid: int) -> Probe:
    """Can an unprivileged uid run the kernel's interpreter with ipykernel (no bwrap re-binds)?"""
    got = run_ok([*setpriv_cmd(uid), python, "-c", "import ipykernel"])
    if got.ok:
        return got
    return Probe(False, f"the interpreter {python} is not usable by an unprivileged uid ({got.why})")


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
def probe_cgroup_pids() -> CgroupBase:
    """A cgroup where we can create a pids-limited child, or why there is none."""
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
            return CgroupBase(version, str(base))
        except OSError as exc:
            reasons.append(f"{base}: pids.max not writable ({exc.strerror})")
        finally:
            try:
                probe.rmdir()
            except OSError:
                pass
    return CgroupBase("", "", "; ".join(reasons) or "no cgroup pids controller")
