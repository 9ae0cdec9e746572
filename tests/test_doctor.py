"""``auditor doctor``: the isolation table, the command that enables each missing layer, exit codes."""
from __future__ import annotations

import subprocess
import sys

import pytest

import auditor.execute.isolation as isolation
from auditor.cli import main
from auditor.execute.isolation import LAYERS, install_command, layers_from_facts, probe_layers
from test_isolation_layers import FULL  # the facts of a fully isolated kernel

NO_BWRAP = dict(FULL, network="unshare-net (empty network namespace); bwrap unavailable: bwrap not installed",
                filesystem="not protected beyond file permissions (bwrap not installed)",
                user="root (the interpreter /root/venv/bin/python is not usable by an unprivileged uid)")


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")


def _doctor(monkeypatch, capsys, layers) -> tuple[int, str]:
    monkeypatch.setattr(isolation, "probe_layers", lambda **kw: layers)
    code = main(["doctor"])
    return code, capsys.readouterr().out


def test_all_active_exits_0_and_lists_every_layer(wide, monkeypatch, capsys):
    code, out = _doctor(monkeypatch, capsys, layers_from_facts(FULL, ""))
    assert code == 0
    for name in LAYERS:
        assert name in out
    assert "NO" not in out and "all 7 layers active" in out


def test_degraded_exits_1_with_the_command_for_each_missing_layer(wide, monkeypatch, capsys):
    code, out = _doctor(monkeypatch, capsys,
                        layers_from_facts(NO_BWRAP, "bwrap not installed (Debian package bubblewrap)"))
    assert code == 1
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 4}
    bwrap = install_command("bubblewrap")
    for name in ("filesystem", "user", "warm kernels"):
        assert " NO " in rows[name] and bwrap in rows[name], rows[name]
    for name in ("network", "pids", "cgroup", "rlimits"):
        assert " yes " in rows[name]
    assert "4 of 7 layers active; missing: filesystem, user, warm kernels" in out


def test_no_sandbox_is_all_missing(wide, monkeypatch, capsys):
    code, out = _doctor(monkeypatch, capsys, layers_from_facts({}, "", enabled=False))
    assert code == 1 and out.count("drop --no-sandbox") == len(LAYERS)


def test_missing_cgroup_and_root_name_their_steps():
    layers = {x.name: x for x in layers_from_facts(
        dict(FULL, user="grader's uid (grader is not root: the kernel runs as the grader's own uid)",
             pids="not limited (no writable cgroup: /sys/fs/cgroup: Read-only file system; RLIMIT_NPROC is ignored for root)",
             cgroup=None), "grader is not root: the kernel runs as the grader's own uid")}
    assert "cgroup" in layers["cgroup"].enable and "Delegate=yes" in layers["cgroup"].enable
    assert "root" in layers["user"].enable or "apt-get" in layers["user"].enable
    assert not layers["warm kernels"].active and layers["warm kernels"].enable


def test_doctor_on_this_machine_agrees_with_the_probe():
    """The real command, as a user runs it: its exit code is the probe's verdict."""
    proc = subprocess.run([sys.executable, "-m", "auditor", "doctor"], capture_output=True, text=True,
                          timeout=120, env={"COLUMNS": "300", "PATH": "/usr/local/bin:/usr/bin:/bin"})
    expected = 0 if all(layer.active for layer in probe_layers()) else 1
    assert proc.returncode == expected, proc.stdout + proc.stderr
    assert "network" in proc.stdout and "warm kernels" in proc.stdout
