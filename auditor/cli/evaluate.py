"""``auditor evaluate --labels DIR NOTEBOOKS_DIR``: agreement with human labels."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.models import ExitCode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebooks", help="folder holding the labelled notebooks")
    p.add_argument("--labels", required=True, help="folder of label files (<notebook stem>.json)")
    p.add_argument("--min-agreement", type=float, default=None,
                   help="exit 1 when question-level agreement (0-100) is below this")
    p.add_argument("--min-claims", type=float, default=None, help="exit 1 when claim agreement (0-100) is below this")


def run(args: argparse.Namespace) -> int:
    from auditor.evaluate.agreement import evaluate, format_disagreements

    for folder in (args.notebooks, args.labels):
        if not Path(folder).is_dir():
            print(f"auditor: {folder}: no such folder", file=sys.stderr)
            return int(ExitCode.USAGE)
    ev = evaluate(args.labels, args.notebooks)
    for line in format_disagreements(ev):
        print(line)
    print(f"{ev.notebooks} notebooks, {ev.errors} could not be audited")
    print(ev.last_line())
    failed = (args.min_agreement is not None and ev.agreement * 100 < args.min_agreement) or \
             (args.min_claims is not None and ev.claims * 100 < args.min_claims) or ev.false_passes > 0
    return int(ExitCode.FINDINGS if failed else ExitCode.OK)
