"""Warm kernels forked from the zygote: what they share (nothing a student can use) and when
the warm path refuses to run.  The hostile suite runs every attack through both paths."""
from __future__ import annotations

import json
import multiprocessing
import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest

from auditor.execute.run import execute_notebook
from auditor.models import ExecStatus
from auditor.execute.sandbox import SandboxPolicy
from auditor.execute.view import tmp_binds
from auditor.execute.zygote import SharedZygote, ZygoteUnavailable, get_zygote, wait_for_reaper, warm_unavailable
from tests.test_execution import _nb

_PROBE = (
    "import os, socket, numpy as np\n"
    "status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)\n"
    "me = {'uid': os.getuid(), 'tmp': sorted(os.listdir('/tmp')), 'cwd': sorted(os.listdir('.')),\n"
    "      'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),\n"
    "      'cap_eff': status['CapEff'].strip(), 'no_new_privs': status['NoNewPrivs'].strip(),\n"
    "      'numpy_random': float(np.random.rand()), 'pid': os.getpid(), 'ppid': os.getppid()}\n"
    "open('mine.txt', 'w').write('x')\n"
)


def test_warm_is_refused_where_it_would_weaken_isolation():
    py = sys.executable
    assert warm_unavailable(SandboxPolicy(enabled=False), py) == "sandbox disabled"
    assert "network policy 'unshare'" in warm_unavailable(SandboxPolicy(network="unshare"), py)
    assert "network policy 'allow'" in warm_unavailable(SandboxPolicy(network="allow"), py)
    assert "fresh uid" in warm_unavailable(SandboxPolicy(separate_user=False), py)


@pytest.mark.slow
def test_two_warm_kernels_share_nothing_a_student_can_use():
    why = warm_unavailable(SandboxPolicy(), sys.executable)
    if why:
        pytest.skip("warm path unavailable here: " + why)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # A listens on its loopback while B, running at the same time, tries to reach it.
    listener = _nb(_PROBE + f"srv = socket.socket()\nsrv.bind(('127.0.0.1', {port}))\nsrv.listen()\n"
                   "import time\ntime.sleep(4)")
    caller = _nb(_PROBE + "import time\ntime.sleep(1.5)\ntry:\n"
                 f"    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    reached = True\n"
                 "except OSError:\n    reached = False")
    interpreter_dirs = {Path(k).relative_to("/tmp").parts[0] for k in tmp_binds(sys.executable, ())}
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda nb: execute_notebook(nb, fetch=["me", "reached"], warm=True,
                                                    timeout_cell=30, timeout_total=60),
                        [listener, caller])
    for r in (a, b):
        assert r.status is ExecStatus.OK, r.message
        assert r.isolation["kernel"].startswith("warm")
        me = r.values["me"]
        assert me["cap_eff"] == "0000000000000000" and me["no_new_privs"] == "1"
        # /tmp holds this kernel's own directory, and the interpreter's when it lives under /tmp
        zygote_dirs = [d for d in me["tmp"] if d.startswith("auditor-zygote-")]
        assert len(zygote_dirs) == 1 and set(me["tmp"]) - set(zygote_dirs) == interpreter_dirs
        assert me["cwd"] == ("notebook.ipynb",)
        assert (me["pid"], me["ppid"]) == (2, 1) and me["pids"] == (1, 2)
    assert b.values["reached"] is False
    # an address-space limit the zygote's own imports would eat up: refused (the cold path runs)
    with pytest.raises(ZygoteUnavailable, match="address-space limit"):
        get_zygote(SandboxPolicy(memory_bytes=256 * 2**20), sys.executable)
    assert a.values["me"]["uid"] != b.values["me"]["uid"]
    assert a.values["me"]["numpy_random"] != b.values["me"]["numpy_random"]


def _warm_or_skip() -> None:
    why = warm_unavailable(SandboxPolicy(), sys.executable)
    if why:
        pytest.skip("warm path unavailable here: " + why)


@pytest.mark.slow
def test_a_killed_kernel_is_cleaned_up_in_the_background():
    _warm_or_skip()
    r = execute_notebook(_nb("x = 1"), fetch=["x"], warm=True)
    assert r.status is ExecStatus.OK and r.values["x"] == 1
    wait_for_reaper()
    cgroup = r.isolation.get("cgroup")
    assert cgroup and not Path(cgroup).exists()     # removed once every process in it was gone


def _ask_for_a_kernel_then_die(shared_path: str, out: Any) -> None:
    """A worker that gets a kernel forked by the shared zygote, then dies without cleaning up."""
    from auditor.execute.zygote import use_shared_zygote

    use_shared_zygote(shared_path)
    z = get_zygote(SandboxPolicy(), sys.executable)
    sb = z.new_sandbox(SandboxPolicy())
    conn_file = str(sb.rundir / "kernel.json")
    from jupyter_client.connect import write_connection_file

    write_connection_file(conn_file, transport="ipc", ip=str(sb.rundir / "kernel"))
    os.chown(conn_file, sb.uid, sb.uid)
    z.spawn(sb, conn_file, sb.env())
    out.send((z.attached, z.owner, str(sb.cgroup)))
    time.sleep(1.0)                 # the kernel is up and running by now
    os._exit(0)                     # no kill, no close: as a crashed worker


@pytest.mark.slow
def test_workers_share_the_batch_zygote_and_a_dead_workers_kernel_dies():
    _warm_or_skip()
    ctx = multiprocessing.get_context("fork")
    with SharedZygote(SandboxPolicy()) as shared:
        ours, theirs = ctx.Pipe()
        worker = ctx.Process(target=_ask_for_a_kernel_then_die, args=(shared.path, theirs))
        worker.start()
        attached, owner, cgroup = ours.recv()
        worker.join(30)
        assert attached and owner == os.getpid()      # the parent's zygote, not the worker's own
        procs = Path(cgroup) / "cgroup.procs"
        for _ in range(100):
            if not procs.exists() or not procs.read_text().strip():
                break
            time.sleep(0.05)
        assert not procs.exists() or procs.read_text().strip() == "", "the dead worker's kernel lives on"
        zygote_cgroup = Path(cgroup).parent
    assert not zygote_cgroup.exists()                 # the batch's end stops the zygote


@pytest.mark.slow
def test_a_batch_forks_every_kernel_from_one_zygote(tmp_path):
    _warm_or_skip()
    from auditor.batch.runner import run_batch

    for i in range(4):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"import time\ntime.sleep(0.3)\nx = {i}")])
        nbformat.write(nb, str(tmp_path / f"s{i}.ipynb"))
    summary = run_batch(tmp_path, out_dir=tmp_path / "out", jobs=2, progress=False)
    zygotes = set()
    for entry in summary.submissions:
        iso = json.loads((tmp_path / "out" / entry["json"]).read_text())["execution"]["isolation"]
        assert iso["kernel"].startswith("warm"), iso["kernel"]
        zygotes.add(Path(iso["cgroup"]).parent.name)
    assert len(zygotes) == 1 and next(iter(zygotes)).startswith("auditor-zygote-")


def test_a_worker_told_the_shared_zygote_could_not_start_says_why(tmp_path, monkeypatch):
    """The parent announces its zygote failed: a worker with the same policy runs its kernels
    cold with that reason (no second attempt per worker); another policy is not affected."""
    import auditor.execute.zygote as zygote

    monkeypatch.setattr(zygote, "_ZYGOTES", {})
    monkeypatch.setattr(zygote, "_SHARED", {"path": None, "failed": False})
    policy = SandboxPolicy(threads=3)
    path = tmp_path / "zygote.json"
    path.write_text(json.dumps({"key": list(zygote._key(policy, sys.executable)),
                                "unavailable": "no bwrap on the grading host"}))
    zygote.use_shared_zygote(str(path))
    with pytest.raises(ZygoteUnavailable, match="no bwrap on the grading host"):
        get_zygote(policy, sys.executable)
    assert zygote._shared(zygote._key(SandboxPolicy(threads=5), sys.executable)) is None
    r = execute_notebook(_nb("x = 2"), fetch=["x"], sandbox=policy, warm=True)
    assert r.values["x"] == 2
    assert "warm path not used: no bwrap on the grading host" in r.isolation["kernel"]


def _thp_available() -> bool:
    try:
        return "[never]" not in Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return False


_HUGE = ("import ctypes\n"                         # 48 MiB from malloc itself (numpy madvises on its own)
         "libc = ctypes.CDLL(None)\nlibc.malloc.restype = ctypes.c_void_p\n"
         "p = libc.malloc(48 * 2**20)\nctypes.memset(p, 1, 48 * 2**20)\n"
         "huge_kib = int([l for l in open('/proc/self/smaps_rollup') if l.startswith('AnonHugePages')][0].split()[1])\n"
         "import os\ntunables = os.environ.get('GLIBC_TUNABLES')\n")


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["1", "0"])
def test_warm_kernels_malloc_on_huge_pages_unless_turned_off(monkeypatch, setting):
    why = warm_unavailable(SandboxPolicy(), sys.executable)
    if why:
        pytest.skip("warm path unavailable here: " + why)
    if not _thp_available():
        pytest.skip("transparent huge pages are off on this machine")
    monkeypatch.setenv("AUDITOR_KERNEL_HUGEPAGES", setting)
    r = execute_notebook(_nb(_HUGE), fetch=["huge_kib", "tunables"], warm=True, timeout_cell=30, timeout_total=60)
    assert r.status is ExecStatus.OK, r.message
    assert r.isolation["kernel"].startswith("warm")
    # the setting lives in the kernel's allocator, not in the student's environment
    assert r.values["tunables"] is None
    if setting == "1":
        assert r.values["huge_kib"] >= 2048
        assert "huge pages" in r.isolation["allocator"]
    else:
        assert r.values["huge_kib"] == 0
        assert "allocator" not in r.isolation
