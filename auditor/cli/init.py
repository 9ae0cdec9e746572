"""``auditor init BLANK.ipynb -o spec.toml``: draft a spec from a blank assignment template."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.load.notebook import InputError, load_notebook
from auditor.models import ExitCode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("template", help="the blank assignment notebook")
    p.add_argument("-o", "--output", help="where to write the spec (default: print it)")
    p.add_argument("--id", help="the spec's id (default: from the file name)")
    p.add_argument("--fingerprint-into", metavar="SPEC",
                   help="instead of drafting, (re)write the [template] fingerprint of an existing spec")


def run(args: argparse.Namespace) -> int:
    from auditor.report.writer import write_atomic
    from auditor.assignment.spec import SpecError, parse_spec
    from auditor.assignment.draft import draft_spec, replace_template_table

    try:
        nb = load_notebook(args.template)
    except InputError as exc:
        print(f"auditor: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.fingerprint_into:
        target = Path(args.fingerprint_into)
        try:
            text = replace_template_table(target.read_text(encoding="utf-8"), nb)
            parse_spec(text, str(target))
        except (OSError, SpecError) as exc:
            print(f"auditor: {exc}", file=sys.stderr)
            return int(ExitCode.USAGE)
        write_atomic(target, text)
        print(f"fingerprint of {nb.name} written into {target}")
        return int(ExitCode.OK)
    text = draft_spec(nb, spec_id=args.id)
    parse_spec(text, "<draft>")  # the draft must load as it is
    if args.output:
        write_atomic(Path(args.output), text)
        print(f"draft spec written to {args.output}: review the TODO lines")
    else:
        sys.stdout.write(text)
    return int(ExitCode.OK)
