"""execute_notebook: install lines, errors from replies, stale outputs, fetching, kernels."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from auditor.execute.run import PIP_SKIPPED, CONDA_SKIPPED, execute_notebook, neutralise_installs
from auditor.models import Cell, ExecStatus, ParsedNotebook, SavedError
from auditor.execute.probes import probe_unshare
from auditor.execute.sandbox import SandboxPolicy


def _nb(*sources, saved=None, kernel="python3", path="sub.ipynb"):
    saved = saved or {}
    cells = tuple(Cell(i, "markdown", s[1]) if isinstance(s, tuple) else
                  Cell(i, "code", s, saved_errors=tuple(SavedError(i, *e) for e in saved.get(i, ())))
                  for i, s in enumerate(sources))
    return ParsedNotebook(path=path, name=path.rsplit("/", 1)[-1], cells=cells, nbformat=4,
                          original_nbformat=4, kernel_name=kernel, language="python", sha256="0")


@pytest.mark.parametrize("source,reason", [
    ("!pip install torch", PIP_SKIPPED),
    ("%pip install -q x", PIP_SKIPPED),
    ("! pip3 install x", PIP_SKIPPED),
    ("!python -m pip install x", PIP_SKIPPED),
    ("!{sys.executable} -m pip install x", PIP_SKIPPED),
    ("%conda install x", CONDA_SKIPPED),
    ("!conda install -y x", CONDA_SKIPPED),
    ("%%bash\npip install x\necho hi", PIP_SKIPPED),
])
def test_install_lines_are_neutralised(source, reason):
    new, why = neutralise_installs(source)
    assert why == reason
    assert "install" not in new.replace("package install not run", "")
    assert new.count("\n") == source.count("\n")


def test_other_lines_are_kept():
    src = "import pip\nx = 'pip install'\n!ls\nif True:\n    !pip install a\n"
    new, why = neutralise_installs(src)
    assert why == PIP_SKIPPED
    assert new.splitlines()[:4] == src.splitlines()[:4]
    assert new.splitlines()[4].startswith("    pass")
    assert neutralise_installs("x = 1") == ("x = 1", None)


@pytest.mark.slow
def test_execute_records_errors_stale_outputs_skips_and_values(tmp_path):
    sub = tmp_path / "sub.ipynb"
    sub.write_text("{}")
    nb = _nb(
        "import os, torch\nx = [1, 2.5, 'a', None]\ng = torch.arange(6.).reshape(2, 3)\n"
        "b = torch.ones(2, dtype=torch.bfloat16, requires_grad=True) * 2\ncwd = sorted(os.listdir('.'))",
        ("markdown", "# a heading"),
        "!pip install nothing\ny = 2",
        "1 / 0",
        "z = 3",
        saved={3: [("ZeroDivisionError", "division by zero")], 4: [("NameError", "name 'q' is not defined")]},
        kernel="colab-custom", path=str(sub))
    before = (nb, hashlib.sha256(sub.read_bytes()).hexdigest())
    r = execute_notebook(nb, fetch=["x", "g", "b", "y", "cwd", "missing", "not valid"],
                         timeout_cell=30, timeout_total=90)
    assert (nb, hashlib.sha256(sub.read_bytes()).hexdigest()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub.ipynb"]
    assert r.status is ExecStatus.ERRORS
    assert [(e.cell, e.ename) for e in r.errors] == [(3, "ZeroDivisionError")]
    assert [(e.cell, e.ename) for e in r.stale_errors] == [(4, "NameError")]
    assert r.skipped == ((2, PIP_SKIPPED),)
    assert r.values["x"] == (1, 2.5, "a", None) and r.values["y"] == 2
    assert r.values["g"].dtype == np.float32 and r.values["g"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert r.values["b"].dtype == np.float32 and r.values["b"].tolist() == [2.0, 2.0]
    assert r.values["cwd"] == ("notebook.ipynb",)
    assert "missing" not in r.values and "not valid" not in r.values
    assert r.isolation["sandbox"] == "on" and r.duration_s > 0
    assert len(r.cell_seconds) == 4 and all(0 <= t < r.duration_s for t in r.cell_seconds)


@pytest.mark.slow
def test_unshare_network_namespace_talks_over_ipc():
    if not probe_unshare().ok:
        pytest.skip("unshare --net not permitted here: " + probe_unshare().why)
    nb = _nb("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
             "    net = 'open'\nexcept OSError:\n    net = 'closed'")
    r = execute_notebook(nb, fetch=["net"], timeout_cell=30, timeout_total=60,
                         sandbox=SandboxPolicy(network="unshare"))
    assert r.status is ExecStatus.OK, r.message
    assert r.values["net"] == "closed"
    assert r.isolation["network"].startswith("unshare-net")


@pytest.mark.slow
def test_overall_timeout_and_disabled_sandbox():
    nb = _nb("import time\ntime.sleep(0.5)", "time.sleep(30)", "never = 1")
    r = execute_notebook(nb, fetch=["never"], timeout_cell=20, timeout_total=3,
                         sandbox=SandboxPolicy(enabled=False), warm=True)
    assert r.status is ExecStatus.TIMEOUT
    assert "cell 1" in r.message and "overall timeout" in r.message
    assert dict(r.values) == {} and r.isolation["sandbox"] == "off"
    # the warm path never runs with less isolation than asked: here it says why it was not used
    assert r.isolation["kernel"] == "cold start (warm path not used: sandbox disabled)"
