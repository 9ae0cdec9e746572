"""Which isolation layers a kernel gets on this machine, and the command that enables a missing one.

One probe, shared by ``auditor doctor`` (the table), the one-line warning that ``audit``,
``batch``, ``gate`` and ``pytest --audit`` print on stderr when isolation is degraded, and
``--require-sandbox`` (exit 2 before any student code runs).  The facts come from the same
:class:`~auditor.execute.sandbox.Sandbox` plan a real kernel gets, so the table cannot disagree
with what a kernel actually runs under.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any, Mapping

from auditor.execute.sandbox import Sandbox, SandboxPolicy

#: the layers, in the order the table shows them
LAYERS = ("network", "filesystem", "user", "pids", "cgroup", "rlimits", "warm kernels")
CGROUP_STEP = ("give auditor a writable cgroup v2: run it in a delegated subtree, e.g. "
               "`systemd-run --user --scope -p Delegate=yes auditor ...`, or in a container started "
               "with `--cgroupns=private` and a writable /sys/fs/cgroup")


@dataclass(frozen=True)
class Layer:
    """One isolation layer: whether it is active here, what is in force, how to enable it."""

    name: str
    active: bool
    detail: str
    enable: str = ""        # the exact command (or step) that enables it; "" when active


def _sudo() -> str:
    return "" if os.geteuid() == 0 else "sudo "


def install_command(package: str) -> str:
    """The command that installs a system package here (apt-get, dnf, apk; else the step)."""
    for tool, cmd in (("apt-get", "apt-get install -y"), ("dnf", "dnf install -y"), ("apk", "apk add")):
        if shutil.which(tool):
            return f"{_sudo()}{cmd} {package}"
    return f"install the system package {package!r}"


def _as_root() -> str:
    return "run auditor as root (e.g. `sudo auditor ...`, or in a container): each kernel then gets a fresh unprivileged uid"


def _user_step(user: str) -> str:
    if os.geteuid() != 0:
        return _as_root()
    if "not usable by an unprivileged uid" in user:
        # without bwrap the interpreter must be readable by any uid; bwrap binds it back
        return install_command("bubblewrap")
    return install_command("util-linux")


def _warm_step(why: str) -> str:
    if "sandbox disabled" in why:
        return "drop --no-sandbox"
    if "bwrap" in why:
        return install_command("bubblewrap")
    if "not root" in why or "grader's uid" in why:
        return _as_root()
    if "cgroup" in why:
        return CGROUP_STEP
    if "network policy" in why:
        return "use the default sandbox network policy (auto)"
    if "setpriv" in why:
        return install_command("util-linux")
    return f"see the reason: {why}"


def layers_from_facts(iso: Mapping[str, Any], warm_why: str, *, enabled: bool = True) -> tuple[Layer, ...]:
    """The layers described by a sandbox's isolation facts and the warm path's reason ("" = usable)."""
    if not enabled:
        why = "sandbox disabled (--no-sandbox)"
        return tuple(Layer(n, False, why, "drop --no-sandbox") for n in LAYERS)
    network = str(iso.get("network", ""))
    filesystem = str(iso.get("filesystem", ""))
    user = str(iso.get("user", ""))
    pids = str(iso.get("pids", ""))
    rlimits = iso.get("rlimits") or {}
    net_on = network.startswith(("bwrap", "unshare-net"))
    fs_on = filesystem.startswith("read-only")
    user_on = user.startswith("uid ")
    pids_on = not pids.startswith("not limited")
    cg_on = bool(iso.get("cgroup"))
    rl_on = "address_space_bytes" in rlimits or "cpu_seconds" in rlimits
    bwrap = install_command("bubblewrap")
    return (
        Layer("network", net_on, network, "" if net_on else bwrap),
        Layer("filesystem", fs_on, filesystem, "" if fs_on else bwrap),
        Layer("user", user_on, user, "" if user_on else _user_step(user)),
        Layer("pids", pids_on, pids, "" if pids_on else (CGROUP_STEP if os.geteuid() == 0 else
                                                         CGROUP_STEP + "; or run as a non-root user")),
        Layer("cgroup", cg_on, f"one pids-limited cgroup per kernel under {os.path.dirname(str(iso['cgroup']))}"
              if cg_on else "none: " + pids, "" if cg_on else CGROUP_STEP),
        Layer("rlimits", rl_on, ", ".join(f"{k}={v}" for k, v in rlimits.items()) or "none",
              "" if rl_on else "use the default sandbox policy (memory and CPU limits)"),
        Layer("warm kernels", not warm_why, "forked from a warm zygote" if not warm_why else warm_why,
              "" if not warm_why else _warm_step(warm_why)),
    )


def probe_layers(policy: SandboxPolicy | None = None, python: str | None = None) -> tuple[Layer, ...]:
    """Plan one sandbox with ``policy`` (as a real kernel's) and report its layers."""
    from auditor.execute.zygote_server import warm_probe

    policy = policy or SandboxPolicy()
    if not policy.enabled:
        return layers_from_facts({}, "sandbox disabled", enabled=False)
    sb = Sandbox(policy, python=python)
    try:
        iso = sb.isolation()
    finally:
        sb.close()
    return layers_from_facts(iso, warm_probe(policy, sb.python).why)


def degraded_warning(layers: tuple[Layer, ...]) -> str | None:
    """One line for stderr naming the inactive layers, or None when every layer is active."""
    off = [layer for layer in layers if not layer.active]
    if not off:
        return None
    names = ", ".join(layer.name for layer in off)
    return f"auditor: warning: kernel isolation degraded ({names}); run `auditor doctor` for details"
