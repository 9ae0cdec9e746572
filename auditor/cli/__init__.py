"""Command line: a thin ``main(argv) -> int`` over the library.

Each sub-command lives in its own module ``auditor.cli.<name>`` exposing
``add_arguments(parser)`` and ``run(args) -> int``; this module only dispatches.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from auditor import __version__
from auditor.models import ExitCode

COMMANDS = {
    "audit": ("auditor.cli.audit", "audit one notebook: HTML + JSON report, table on the terminal"),
    "batch": ("auditor.cli.batch", "audit a whole class: per-submission reports, class report, grades.csv"),
    "gate": ("auditor.cli.gate", "CI gate: exit non-zero when answers are wrong, blank or the notebook breaks"),
    "evaluate": ("auditor.cli.evaluate", "measure agreement with human labels (a labelled corpus)"),
    "init": ("auditor.cli.init", "draft an assignment spec from a blank template notebook"),
    "checks": ("auditor.cli.checks", "list the installed checks or explain one"),
    "doctor": ("auditor.cli.doctor", "show which kernel isolation layers are active here and how to enable the rest"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auditor",
        description="Audit student answers in Jupyter notebooks: read each answer, recompute the truth, report.",
        epilog="Exit codes: 0 ok, 1 findings, 2 usage or unreadable input, 3 internal error.")
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a sub-command not built yet
            if exc.name != module_name:
                raise
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, bad usage exits 2
        return int(exc.code or 0) if exc.code in (0, None) else int(ExitCode.USAGE)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return int(ExitCode.USAGE)
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return 130
