"""``auditor review DIR``: grade what the auditor left to a person, in a local web app.

    auditor review [reports/class] [--port N] [--grader NAME] [--open]
    auditor review reports/class --export-labels DIR     # corrected readings as label files
    auditor review reports/class --publish               # grades.csv and reports with the TA's marks
    auditor review reports/class --count-actions         # grading actions with groups vs one by one

The server binds 127.0.0.1 only and prints its address with a random token (as Jupyter does).
Exit codes: 0 ok, 2 when DIR is not a batch folder or the port cannot be bound.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from auditor.models import ExitCode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="DIR", nargs="?", default=os.path.join("reports", "class"),
                   help="the --out folder of `auditor batch` (default: reports/class, as batch's)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--grader", default=None, help="your name, stored with each decision (default: the user name)")
    p.add_argument("--open", action="store_true", help="open the address in a web browser")
    p.add_argument("--export-labels", metavar="OUT", default=None,
                   help="write the corrected readings as label files (auditor evaluate's format) and exit")
    p.add_argument("--publish", action="store_true",
                   help="write grades.csv and the students' reports with the decisions, and exit")
    p.add_argument("--count-actions", action="store_true",
                   help="print the grading actions needed with groups and one by one, and exit")


def run(args: argparse.Namespace) -> int:
    from auditor.review.classdata import BatchFolderError, load_batch
    from auditor.review.database import ReviewDB

    try:
        batch = load_batch(args.folder)
    except BatchFolderError as exc:
        print(f"auditor review: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.count_actions:
        from auditor.review.grouping import NEAR_DUPLICATE_JACCARD, grading_actions

        c = grading_actions(batch.items)
        print(f"{c.items} manual and review answers in {c.questions} questions: {c.items} grading actions one by one, "
              f"{c.groups} with groups ({100 * c.saved:.0f}% fewer; near-identical: word 3-gram Jaccard "
              f">= {NEAR_DUPLICATE_JACCARD})")
        return int(ExitCode.OK)
    db = ReviewDB.in_folder(batch.folder)
    db.mark_stale({a.key: a.hash for a in batch.items})
    if args.export_labels:
        from auditor.review.export import export_labels

        written = export_labels(db, batch, args.export_labels)
        print(f"{len(written)} label file(s) written to {args.export_labels}")
        return int(ExitCode.OK)
    if args.publish:
        from auditor.review.publish import publish

        m = publish(db, batch)
        print(f"grades.csv and {len(m)} report(s) written with the decisions")
        return int(ExitCode.OK)
    return serve(batch.folder, port=args.port, grader=args.grader or _user(), open_browser=args.open)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return ""


def serve(folder, *, port: int, grader: str, open_browser: bool = False) -> int:
    import secrets

    from werkzeug.serving import make_server

    from auditor.review.app import create_app

    token = secrets.token_urlsafe(32)
    app = create_app(folder, token=token, grader=grader)
    try:
        server = make_server("127.0.0.1", port, app, threaded=True)
    except OSError as exc:
        print(f"auditor review: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    url = f"http://127.0.0.1:{server.server_port}/?token={token}"
    print(f"auditor review: grading {folder}\n  open {url}\n  (Ctrl-C stops the server)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return int(ExitCode.OK)
