"""Warm kernels forked from the zygote: what they share (nothing a student can use) and when
the warm path refuses to run.  The hostile suite runs every attack through both paths."""
from __future__ import annotations

import socket
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from auditor.execution import execute_notebook
from auditor.models import ExecStatus
from auditor.sandbox import SandboxPolicy
from auditor.zygote import ZygoteUnavailable, get_zygote, warm_unavailable
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
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda nb: execute_notebook(nb, fetch=["me", "reached"], warm=True,
                                                    timeout_cell=30, timeout_total=60),
                        [listener, caller])
    for r in (a, b):
        assert r.status is ExecStatus.OK, r.message
        assert r.isolation["kernel"].startswith("warm")
        me = r.values["me"]
        assert me["cap_eff"] == "0000000000000000" and me["no_new_privs"] == "1"
        assert len(me["tmp"]) == 1 and me["tmp"][0].startswith("auditor-zygote-")
        assert me["cwd"] == ("notebook.ipynb",)
        assert (me["pid"], me["ppid"]) == (2, 1) and me["pids"] == (1, 2)
    assert b.values["reached"] is False
    # an address-space limit the zygote's own imports would eat up: refused (the cold path runs)
    with pytest.raises(ZygoteUnavailable, match="address-space limit"):
        get_zygote(SandboxPolicy(memory_bytes=256 * 2**20), sys.executable)
    assert a.values["me"]["uid"] != b.values["me"]["uid"]
    assert a.values["me"]["numpy_random"] != b.values["me"]["numpy_random"]
