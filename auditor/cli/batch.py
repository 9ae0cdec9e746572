"""``auditor batch``: audit a whole class, write per-submission reports, the class report, grades.csv.

    auditor batch SUBMISSIONS... [shared options] [--out reports/class] [--jobs N]
                  [--scheduler tcp://HOST:8786] [--id-pattern RE]

The shared options (auditor.options: --assignment, --specs, --fail-on, --no-execute,
--timeout-cell, --timeout-total, --no-sandbox, --require-sandbox) are those of ``audit``, ``gate``
and ``pytest --audit``.  Exit code (auditor.gate.exit_policy.worst_exit_code, as ``gate``): the
worst submission decides, 3 an internal error of ours, 2 a submission that cannot be read, 1
findings, 0 none; 2 also for usage errors found before any submission is audited (nothing
matched, a bad spec, bad --id-pattern, degraded isolation with --require-sandbox); 130 when
interrupted.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys

from auditor.models import ExitCode
from auditor.options import UsageError, add_options, options_from_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("submissions", metavar="SUBMISSIONS", nargs="+",
                   help="folders (searched recursively for .ipynb), globs such as 'hw/*/*.ipynb', or files")
    add_options(p)
    p.add_argument("--out", default=os.path.join("reports", "class"), metavar="DIR",
                   help="output folder: index.html, summary.json, grades.csv, submissions/ (default: reports/class)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="parallel audits (default: the number of cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask distributed cluster, e.g. tcp://HOST:8786")
    p.add_argument("--id-pattern", default=None, metavar="RE",
                   help="regex with a named group 'id' searched in each file's path, for grades.csv "
                        "(default: the file name without .ipynb)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from auditor.batch.runner import run_batch

    err = Console(stderr=True)
    try:
        options = options_from_args(args)
    except UsageError as exc:
        print(f"auditor batch: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.jobs is not None and args.jobs < 1:
        print("auditor batch: --jobs must be at least 1", file=sys.stderr)
        return int(ExitCode.USAGE)
    def _terminate(signum, frame):  # `kill PID` stops as cleanly as Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        summary = run_batch(
            args.submissions,
            options=options,
            out_dir=args.out,
            jobs=args.jobs,
            scheduler=args.scheduler,
            id_pattern=args.id_pattern,
            progress=not args.quiet,
            console=err,
        )
    except UsageError as exc:
        print(f"auditor batch: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print_batch_summary(summary, Console())
    if summary.interrupted:
        print("auditor batch: interrupted; finished submissions are kept, rerun the same command to go on",
              file=sys.stderr)
        return 130
    return summary.exit_code


def print_batch_summary(summary, console) -> None:
    """The final table: the class per question, then totals and where the reports are."""
    from rich.table import Table
    from rich.text import Text

    data = summary.class_data
    table = Table(title=f"{data['totals']['audited']} of {data['totals']['submissions']} submissions audited",
                  title_justify="left")
    table.add_column("question")
    for label, style in (("pass", "green"), ("fail", "red"), ("blank", "magenta"), ("review", "yellow"),
                         ("manual", "cyan"), ("error", "bold red")):
        table.add_column(label, justify="right", style=style)
    table.add_column("most common wrong claims")
    for q in data["questions"]:
        c = q["counts"]
        wrong = ", ".join(f"{w['text']} \u00d7{w['count']}" for w in q["wrong_claims"][:3])
        table.add_row(Text(q["id"]), *(str(c[k]) for k in ("pass", "fail", "unanswered", "review", "manual", "error")),
                      Text(wrong))
    if data["questions"]:
        console.print(table)
    t = data["totals"]
    line = Text()
    line.append(f"{t['submissions']} submissions: {t['audited']} audited ({summary.audited_now} now, "
                f"{summary.from_cache} from cache), ")
    line.append(f"{t['with_findings']} with findings", style="red" if t["with_findings"] else "green")
    line.append(f", {t['not_audited']} could not be audited", style="red" if t["not_audited"] else "")
    if t["not_run"]:
        line.append(f", {t['not_run']} not run (interrupted)", style="yellow")
    line.append(f", {t['copied_pairs']} copied-answer pair(s); {summary.elapsed_s:.1f} s")
    console.print(line)
    for n in data["not_audited"][:20]:
        console.print(Text(f"  not audited: {n['file']}: {n['reason']}", style="red"))
    if len(data["not_audited"]) > 20:
        console.print(Text(f"  ... and {len(data['not_audited']) - 20} more (see index.html)"))
    for p in data["copied_pairs"][:10]:
        console.print(Text(f"  copied answers: {p['a']['file']} ~ {p['b']['file']} "
                           f"({100 * p['overlap']:.0f}% of their word 8-grams; "
                           f"{', '.join(q['id'] for q in p['questions'][:6])})", style="yellow"))
    unmatched = [e["file"] for e in summary.submissions if not e.get("student_id_from_pattern", True)]
    if unmatched:
        console.print(Text(f"  --id-pattern did not match {len(unmatched)} file(s) (their file name is the id), "
                           f"e.g. {unmatched[0]}", style="yellow"))
    console.print(Text(f"class report: {summary.index_html}\ngrades: {summary.grades_csv}\n"
                       f"summary: {summary.summary_json}"))
