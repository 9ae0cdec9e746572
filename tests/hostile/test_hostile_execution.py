"""The hostile notebooks that attack at execution time, run through ``execute_notebook``.

All cases run once per kernel path (cold start, and warm fork from the zygote), in parallel, in
a module-scoped fixture (small timeouts and limits); each test then asserts the status and
message its case must get, and the fixture checks that the grader survived, nothing outside the
sandbox changed and nothing was left running.  Where the warm path cannot give the cold path's
isolation on this machine, its run falls back to cold and says so (checked below).
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from auditor.execute.run import execute_notebook
from auditor.load.notebook import parse_notebook_bytes
from auditor.models import ExecStatus
from auditor.execute.sandbox import Sandbox, SandboxPolicy
from auditor.execute.zygote import warm_unavailable, wait_for_reaper
from tests.hostile import builders as B

pytestmark = pytest.mark.slow

POLICY = SandboxPolicy(memory_bytes=1536 * 2**20, cpu_seconds=60, max_processes=64)
FAST = dict(timeout_cell=2, timeout_total=8)          # cases that must be stopped
ROOMY = dict(timeout_cell=20, timeout_total=40)       # cases that must finish on their own
# IPython formats a RecursionError's ~3000 frames with inspect.getmodule, which scans sys.modules
# per frame: ~3 s in a cold kernel, ~8 s in a warm one (torch preloaded: 1900 modules), and 2-3x
# that on a loaded machine
SLOW_TRACEBACK = dict(timeout_cell=60, timeout_total=90)
BENIGN = B.notebook("import math\nx = [1, 2.5, 'a']\nr = math.sqrt(16)", "1 / 0")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Listener:
    """A TCP server on the grader's loopback that records whether anybody connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self) -> None:
        self.stop = True
        self.thread.join(2)
        self.sock.close()


def _sandbox_processes(uids: set[int]) -> list[str]:
    """Live (non-zombie) processes running as one of the given sandbox uids."""
    procs = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state not in ("Z", "X"):        # zombies and dead tasks run nothing
                        procs.append(entry.name)
            except (OSError, IndexError):
                pass
    return procs


@pytest.fixture(scope="module", params=["cold", "warm"])
def runs(request, tmp_path_factory):
    warm = request.param == "warm"
    outside = tmp_path_factory.mktemp("outside")
    canary = outside / "canary.txt"
    canary.write_text("do not touch\n")
    spec = outside / "spec.toml"
    spec.write_text('[[questions]]\nid = "cnns/3"\nkey = 112\n')
    project_spec = sorted((Path(__file__).resolve().parents[2] / "auditor" / "specs").glob("*.toml"))
    project_spec_path = str(project_spec[0]) if project_spec else None
    watched = [canary, spec]
    before = {str(p): _sha(p) for p in watched}
    new_file = outside / "created-by-student.txt"
    listener = _Listener()

    with Sandbox(POLICY) as planned:
        iso = planned.isolation()
    fs_protected = not iso["filesystem"].startswith("not protected")
    net_protected = not iso["network"].startswith("none")

    cases = {
        "infinite_loop": (B.infinite_loop(), FAST, ()),
        "busy_c_extension": (B.busy_c_extension(), dict(timeout_cell=4, timeout_total=10), ()),
        "memory_bomb": (B.memory_bomb(), ROOMY, ()),
        "fork_bomb": (B.fork_bomb(), FAST, ()),
        "os_exit": (B.os_exit(), ROOMY, ()),
        "segfault": (B.segfault(), ROOMY, ()),
        "sys_exit": (B.sys_exit(), ROOMY, ("after",)),
        "reads_input": (B.reads_input(), ROOMY, ()),
        "huge_output": (B.huge_output(500), ROOMY, ()),
        "deep_recursion": (B.deep_recursion(), SLOW_TRACEBACK, ("after",)),
        "writes_outside": (B.writes_outside(str(canary), str(new_file)), ROOMY, ("results",)),
        "tampers_spec": (B.tampers_spec(str(spec), project_spec_path), ROOMY, ("stolen",)),
        "opens_socket": (B.opens_socket("127.0.0.1", listener.port), ROOMY, ("reached",)),
        "signals_parent": (B.signals_parent(os.getpid()), ROOMY, ("sent",)),
        "monkeypatched_allclose": (B.monkeypatched_allclose(), ROOMY, ("grads",)),
        "always_equal": (B.always_equal(), ROOMY, ("answer", "shape", "plain")),
        "broken_serializer": (B.broken_serializer(), ROOMY, ("x",)),
        "showtraceback_disabled": (B.showtraceback_disabled(), ROOMY, ()),
        "pip_install": (B.pip_install(), ROOMY, ("y",)),
        "custom_kernel_name": (B.custom_kernel_name(), ROOMY, ("x",)),
        "many_cells": (B.many_cells(10_000), ROOMY, ("v9900",)),
        "big_image_output": (B.big_image_output(50), ROOMY, ("after",)),
        "fake_values_payload": (B.fake_values_payload(), ROOMY, ("grads",)),
        "benign_alone": (BENIGN, ROOMY, ("x", "r")),
        "benign_among_hostile": (BENIGN, ROOMY, ("x", "r")),
    }

    # Only aim the cases that really write or connect at a sandbox that can stop them.
    skipped = {}
    if not fs_protected:
        skipped["writes_outside"] = skipped["tampers_spec"] = "file system not protected here: " + iso["filesystem"]
    if not net_protected:
        skipped["opens_socket"] = "no network isolation here: " + iso["network"]
    if not iso["pid_namespace"] and not iso["user"].startswith("uid "):
        skipped["signals_parent"] = "kernel shares the grader's pids and uid here: " + iso["user"]
    if iso["pids"].startswith("not limited"):
        skipped["fork_bomb"] = "process count not limited here: " + iso["pids"]
    for name in skipped:
        del cases[name]

    def run(name):
        nb_node, limits, fetch = cases[name]
        nb = parse_notebook_bytes(B.to_bytes(nb_node), f"{name}.ipynb")
        return name, execute_notebook(nb, fetch=fetch, sandbox=POLICY, warm=warm, **limits)

    results = dict([run("benign_alone")])
    names = [n for n in cases if n != "benign_alone"]
    # heavy cases first so the pool's tail is short
    with ThreadPoolExecutor(3) as pool:
        results.update(pool.map(run, names))
    listener.close()
    time.sleep(0.2)
    yield {"results": results, "before": before, "watched": watched, "new_file": new_file,
           "project_spec": project_spec_path, "skipped": skipped,
           "listener": listener, "warm": warm}


def res(runs, name):
    if name in runs["skipped"]:
        pytest.skip(runs["skipped"][name])
    return runs["results"][name]


# --------------------------------------------------------------------------- global invariants

def test_grader_survives_and_nothing_outside_changes(runs):
    assert os.getpid() > 0          # we are still here, after signals_parent and the bombs
    for path in runs["watched"]:
        assert _sha(path) == runs["before"][str(path)], f"{path} changed"
    assert not runs["new_file"].exists()
    if runs["project_spec"]:
        # colleagues may edit the shipped specs while this runs: look for the student's text
        text = Path(runs["project_spec"]).read_text()
        assert "everything is true" not in text and "pwned" not in text
    assert not Path("/tmp/auditor-escape").exists()
    assert not Path("/etc/auditor-escape").exists()


def test_nothing_left_running(runs):
    """No process of any of our kernels' sandbox uids lives on; their cgroups are gone."""
    wait_for_reaper()           # warm kernels are waited for and cleaned up in the background
    isolations = [r.isolation for r in runs["results"].values()]
    uids = {int(m.group(1)) for iso in isolations
            for m in [re.match(r"uid (\d+) ", iso.get("user", ""))] if m}
    for _ in range(50):          # SIGKILLed processes may take a moment to be gone
        left = _sandbox_processes(uids)
        if not left:
            break
        time.sleep(0.1)
    assert left == []
    assert [iso["cgroup"] for iso in isolations if "cgroup" in iso and Path(iso["cgroup"]).exists()] == []


def test_other_submission_unaffected(runs):
    alone, among = res(runs, "benign_alone"), res(runs, "benign_among_hostile")
    assert alone.status is among.status is ExecStatus.ERRORS
    assert alone.errors == among.errors
    assert dict(alone.values) == dict(among.values) == {"x": (1, 2.5, "a"), "r": 4.0}


def test_isolation_is_reported(runs):
    iso = res(runs, "benign_alone").isolation
    for key in ("network", "filesystem", "user", "pids", "rlimits", "workdir", "env", "kill", "kernel"):
        assert key in iso
    assert iso["rlimits"]["address_space_bytes"] == POLICY.memory_bytes
    why_not_warm = warm_unavailable(POLICY, sys.executable)
    kernels = {r.isolation["kernel"].split(":")[0] for r in runs["results"].values()}
    if not runs["warm"]:
        assert kernels == {"cold start"}
    elif why_not_warm:
        assert all(why_not_warm in r.isolation["kernel"] for r in runs["results"].values())
    else:       # every case really ran warm, with the cold path's file system and limits
        assert kernels == {"warm"}
        with Sandbox(POLICY) as cold:
            cold_iso = cold.isolation()
        for key in ("filesystem", "rlimits", "workdir", "env", "pid_namespace"):
            assert iso[key] == cold_iso[key], key
        assert iso["user"].startswith("uid ") and "pids.max" in iso["pids"]


# --------------------------------------------------------------------------- stopped cases

@pytest.mark.parametrize("name,cell", [("infinite_loop", 1), ("busy_c_extension", 0)])
def test_runaway_cells_time_out(runs, name, cell):
    r = res(runs, name)
    assert r.status is ExecStatus.TIMEOUT, r.message
    assert f"cell {cell}" in r.message and "timeout" in r.message


def test_fork_bomb_is_contained(runs):
    """The pids limit makes fork() fail; the spinning copies then hit the cell timeout.  Either
    way the run is never ok, and test_nothing_left_running checks every copy was killed."""
    r = res(runs, "fork_bomb")
    assert r.status in (ExecStatus.TIMEOUT, ExecStatus.ERRORS, ExecStatus.CRASHED), r.message
    assert r.status is not ExecStatus.TIMEOUT or "cell 0" in r.message


@pytest.mark.parametrize("name,why", [("os_exit", "exit status 3"), ("segfault", "SIG")])
def test_dead_kernel_is_crashed_never_ok(runs, name, why):
    r = res(runs, name)
    assert r.status is ExecStatus.CRASHED
    assert "kernel died while running cell 0" in r.message and why in r.message


@pytest.mark.parametrize("name,cell,ename", [
    ("memory_bomb", 0, "MemoryError"),
    ("sys_exit", 0, "SystemExit"),
    ("reads_input", 0, "StdinNotImplementedError"),
    ("deep_recursion", 0, "RecursionError"),
])
def test_errors_are_recorded(runs, name, cell, ename):
    r = res(runs, name)
    assert r.status is ExecStatus.ERRORS, r.message
    assert (cell, ename) in [(e.cell, e.ename) for e in r.errors]


def test_kernel_goes_on_after_sys_exit_and_recursion(runs):
    assert dict(res(runs, "sys_exit").values) == {"after": 1}
    assert dict(res(runs, "deep_recursion").values) == {"after": 1}


def test_huge_output_is_cut_and_reported(runs):
    r = res(runs, "huge_output")
    assert r.status is ExecStatus.OK
    assert "cell 0: output cut" in r.message


def test_big_image_output_is_dropped_and_the_run_goes_on(runs):
    r = res(runs, "big_image_output")
    assert r.status is ExecStatus.OK
    assert "cell 0: output" in r.message
    assert dict(r.values) == {"after": 1}


# --------------------------------------------------------------------------- containment

def test_writes_outside_fail(runs):
    r = res(runs, "writes_outside")
    results = r.values["results"]
    outside = [p for p in results if p.startswith("/") and "auditor-kernel-" not in p]
    assert len(outside) == 4      # canary, new file, /etc, /tmp (~ is the sandbox's own home)
    assert all(results[p] != "written" for p in outside), results
    assert r.status is ExecStatus.ERRORS    # the last line's write raises


def test_spec_cannot_be_read_or_rewritten(runs):
    r = res(runs, "tampers_spec")
    stolen = r.values["stolen"]
    assert all(v in ("FileNotFoundError", "PermissionError") for v in stolen.values()), stolen
    assert r.status is ExecStatus.ERRORS


def test_no_network(runs):
    r = res(runs, "opens_socket")
    assert r.values["reached"] == ()
    assert runs["listener"].connections == 0
    assert r.errors and r.errors[0].cell == 1


def test_signals_do_not_reach_the_grader(runs):
    r = res(runs, "signals_parent")
    assert os.getpid() not in r.values.get("sent", ())
    assert r.status in (ExecStatus.ERRORS, ExecStatus.OK, ExecStatus.CRASHED)


# --------------------------------------------------------------------------- judging stays outside

def test_monkeypatching_does_not_change_fetched_data(runs):
    r = res(runs, "monkeypatched_allclose")
    grads = r.values["grads"]
    assert grads.dtype == np.float32 and grads.tolist() == [1.0, 2.0, 3.0]
    assert not np.allclose(grads, [4.0, 5.0, 6.0])       # the auditor's numpy, not the student's


def test_always_equal_objects_are_not_data(runs):
    r = res(runs, "always_equal")
    assert dict(r.values) == {"plain": 112}
    assert "'answer' not fetched" in r.message and "'shape' not fetched" in r.message


def test_showtraceback_disabled_hides_nothing(runs):
    r = res(runs, "showtraceback_disabled")
    assert [(e.cell, e.ename) for e in r.errors] == [(1, "ZeroDivisionError"), (2, "NameError")]


def test_forged_value_payloads_are_ignored(runs):
    r = res(runs, "fake_values_payload")
    assert dict(r.values) == {"grads": (1, 2)}
    assert "forged" in r.message


# --------------------------------------------------------------------------- odd but harmless

def test_pip_install_not_run(runs):
    r = res(runs, "pip_install")
    assert r.status is ExecStatus.OK
    assert dict(r.skipped) == {0: "pip install not run", 1: "conda install not run"}
    assert dict(r.values) == {"y": 2}


def test_custom_kernel_name_runs_our_kernel(runs):
    r = res(runs, "custom_kernel_name")
    assert r.status is ExecStatus.OK and dict(r.values) == {"x": 42}


def test_ten_thousand_cells(runs):
    r = res(runs, "many_cells")
    assert r.status is ExecStatus.OK, r.message
    assert dict(r.values) == {"v9900": 9900}


def test_a_kernel_that_breaks_the_messaging_protocol_is_its_own_fault(runs):
    """Unreadable messages from the kernel (its serializer replaced by the student) stop the run
    as the kernel's failure, with a message; the grader does not crash and nothing forged is
    taken as a value."""
    r = res(runs, "broken_serializer")
    assert r.status is ExecStatus.CRASHED
    assert "broke the messaging protocol while running cell 1" in r.message
    assert dict(r.values) == {}
