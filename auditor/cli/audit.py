"""``auditor audit NOTEBOOK``: audit one notebook, write HTML + JSON, print a table."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.gate.exit_policy import exit_code_for, parse_fail_on
from auditor.models import ExitCode
from auditor.report.result_json import result_to_dict
from auditor.assignment.spec import SpecError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="the submitted .ipynb")
    p.add_argument("--assignment", default="auto",
                   help="'auto' (default: pick the shipped spec that fits), a spec .toml, or 'none' (spec-less)")
    p.add_argument("--specs", action="append", default=[], metavar="DIR",
                   help="a folder of spec files for --assignment auto and ids (repeatable; also $AUDITOR_SPECS)")
    p.add_argument("--html", help="HTML report path (default reports/<stem>.html)")
    p.add_argument("--json", help="JSON report path (default reports/<stem>.json)")
    p.add_argument("--out-dir", default="reports", help="folder for the default report paths (default: reports)")
    p.add_argument("--no-execute", action="store_true", help="do not run the notebook")
    p.add_argument("--no-sandbox", action="store_true", help="run the kernel without isolation (trusted notebooks only)")
    p.add_argument("--timeout-cell", type=float, default=60, help="seconds per cell (default 60)")
    p.add_argument("--timeout", type=float, default=600, help="seconds for the whole notebook (default 600)")
    p.add_argument("--fail-on", default=None,
                   help="what makes the exit code 1: comma list of fail,unanswered,review,error,execution,tampered "
                        "(default fail,unanswered,error,execution)")
    p.add_argument("--quiet", "-q", action="store_true", help="no table, only the report paths")


def run(args: argparse.Namespace) -> int:
    from auditor.pipeline import audit

    try:
        fail_on = parse_fail_on(args.fail_on)
    except ValueError as exc:
        print(f"auditor: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    try:
        result = audit(args.notebook, assignment=args.assignment, execute=not args.no_execute,
                       timeout_cell=args.timeout_cell, timeout_total=args.timeout, sandbox=not args.no_sandbox,
                       spec_dirs=tuple(args.specs))
    except SpecError as exc:
        print(f"auditor: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    data = result_to_dict(result)
    if result.error and result.error_kind == "input":
        print(f"auditor: {result.error}", file=sys.stderr)
        return int(ExitCode.USAGE)

    from auditor.report.writer import write_reports

    stem = Path(args.notebook).stem
    html_path = Path(args.html) if args.html else Path(args.out_dir) / f"{stem}.html"
    json_path = Path(args.json) if args.json else Path(args.out_dir) / f"{stem}.json"
    write_reports(result, html_path=html_path, json_path=json_path)
    if result.error:
        print(f"auditor: {result.error}", file=sys.stderr)
    if not args.quiet:
        from auditor.report.terminal import print_result

        print_result(result)
    print(f"report: {html_path}  {json_path}")
    return int(exit_code_for(data, fail_on))
