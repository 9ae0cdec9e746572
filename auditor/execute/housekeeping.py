"""Per-kernel uids and cgroups: claimed so no two kernels share one, swept when a grader died.

A kernel's kill reaches every process of its uid, so a uid is claimed atomically (an O_EXCL
file naming the claiming process) and never borrowed from a real account or from a process
still alive; empty ``auditor-*`` cgroups left by a killed grader are removed.
"""
from __future__ import annotations

import os
import pwd
import random
import tempfile
import time
from pathlib import Path

UID_CLAIMS = Path(tempfile.gettempdir()) / "auditor-uid-claims"
STALE_CLAIM_S = 600.0


def pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def sweep_stale_cgroups(base: Path, older_than_s: float = 3600) -> None:
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


def claim_uid(lo: int, hi: int, claims: Path | None = None) -> int:
    """A sandbox uid in ``lo..hi`` that no other kernel on this machine uses: not a real account,
    no live process, and claimed atomically, so two graders or workers starting kernels at the
    same moment never get the same one.  :func:`release_uid` gives it back."""
    claims = claims or UID_CLAIMS
    claims.mkdir(mode=0o700, exist_ok=True)
    for _ in range(200):
        uid = random.randint(lo, hi)
        try:
            pwd.getpwuid(uid)
            continue            # a real account: never borrow it
        except KeyError:
            pass
        claim = claims / str(uid)
        try:
            fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            _drop_if_stale(claim)
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        if pids_of_uid(uid):    # processes left by a grader that died before cleaning up
            claim.unlink(missing_ok=True)
            continue
        return uid
    raise RuntimeError(f"no free sandbox uid in {lo}..{hi}")


def release_uid(uid: int, claims: Path | None = None) -> None:
    ((claims or UID_CLAIMS) / str(uid)).unlink(missing_ok=True)


def _drop_if_stale(claim: Path) -> None:
    """A claim whose process is gone and that is old is litter of a killed grader."""
    try:
        owner = int(claim.read_text() or "0")
        old = time.time() - claim.stat().st_mtime > STALE_CLAIM_S
    except (OSError, ValueError):
        return
    if old and not (owner and Path(f"/proc/{owner}").exists()):
        claim.unlink(missing_ok=True)
