"""Which results fail: one policy shared by `audit`, `gate`, `batch` and the pytest plugin.

Works on the JSON dict of a result (``auditor.report.result_json.result_to_dict``) so it applies the
same way to a fresh result and to one read back from a cache or another process.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from auditor.models import ExitCode

#: what can make a notebook fail: question statuses, plus "execution" (the notebook does not
#: run: errors, timeout, crash) and "tampered" (a question cell was changed).
FAIL_ON_CHOICES = ("fail", "unanswered", "review", "error", "execution", "tampered")
DEFAULT_FAIL_ON = frozenset({"fail", "unanswered", "error", "execution"})


def parse_fail_on(text: str | None) -> frozenset[str]:
    """Parse ``fail,unanswered`` into a set; raises ValueError naming an unknown item."""
    if text is None or text.strip() == "":
        return DEFAULT_FAIL_ON
    items = frozenset(t.strip() for t in text.split(",") if t.strip())
    unknown = sorted(items - set(FAIL_ON_CHOICES))
    if unknown:
        raise ValueError(
            f"--fail-on: unknown item(s) {', '.join(unknown)}; choose from {', '.join(FAIL_ON_CHOICES)}"
        )
    return items


def failing_reasons(result: Mapping[str, Any], fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> list[str]:
    """Human-readable reasons this result fails under ``fail_on`` (empty: it passes)."""
    fail_on = frozenset(fail_on)
    reasons: list[str] = []
    if result.get("error"):
        return [f"not audited: {result['error']}"]
    for q in result.get("questions", []):
        if q["status"] in fail_on:
            reasons.append(f"{q['id']}: {q['status']}")
    ex = result.get("execution", {})
    if "execution" in fail_on and ex.get("status") in ("errors", "timeout", "crashed"):
        reasons.append(f"execution: {ex.get('status')}")
    if "tampered" in fail_on:
        for f in result.get("findings", []):
            if f.get("kind") == "tampered":
                reasons.append(f"tampered: {f.get('question') or f.get('cell')}")
    return reasons


def exit_code_for(result: Mapping[str, Any], fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> ExitCode:
    if result.get("error"):
        kind = result.get("error_kind", "input")
        return ExitCode.INTERNAL if kind == "internal" else ExitCode.USAGE
    if any(q["status"] == "error" for q in result.get("questions", [])):
        return ExitCode.INTERNAL
    return ExitCode.FINDINGS if failing_reasons(result, fail_on) else ExitCode.OK


def worst_exit_code(results: Iterable[Mapping[str, Any] | None], fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> ExitCode:
    """The exit code of a run over many notebooks, the same in ``batch``, ``gate`` and pytest:
    the worst one decides, internal error (3) > could not be read (2) > findings (1) > ok (0).
    A notebook without a result (not run: the run was interrupted) counts as a finding."""
    fail_on = frozenset(fail_on)
    worst = ExitCode.OK
    for r in results:
        worst = max(worst, exit_code_for(r, fail_on) if r else ExitCode.FINDINGS)
    return worst
