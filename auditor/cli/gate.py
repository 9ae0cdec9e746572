"""``auditor gate PATHS...``: the CI gate without pytest (exit codes in docs/ci.md).

0 every notebook passes; 1 findings (a failing item under --fail-on); 2 bad usage or an
unreadable notebook; 3 an internal error of the auditor.  The worst notebook decides.
"""
from __future__ import annotations

import argparse
import sys

from auditor.gate.exit_policy import DEFAULT_FAIL_ON, FAIL_ON_CHOICES, parse_fail_on
from auditor.models import ExitCode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or directories (searched for *.ipynb)")
    parser.add_argument("--assignment", default="auto", metavar="auto|SPEC",
                        help="assignment spec (TOML path or shipped id); auto picks the best fit (default)")
    parser.add_argument("--fail-on", default=",".join(sorted(DEFAULT_FAIL_ON)), metavar="ITEMS",
                        help=f"comma-separated, from: {', '.join(FAIL_ON_CHOICES)} "
                             f"(default: {','.join(sorted(DEFAULT_FAIL_ON))})")
    parser.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report (one testcase per question)")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text",
                        help="output on stdout; github prints workflow-command annotations")
    parser.add_argument("--no-execute", action="store_true", help="do not run the notebooks (answers only)")
    parser.add_argument("--timeout-cell", type=float, default=60, metavar="S", help="per-cell timeout (default 60)")
    parser.add_argument("--timeout-total", "--timeout", dest="timeout_total", type=float, default=600, metavar="S",
                        help="per-notebook timeout (default 600)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run kernels without isolation (trusted notebooks only)")


def run(args: argparse.Namespace) -> int:
    from auditor.gate.formats import render, write_junit
    from auditor.gate.run import GateUsageError, gate

    try:
        fail_on = parse_fail_on(args.fail_on)
    except ValueError as exc:
        print(f"auditor gate: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    try:
        report = gate(
            args.paths,
            fail_on=fail_on,
            assignment=args.assignment,
            execute=not args.no_execute,
            timeout_cell=args.timeout_cell,
            timeout_total=args.timeout_total,
            sandbox=not args.no_sandbox,
        )
    except GateUsageError as exc:
        print(f"auditor gate: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    sys.stdout.write(render(report, args.format))
    if args.junit:
        try:
            write_junit(report, args.junit)
        except OSError as exc:
            print(f"auditor gate: {args.junit}: cannot write the JUnit report ({exc.strerror})", file=sys.stderr)
            return int(ExitCode.USAGE)
    return int(report.exit_code)
