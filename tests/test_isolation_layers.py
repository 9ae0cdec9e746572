"""The isolation layers probe: what the table, the warning and --require-sandbox read."""
from auditor.execute.isolation import LAYERS, degraded_warning, layers_from_facts, probe_layers
from auditor.execute.probes import probe_bwrap
from auditor.execute.sandbox import SandboxPolicy


FULL = {
    "network": "bwrap (empty network namespace)",
    "filesystem": "read-only except the sandbox's temp dir; private /tmp; hidden: /root",
    "user": "uid 61000 (unprivileged, fresh per kernel)",
    "pids": "cgroup v2 pids.max=1024 + RLIMIT_NPROC=1024",
    "cgroup": "/sys/fs/cgroup/auditor-x",
    "rlimits": {"address_space_bytes": 1, "cpu_seconds": 2},
}


def test_all_layers_active_gives_no_warning():
    layers = layers_from_facts(FULL, "")
    assert [layer.name for layer in layers] == list(LAYERS)
    assert all(layer.active and not layer.enable for layer in layers)
    assert degraded_warning(layers) is None


def test_missing_bwrap_names_the_layers_and_the_install_command():
    facts = dict(FULL, network="unshare-net (empty network namespace); bwrap unavailable: bwrap not installed",
                 filesystem="not protected beyond file permissions (bwrap not installed)")
    layers = {layer.name: layer for layer in layers_from_facts(facts, "bwrap not installed (Debian package bubblewrap)")}
    assert layers["network"].active
    assert not layers["filesystem"].active and "bubblewrap" in layers["filesystem"].enable
    assert not layers["warm kernels"].active and "bubblewrap" in layers["warm kernels"].enable
    line = degraded_warning(tuple(layers.values()))
    assert line.count("\n") == 0
    assert "filesystem, warm kernels" in line and "auditor doctor" in line


def test_disabled_sandbox_is_all_degraded():
    layers = probe_layers(SandboxPolicy(enabled=False))
    assert not any(layer.active for layer in layers)
    assert "--no-sandbox" in layers[0].detail


def test_probe_on_this_machine_agrees_with_bwrap():
    layers = {layer.name: layer for layer in probe_layers()}
    assert layers["filesystem"].active == probe_bwrap().ok
    assert layers["rlimits"].active
