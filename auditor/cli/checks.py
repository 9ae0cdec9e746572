"""``auditor checks list`` and ``auditor checks explain NAME``.

``list`` shows every installed check (the ``auditor.checks`` entry points, built-in and
third-party alike): its name, a one-line description and what it recomputes, then the computed
demonstrations that back true/false keys. ``explain`` prints a check's docstrings (ground truth,
method, tolerance, common mistakes) and signature, or a demonstration's docstring and its
rerunnable source. An unknown name exits 2 with the list of known names.
"""
from __future__ import annotations

import argparse
import sys
import textwrap

from auditor.models import ExitCode
from auditor.judge.registry import CheckLoadError, LoadedCheck, classify, find_checks, load_check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="checks_command", metavar="ACTION")
    sub.add_parser("list", help="list the installed checks and demonstrations")
    explain = sub.add_parser("explain", help="print a check's ground truth, method, tolerance and common mistakes")
    explain.add_argument("name", help="a check name (see `auditor checks list`) or a demonstration name")


def _load_all() -> tuple[list[LoadedCheck], list[str]]:
    loaded, problems = [], []
    for found in find_checks():
        try:
            loaded.append(load_check(found))
        except CheckLoadError as exc:
            problems.append(str(exc))
    return loaded, problems


def _demonstrations():
    from checks import demonstrations  # the built-in demonstrations registry

    return demonstrations


def _list() -> int:
    loaded, problems = _load_all()
    try:
        registry = classify(loaded)
    except CheckLoadError as exc:
        print(f"auditor checks: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    width = max((len(n) for n in registry.names()), default=4)
    print("Checks (entry-point group auditor.checks):")
    for name in registry.names():
        check = registry.get(name)
        origin = check.found.distribution or "?"
        print(f"  {name:<{width}}  {check.summary}  [{origin}]")
        print(f"  {'':<{width}}    recomputes: {check.recomputes}")
    demos = _demonstrations()
    print("\nDemonstrations (spec field `demonstration = \"NAME\"`, backing true/false keys):")
    dwidth = max((len(n) for n in demos.names()), default=4)
    for name in demos.names():
        print(f"  {name:<{dwidth}}  {demos.summary(name)}")
    for problem in problems:
        print(f"auditor checks: {problem}", file=sys.stderr)
    return int(ExitCode.USAGE) if problems else int(ExitCode.OK)


def _explain_check(check: LoadedCheck) -> str:
    origin = f"{check.found.value}" + (f" (from {check.found.distribution} {check.found.version})"
                                        if check.found.distribution else "")
    params = ", ".join(check.required_params) or "none"
    optional = ", ".join(check.optional_params) or "none"
    parts = [
        f"{check.name}: {origin}",
        f"signature: {check.signature}",
        f"spec params: required {params}; optional {optional}",
        "",
        check.module_doc,
    ]
    if check.doc and check.doc not in check.module_doc:
        parts += ["", check.doc]
    return "\n".join(parts).rstrip() + "\n"


def _explain(name: str) -> int:
    found = {f.name: f for f in find_checks()}
    if name in found:
        try:
            print(_explain_check(load_check(found[name])), end="")
        except CheckLoadError as exc:
            print(f"auditor checks: {exc}", file=sys.stderr)
            return int(ExitCode.USAGE)
        return int(ExitCode.OK)
    demos = _demonstrations()
    if name in demos.names():
        print(demos.explanation(name), end="")
        return int(ExitCode.OK)
    known = ", ".join(sorted(found)) + "; demonstrations: " + ", ".join(demos.names())
    print(textwrap.fill(f"auditor checks explain: unknown check {name!r} (known: {known})", 100),
          file=sys.stderr)
    return int(ExitCode.USAGE)


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "checks_command", None)
    if action == "list":
        return _list()
    if action == "explain":
        return _explain(args.name)
    print("auditor checks: choose an action: list | explain NAME", file=sys.stderr)
    return int(ExitCode.USAGE)
