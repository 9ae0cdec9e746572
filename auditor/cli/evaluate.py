"""``auditor evaluate --labels DIR NOTEBOOKS_DIR``: agreement with human labels."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.models import ExitCode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebooks", help="folder holding the labelled notebooks, or a set of another course's "
                                     "notebooks (template.ipynb, submissions/, labels/, key.md) or a folder of such sets")
    p.add_argument("--labels", help="folder of label files (<notebook stem>.json); not needed for sets")
    p.add_argument("--execute", action="store_true",
                   help="sets: run every set's submissions in the sandbox (a set with a data/ folder is run "
                        "with it by default), so values computed by the students' code are read")
    p.add_argument("--min-agreement", type=float, default=None,
                   help="exit 1 when question-level agreement (0-100) is below this")
    p.add_argument("--min-claims", type=float, default=None, help="exit 1 when claim agreement (0-100) is below this")
    p.add_argument("--folds", default=None, metavar="K",
                   help="also report agreement per held-out fold: K folds, or 0 / 'loo' = leave one submission out")


def run(args: argparse.Namespace) -> int:
    from auditor.evaluate.agreement import evaluate, format_disagreements
    from auditor.evaluate.foreign import find_sets

    if not args.labels and find_sets(args.notebooks):
        return _run_sets(args)
    if not args.labels:
        print(f"auditor: {args.notebooks}: give --labels, or a folder of labelled sets", file=sys.stderr)
        return int(ExitCode.USAGE)
    for folder in (args.notebooks, args.labels):
        if not Path(folder).is_dir():
            print(f"auditor: {folder}: no such folder", file=sys.stderr)
            return int(ExitCode.USAGE)
    k = None
    if args.folds is not None:
        k = 0 if str(args.folds).lower() in ("loo", "0") else _positive(args.folds)
        if k is None:
            print(f"auditor: --folds {args.folds}: give a positive number of folds, or 0 / loo", file=sys.stderr)
            return int(ExitCode.USAGE)
    ev = evaluate(args.labels, args.notebooks)
    for line in format_disagreements(ev):
        print(line)
    if k is not None:
        from auditor.evaluate.folds import folds, format_folds

        for line in format_folds(ev, folds(ev, k)):
            print(line)
    print(f"{ev.notebooks} notebooks, {ev.errors} could not be audited")
    print(ev.last_line())
    failed = (args.min_agreement is not None and ev.agreement * 100 < args.min_agreement) or \
             (args.min_claims is not None and ev.claims * 100 < args.min_claims) or ev.false_passes > 0 or \
        ev.misread_fails > 0
    return int(ExitCode.FINDINGS if failed else ExitCode.OK)


def _positive(text: str) -> int | None:
    try:
        n = int(text)
    except ValueError:
        return None
    return n if n > 0 else None


def _run_sets(args: argparse.Namespace) -> int:
    """Other courses' sets: each measured from its blank template alone (auditor.evaluate.foreign)."""
    from auditor.evaluate.agreement import format_disagreements
    from auditor.evaluate.foreign import evaluate_set, find_sets, total

    figures = []
    for folder in find_sets(args.notebooks):
        fig = evaluate_set(folder, execute=True if args.execute else None)
        figures.append(fig)
        for line in format_disagreements(fig):  # type: ignore[arg-type]
            print(f"{fig.name}  {line}")
    for fig in figures:
        print(fig.line())
    everything = total(figures)
    print(everything.line())
    agreement = everything.answered_agree / everything.items * 100 if everything.items else 100.0
    claims = everything.claims_read / everything.claims_total * 100 if everything.claims_total else 100.0
    failed = (args.min_agreement is not None and agreement < args.min_agreement) or \
             (args.min_claims is not None and claims < args.min_claims) or everything.false_passes > 0
    return int(ExitCode.FINDINGS if failed else ExitCode.OK)
