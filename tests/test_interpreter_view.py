"""The kernel's interpreter may live anywhere the user made a virtual environment (under /tmp, under
/root): the warm path binds its directories read-only into each kernel's view, the kernel still
runs as an unprivileged uid, and the auditor's own project stays hidden."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import auditor
from auditor.execute.probes import probe_bwrap, probe_setpriv, probe_unshare
from auditor.execute.sandbox import SandboxPolicy
from auditor.execute.run import execute_notebook
from auditor.execute.view import hidden_roots, interpreter_paths, project_root
from auditor.models import ExecStatus
from tests.test_execution import _nb

pytestmark = pytest.mark.skipif(not probe_bwrap().ok, reason="bwrap unavailable: " + probe_bwrap().why)

_PROBE = ("import os, sys\n"
          "uid = os.getuid()\nexe = sys.executable\n"
          "try:\n    open(os.path.join(sys.prefix, 'planted'), 'w').write('x')\n    venv_writable = True\n"
          "except OSError:\n    venv_writable = False\n"
          "project_seen = sorted(os.listdir(PROJECT)) if os.path.isdir(PROJECT) else []\n")


def _venv(parent: str) -> str:
    """A fresh venv (no pip) under ``parent`` that imports what this interpreter imports."""
    d = tempfile.mkdtemp(prefix="auditor-venv-", dir=parent)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", d],
                   check=True, capture_output=True, timeout=60)
    # ipykernel may come from this interpreter's own venv rather than the system: point at it
    py = os.path.join(d, "bin", "python")
    sp = subprocess.run([py, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                        text=True, check=True).stdout.strip()
    Path(sp, "auditor-test-parent.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return d


def _run(python: str, warm: bool, policy: SandboxPolicy | None = None):
    code = f"PROJECT = {project_root()!r}\n" + _PROBE
    r = execute_notebook(_nb(code), fetch=["uid", "exe", "venv_writable", "project_seen"], warm=warm,
                         python=python, timeout_cell=60, timeout_total=120, sandbox=policy)
    assert r.status is ExecStatus.OK, r.message
    return r


@pytest.mark.slow
def test_a_venv_under_tmp_runs_on_the_warm_path():
    d = _venv("/tmp")
    try:
        py = os.path.join(d, "bin", "python")
        assert any(p.startswith(d) for p in interpreter_paths(py))
        r = _run(py, warm=True)
        assert r.isolation["kernel"].startswith("warm"), r.isolation["kernel"]
        assert r.values["exe"] == py
        assert r.values["venv_writable"] is False          # bound read-only
        assert list(r.values["project_seen"]) == []
        if os.geteuid() == 0:
            assert r.values["uid"] != 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not probe_setpriv().ok, reason="needs root (a fresh uid per kernel)")
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_venv_under_root_runs_as_an_unprivileged_uid(warm):
    d = _venv("/root")
    try:
        py = os.path.join(d, "bin", "python")
        r = _run(py, warm=warm)
        assert r.values["uid"] != 0 and r.values["exe"] == py
        assert r.isolation["kernel"].startswith("warm") == warm, r.isolation["kernel"]
        assert r.values["venv_writable"] is False
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_the_hidden_project_is_computed_from_the_package():
    assert project_root() == os.path.realpath(Path(auditor.__file__).resolve().parent.parent)
    assert project_root() in hidden_roots(()) or any(
        project_root().startswith(h + "/") for h in hidden_roots(()))
    # an editable install puts the project on sys.path: it is never bound back
    assert project_root() not in interpreter_paths(sys.executable)


@pytest.mark.slow
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_the_project_directory_is_hidden_from_the_kernel(warm):
    r = _run(sys.executable, warm=warm)
    assert list(r.values["project_seen"]) == [], r.isolation["filesystem"]
    assert (Path(project_root()) / "pyproject.toml").exists()      # it is there, outside


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not probe_setpriv().ok or not probe_unshare().ok,
                    reason="needs root and unshare")
def test_without_bwrap_a_venv_under_root_still_runs_unprivileged_and_the_project_hidden():
    """The unshare path (no bwrap) hides the home and the project with a mount namespace and binds
    the interpreter back read-only, so the kernel still gets a fresh uid."""
    d = _venv("/root")
    try:
        py = os.path.join(d, "bin", "python")
        r = _run(py, warm=False, policy=SandboxPolicy(network="unshare"))
        assert r.isolation["network"].startswith("unshare-net")
        assert r.values["uid"] != 0 and r.isolation["user"].startswith("uid ")
        assert list(r.values["project_seen"]) == [] and r.values["venv_writable"] is False
        assert "hidden by a private mount namespace" in r.isolation["filesystem"]
    finally:
        shutil.rmtree(d, ignore_errors=True)
