"""The kernel's interpreter when it is not the auditor's own (``--kernel-python``).

A course's notebooks need the course's packages (pandas, scipy, statsmodels...), which the
auditor's environment need not have. ``--kernel-python`` points at the interpreter of an
environment that has them (and ipykernel); the sandbox binds that interpreter's prefix read-only
exactly as it does the auditor's own (``auditor.execute.view``). It is checked once per run, before
any submission: it must exist, run, and import ipykernel.
"""
from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.execute.sandbox import SandboxPolicy


class KernelPythonError(ValueError):
    """The interpreter cannot run kernels (names it and says why)."""


_PROBE = "import ipykernel, sys; print(sys.prefix)"


def _prefix(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess | str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, **kwargs)
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)


def check_kernel_python(path: str, sandbox: "SandboxPolicy | None" = None) -> str:
    """``path`` when it runs and imports ipykernel, also inside the kernel's sandbox (its view of
    the filesystem and its unprivileged uid: an environment in a folder only root can read would
    silently lose its packages there), else KernelPythonError."""
    from auditor.execute.sandbox import Sandbox, SandboxPolicy

    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise KernelPythonError(f"--kernel-python {path}: not an executable file")
    done = _prefix([path, "-c", _PROBE])
    if isinstance(done, str):
        raise KernelPythonError(f"--kernel-python {path}: does not run ({done})")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise KernelPythonError(f"--kernel-python {path}: cannot start a kernel ({last}); "
                                f"install ipykernel in that environment")
    policy = sandbox if sandbox is not None else SandboxPolicy()
    if policy.enabled:
        with Sandbox(policy, python=path) as sb:
            inside = _prefix(sb.wrap([path, "-c", _PROBE]), env=sb.env(), cwd=str(sb.workdir))
        if isinstance(inside, str) or inside.returncode != 0 or inside.stdout != done.stdout:
            raise KernelPythonError(
                f"--kernel-python {path}: the environment ({done.stdout.strip()}) is not usable inside the sandbox "
                "(its unprivileged user cannot read it); make its folders readable by others (chmod -R o+rX) "
                "or move it")
    return path
