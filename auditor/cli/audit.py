"""``auditor audit NOTEBOOK``: audit one notebook, write HTML + JSON, print a table.

Takes the shared options of every entry point (auditor.options); exit codes as ``gate``:
0 ok, 1 findings, 2 usage error or unreadable notebook, 3 internal error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.gate.exit_policy import exit_code_for
from auditor.models import ExitCode
from auditor.options import UsageError, add_options, options_from_args
from auditor.report.result_json import result_to_dict


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", help="the submitted .ipynb")
    add_options(p)
    p.add_argument("--html", help="HTML report path (default reports/<stem>.html)")
    p.add_argument("--json", help="JSON report path (default reports/<stem>.json)")
    p.add_argument("--out-dir", default="reports", help="folder for the default report paths (default: reports)")
    p.add_argument("--quiet", "-q", action="store_true", help="no table, only the report paths")


def run(args: argparse.Namespace) -> int:
    from auditor.session import audit_safely, prepare_run

    try:
        options = options_from_args(args)
        prepared = prepare_run(options)
    except UsageError as exc:
        print(f"auditor: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    result = audit_safely(args.notebook, options.audit_kwargs(prepared.spec))
    data = result_to_dict(result)
    if result.error and result.error_kind == "input":
        print(f"auditor: {args.notebook}: {result.error}", file=sys.stderr)
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
    return int(exit_code_for(data, options.fail_on))
