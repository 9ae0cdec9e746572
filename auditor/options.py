"""The options every entry point shares: one frozen object, one table of names, two adapters.

``auditor audit``, ``auditor batch``, ``auditor gate`` and ``pytest --audit`` take the same
options with the same names (pytest's carry the ``--audit-`` prefix) and turn them into the same
:class:`AuditOptions`; what each command adds on top (report paths, ``--jobs``, ``--junit``...)
stays in its own module.  ``auditor.session`` then checks the spec and probes the sandbox once
per run, and audits each notebook with these options.

Extra spec folders come from ``--specs DIR`` (repeatable) and the ``AUDITOR_SPECS`` environment
variable (folders separated by ``os.pathsep``); the command line's come first.
"""
from __future__ import annotations

import argparse
import os
import shutil
from dataclasses import dataclass
from typing import Any, Callable

from auditor.gate.exit_policy import DEFAULT_FAIL_ON, FAIL_ON_CHOICES, parse_fail_on

SPECS_ENV = "AUDITOR_SPECS"
PYTEST_PREFIX = "audit-"


class UsageError(ValueError):
    """A bad command line, spec or setup (exit 2): the message is one line naming what and why."""


@dataclass(frozen=True)
class AuditOptions:
    """How to audit: the same for one notebook, a class, a CI gate and a pytest run."""

    assignment: str = "auto"            # "auto", "none", a spec file or a spec id
    spec_dirs: tuple[str, ...] = ()     # extra folders of specs (--specs, AUDITOR_SPECS)
    execute: bool = True
    timeout_cell: float = 60.0          # seconds per cell
    timeout_total: float = 600.0        # seconds per notebook
    sandbox: bool = True
    require_sandbox: bool = False       # degraded isolation is a usage error (exit 2)
    fail_on: frozenset[str] = DEFAULT_FAIL_ON
    data_dir: str | None = None         # the course's data files, copied into each kernel's working directory
    kernel_python: str | None = None    # the course environment's interpreter for kernels (needs ipykernel)

    def audit_kwargs(self, assignment: Any = None) -> dict[str, Any]:
        """The keyword arguments of ``auditor.pipeline.audit`` (``assignment`` overrides the option,
        e.g. with the spec the run already loaded); ``spec_dirs`` only when there are some."""
        kwargs: dict[str, Any] = {
            "assignment": self.assignment if assignment is None else assignment,
            "execute": self.execute,
            "timeout_cell": self.timeout_cell,
            "timeout_total": self.timeout_total,
            "sandbox": self.sandbox,
        }
        if self.spec_dirs:
            kwargs["spec_dirs"] = self.spec_dirs
        if self.data_dir:
            kwargs["data_dir"] = self.data_dir
        if self.kernel_python:
            kwargs["kernel_python"] = self.kernel_python
        return kwargs


@dataclass(frozen=True)
class SharedOption:
    """One shared option: its name without dashes, its argparse keywords, its hidden old spellings."""

    name: str
    kwargs: dict[str, Any]
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")


SHARED_OPTIONS: tuple[SharedOption, ...] = (
    SharedOption("assignment", {"default": "auto", "metavar": "auto|none|SPEC|ID",
                                "help": "'auto' (default: the spec that fits), 'none' (spec-less), a spec .toml "
                                        "or a spec id"}),
    SharedOption("specs", {"action": "append", "default": None, "metavar": "DIR",
                           "help": f"an extra folder of spec .toml files (repeatable; also ${SPECS_ENV}, "
                                   f"folders separated by '{os.pathsep}')"}),
    SharedOption("fail-on", {"default": None, "metavar": "ITEMS",
                             "help": f"what fails: comma list of {','.join(FAIL_ON_CHOICES)} "
                                     f"(default {','.join(sorted(DEFAULT_FAIL_ON))})"}),
    SharedOption("no-execute", {"action": "store_true", "help": "do not run the notebooks (answers only)"}),
    SharedOption("data", {"default": None, "metavar": "DIR",
                          "help": "the course's data files (CSV, images...): copied into each kernel's working "
                                  "directory, so answers computed from them can be read and checked"}),
    SharedOption("kernel-python", {"default": None, "metavar": "PATH",
                                   "help": "the interpreter of the course's environment (pandas, scipy...) to run "
                                           "the notebooks with; it needs ipykernel (default: the auditor's own)"}),
    SharedOption("timeout-cell", {"type": float, "default": 60.0, "metavar": "S",
                                  "help": "seconds per cell (default 60)"}),
    SharedOption("timeout-total", {"type": float, "default": 600.0, "metavar": "S",
                                   "help": "seconds per notebook (default 600)"}, aliases=("timeout",)),
    SharedOption("no-sandbox", {"action": "store_true",
                                "help": "run kernels without isolation (trusted notebooks only)"}),
    SharedOption("require-sandbox", {"action": "store_true",
                                     "help": "exit 2, before any notebook runs, when kernel isolation is degraded "
                                             "(see `auditor doctor`)"}),
)


def add_options(parser: argparse.ArgumentParser | Any) -> None:
    """Add the shared options to an argparse parser (``audit``, ``batch``, ``gate``)."""
    for opt in SHARED_OPTIONS:
        parser.add_argument(f"--{opt.name}", dest=opt.dest, **opt.kwargs)
        for alias in opt.aliases:   # old spelling: accepted, not shown
            hidden = {k: v for k, v in opt.kwargs.items() if k not in ("help", "default")}
            parser.add_argument(f"--{alias}", dest=opt.dest, default=argparse.SUPPRESS, help=argparse.SUPPRESS,
                                **hidden)


def add_pytest_options(group: Any) -> None:
    """Add the shared options to a pytest option group, each as ``--audit-<name>``."""
    for opt in SHARED_OPTIONS:
        group.addoption(f"--{PYTEST_PREFIX}{opt.name}", dest=f"audit_{opt.dest}", **opt.kwargs)


def spec_dirs_from(cli_dirs: list[str] | None, environ: Any = None) -> tuple[str, ...]:
    """``--specs`` folders, then those of ``AUDITOR_SPECS``; empty entries dropped, duplicates once."""
    env = (environ if environ is not None else os.environ).get(SPECS_ENV, "")
    dirs = [*(cli_dirs or ()), *env.split(os.pathsep)]
    return tuple(dict.fromkeys(d for d in dirs if d.strip()))


def options_from(get: Callable[[str], Any], environ: Any = None) -> AuditOptions:
    """Build the options from a getter of the parsed values by ``dest`` (argparse or pytest).

    Raises UsageError for a bad ``--fail-on`` or a timeout that is not positive."""
    try:
        fail_on = parse_fail_on(get("fail_on"))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for name in ("timeout_cell", "timeout_total"):
        if not get(name) > 0:
            raise UsageError(f"--{name.replace('_', '-')}: must be a positive number of seconds, not {get(name)}")
    return AuditOptions(
        assignment=str(get("assignment") or "auto"),
        spec_dirs=spec_dirs_from(get("specs"), environ),
        execute=not get("no_execute"),
        timeout_cell=float(get("timeout_cell")),
        timeout_total=float(get("timeout_total")),
        sandbox=not get("no_sandbox"),
        require_sandbox=bool(get("require_sandbox")),
        fail_on=fail_on,
        data_dir=os.path.abspath(get("data")) if get("data") else None,
        kernel_python=_interpreter(get("kernel_python")),
    )


def _interpreter(given: str | None) -> str | None:
    """``--kernel-python``: a path made absolute, or a command name looked up on PATH."""
    if not given:
        return None
    if os.sep in given:
        return os.path.abspath(given)
    return shutil.which(given) or given


def options_from_args(args: argparse.Namespace) -> AuditOptions:
    return options_from(lambda dest: getattr(args, dest))


def options_from_pytest(config: Any) -> AuditOptions:
    return options_from(lambda dest: config.getoption(f"audit_{dest}"))
