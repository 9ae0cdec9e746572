"""``auditor gate PATHS...``: the CI gate without pytest (exit codes in docs/ci.md).

0 every notebook passes; 1 findings (a failing item under --fail-on); 2 bad usage or an
unreadable notebook; 3 an internal error of the auditor.  The worst notebook decides.
Takes the shared options of every entry point (auditor.options).
"""
from __future__ import annotations

import argparse
import sys

from auditor.models import ExitCode
from auditor.options import UsageError, add_options, options_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="notebooks, directories (searched for *.ipynb) or globs")
    add_options(parser)
    parser.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report (one testcase per question)")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text",
                        help="output on stdout; github prints workflow-command annotations")


def run(args: argparse.Namespace) -> int:
    from auditor.gate.formats import render, write_junit
    from auditor.gate.run import gate

    try:
        report = gate(args.paths, options=options_from_args(args))
    except UsageError as exc:
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
