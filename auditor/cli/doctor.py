"""``auditor doctor``: the kernel sandbox's isolation layers on this machine, as a table.

For each layer (network, filesystem, user, pids, cgroup, rlimits, warm kernels): whether it is
active here, what is in force (or why not), and the exact command that enables a missing one.
The facts come from planning a real kernel's sandbox (:mod:`auditor.execute.isolation`). Exit 0
only when every layer is active, 1 otherwise.
"""
from __future__ import annotations

import argparse
import sys

from auditor.models import ExitCode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--python", metavar="PATH", default=None,
                        help="the kernels' interpreter to check (default: the one running auditor)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from auditor.execute.isolation import probe_layers

    layers = probe_layers(python=args.python)
    table = Table(title="Kernel isolation on this machine", show_lines=True, title_justify="left")
    table.add_column("layer", no_wrap=True)
    table.add_column("active", no_wrap=True)
    table.add_column("detail", overflow="fold")
    table.add_column("to enable", overflow="fold")
    for layer in layers:
        table.add_row(layer.name, "[green]yes[/green]" if layer.active else "[red]NO[/red]",
                      layer.detail, layer.enable)
    console = Console(file=sys.stdout)
    console.print(table)
    off = [layer.name for layer in layers if not layer.active]
    if off:
        console.print(f"{len(layers) - len(off)} of {len(layers)} layers active; missing: {', '.join(off)}",
                      markup=False)
        return int(ExitCode.FINDINGS)
    console.print(f"all {len(layers)} layers active", markup=False)
    return int(ExitCode.OK)
