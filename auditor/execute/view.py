"""The kernel's view of the file system under bubblewrap: what is hidden, what is bound back.

Everything is read-only; /tmp is private; the grader's home and the auditor's own project
(specs, keys, checks: :func:`project_root`, computed from the package) are hidden under empty
tmpfs; the interpreter's own directories (prefixes, site-packages, ``sys.path``) that fall inside
a hidden path or /tmp are bound back read-only so the kernel can run (a virtual environment made
under /tmp or /root works).  The warm path's kernels get the same view (:func:`tmp_binds` lists
what each needs bound into its own private /tmp).
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import auditor
from auditor.execute.probes import PROBE_TIMEOUT, probe_setpriv, run_ok, setpriv_cmd, unshare_cmd

MOUNT_VIEW = str(Path(__file__).parent / "child" / "mount_view.py")


@dataclass(frozen=True)
class BwrapView:
    """bwrap's arguments for the view, the hidden paths, and why the view fails ("" = works)."""

    args: tuple[str, ...]
    hidden: tuple[str, ...]
    why: str = ""


def project_root() -> str:
    """The auditor's project directory (the checkout holding the package), resolved."""
    return os.path.realpath(Path(auditor.__file__).resolve().parent.parent)


def is_under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


_QUERY = ("import json, site, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix,"
          " *getattr(site, 'getsitepackages', lambda: [])(), *sys.path]))")
_SITE_DIRS = ("site-packages", "dist-packages")


@functools.lru_cache(maxsize=None)
def interpreter_paths(python: str) -> tuple[str, ...]:
    """The directories ``python`` runs from: its prefixes, its site-packages (those ``site`` names
    and those on ``sys.path``, e.g. added by a .pth file) and the executable's directory (resolved,
    existing, sorted); never the rest of ``sys.path`` (the current directory, a project or its
    tests).  Asked of the interpreter itself when it is not the one running here."""
    if python == sys.executable:
        paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path]
        try:
            paths += site.getsitepackages()
        except AttributeError:  # pragma: no cover - virtualenv's old site.py
            pass
    else:
        try:
            out = subprocess.run([python, "-c", _QUERY], capture_output=True, text=True,
                                 stdin=subprocess.DEVNULL, timeout=PROBE_TIMEOUT, cwd="/")
            paths = json.loads(out.stdout) if out.returncode == 0 else []
        except (OSError, ValueError, subprocess.TimeoutExpired):
            paths = []
    prefixes = [p for p in paths[:3] if isinstance(p, str)]
    dirs = [*prefixes, *(p for p in paths[3:] if isinstance(p, str) and os.path.basename(p) in _SITE_DIRS)]
    dirs.append(os.path.dirname(os.path.abspath(python)))
    return tuple(sorted({os.path.realpath(p) for p in dirs if os.path.isabs(p) and os.path.isdir(p)}))


def _default_hidden() -> list[str]:
    hidden = {os.path.realpath(os.path.expanduser("~")), "/root", project_root()}
    return sorted(p for p in hidden if p not in ("/", "") and os.path.exists(p))


def hidden_roots(hide_paths: tuple[str, ...]) -> tuple[str, ...]:
    """The paths the sandbox hides for ``hide_paths``: the grader's home, the auditor's project
    and the given paths (resolved, existing, not under the temp dir), less any path inside
    another hidden one (a shipped spec lives in the hidden project), sorted."""
    hidden = set(_default_hidden()) | {os.path.realpath(h) for h in hide_paths if os.path.exists(h)}
    hidden = {h for h in hidden if not is_under(tempfile.gettempdir(), h)}
    return tuple(sorted(h for h in hidden if not any(o != h and is_under(h, o) for o in hidden)))


def bind_back(python: str, covered: tuple[str, ...], hidden: tuple[str, ...]) -> tuple[str, ...]:
    """The interpreter's directories inside a ``covered`` path (hidden, or the private /tmp) to
    bind back: never a hidden path itself nor one that contains a hidden path (an editable
    install puts the project on ``sys.path``: it stays hidden), and only the top-most of nested
    ones."""
    keep = [k for k in interpreter_paths(python)
            if any(is_under(k, c) for c in covered) and not any(is_under(h, k) for h in hidden)
            and k not in covered]
    return tuple(k for k in keep if not any(o != k and is_under(k, o) for o in keep))


def tmp_binds(python: str, hide_paths: tuple[str, ...]) -> tuple[str, ...]:
    """The interpreter's directories under /tmp, which a warm kernel's fresh /tmp must bind back."""
    return tuple(k for k in bind_back(python, (*hidden_roots(hide_paths), "/tmp"), hidden_roots(hide_paths))
                 if is_under(k, "/tmp"))


def bwrap_view(python: str, hide_paths: tuple[str, ...]) -> BwrapView:
    """The view for ``python`` with ``hide_paths`` hidden (with the defaults).

    The view is tried once per distinct set of hidden roots (``import ipykernel`` inside it,
    as an unprivileged uid when we are root; every spec of a batch lives in the hidden project,
    so one try serves them all) so a machine where it cannot be built falls back to ``unshare``
    with the reason instead of failing every kernel start.
    """
    return _bwrap_view(python, hidden_roots(hide_paths))


@functools.lru_cache(maxsize=None)
def _bwrap_view(python: str, hidden: tuple[str, ...]) -> BwrapView:
    covered = (*hidden, "/tmp")
    args = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--ro-bind", "/", "/", "--dev", "/dev", "--tmpfs", "/dev/shm", "--proc", "/proc",
            "--tmpfs", "/tmp"]
    for h in hidden:
        if is_under(h, "/tmp"):
            # the private /tmp hides it already; hiding it again would make its parents as 0700
            # mount points, which the sandbox uid cannot cross (an environment beside it is lost)
            continue
        args += ["--tmpfs", h] if os.path.isdir(h) else ["--ro-bind", "/dev/null", h]
    made: set[str] = set()
    for k in bind_back(python, covered, hidden):
        # bwrap creates missing mount points as 0700: make the path to each kept directory
        # traversable by the sandbox uid first.
        hidden_parent = max((h for h in covered if is_under(k, h)), key=len)
        parts = Path(os.path.relpath(k, hidden_parent)).parts[:-1]
        for i in range(1, len(parts) + 1):
            d = os.path.join(hidden_parent, *parts[:i])
            if d not in made:
                made.add(d)
                args += ["--perms", "0755", "--dir", d]
        args += ["--ro-bind", k, k]
    as_user = setpriv_cmd(65534) if probe_setpriv().ok else []
    got = run_ok([*args, *as_user, python, "-c", "import ipykernel"])
    return BwrapView(tuple(args), tuple(hidden), "" if got.ok else f"bwrap file-system view failed: {got.why}")


def mount_view(python: str, hide_paths: tuple[str, ...]) -> BwrapView:
    """Without bwrap: the command (run inside ``unshare``'s mount namespace) that hides the same
    paths under empty tmpfs and binds the interpreter's directories back read-only (not a
    read-only view of the rest, not a private /tmp).  Tried once, as an unprivileged uid when
    we are root; ``why`` says why it cannot be used."""
    return _mount_view(python, hidden_roots(hide_paths))


@functools.lru_cache(maxsize=None)
def _mount_view(python: str, hidden: tuple[str, ...]) -> BwrapView:
    spec = {"hide": [h for h in hidden if os.path.isdir(h)],
            "hide_files": [h for h in hidden if not os.path.isdir(h)],
            "keep": list(bind_back(python, hidden, hidden))}
    args = (python, "-I", "-S", MOUNT_VIEW, json.dumps(spec), "--")
    exe = shutil.which("unshare")
    if not exe:
        return BwrapView((), hidden, "unshare not installed (Debian package util-linux)")
    as_user = setpriv_cmd(65534) if probe_setpriv().ok else []
    got = run_ok([*unshare_cmd(exe), *args, *as_user, python, "-c", "import ipykernel"])
    return BwrapView(args, hidden, "" if got.ok else f"hiding by mount namespace failed: {got.why}")
