"""The HTML audit report: one self-contained, script-free page per notebook.

Everything that comes from the submission (answers, outputs, the file name, error messages,
cell text) is untrusted.  It reaches the page only through Jinja2's autoescape
(``auditor.report.environment``), except the optional markdown view of an answer, which is
rendered by ``auditor.report.markdown`` (raw HTML off, images replaced by a note, sanitised with
nh3).  A Content-Security-Policy meta tag forbids scripts and remote loads, so even a sanitiser
bug cannot run code or phone home.  What each question shows comes from ``auditor.report.view``,
the view model the class report shares.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Mapping

from auditor.models import AuditResult
from auditor.report.environment import CONTENT_SECURITY_POLICY, render_page
from auditor.report.markdown import render_markdown_safe
from auditor.report.result_json import result_to_dict
from auditor.report.values import format_value
from auditor.report.view import STATUSES, finding_view, question_views

__all__ = ["CONTENT_SECURITY_POLICY", "build_context", "render_html", "render_markdown_safe"]


def build_context(
    result: AuditResult | Mapping[str, Any],
    *,
    generated_at: str | None = None,
    annotations: Mapping[str, Iterable[tuple[str, str]]] | None = None,
) -> dict[str, Any]:
    """Everything the page shows, from a result or its JSON form (strings stay raw: the template escapes).

    ``annotations``: question id -> extra ``(label, text)`` rows for that question's box.
    """
    r = result_to_dict(result) if isinstance(result, AuditResult) else result
    match = r.get("assignment") or {}
    ex = r.get("execution") or {}
    questions = r.get("questions") or []
    counts = r.get("counts") or {}
    score = r.get("score") or {}
    max_points = score.get("max_points") or 0
    if generated_at is None:
        generated_at = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {
        "notebook": r.get("notebook") or "",
        "sha256": r.get("sha256") or "",
        "version": r.get("auditor_version") or "unknown",
        "generated_at": generated_at,
        "error": r.get("error"),
        "error_kind": r.get("error_kind"),
        "assignment": {
            "id": match.get("id"),
            "title": match.get("title"),
            "variant": match.get("variant"),
            "score": f"{float(match.get('score') or 0):.2f}",
            "explanation": match.get("explanation") or "",
            "candidates": [(cid, f"{float(s):.2f}") for cid, s in match.get("candidates") or ()],
        },
        "counts": [{"status": s, "n": int(counts.get(s.value, 0))} for s in STATUSES.values()],
        "total": len(questions),
        "points": format_value(score.get("points") or 0) if max_points else None,
        "max_points": format_value(max_points) if max_points else None,
        "execution": {
            "status": ex.get("status") or "skipped",
            "duration": f"{float(ex.get('duration_s') or 0):.1f} s",
            "message": ex.get("message") or "",
            "errors": list(ex.get("errors") or ()),
            "stale_errors": list(ex.get("stale_errors") or ()),
            "skipped": list(ex.get("skipped") or ()),
            "isolation": [(str(k), format_value(v)) for k, v in (ex.get("isolation") or {}).items()],
        },
        "findings": [finding_view(f) for f in r.get("findings") or ()],
        "questions": question_views(questions, annotations),
    }


def render_html(
    result: AuditResult | Mapping[str, Any],
    *,
    generated_at: str | None = None,
    annotations: Mapping[str, Iterable[tuple[str, str]]] | None = None,
) -> str:
    """The report page for one audit result or its JSON form (``generated_at`` fixed in tests)."""
    return render_page("report.html.j2", **build_context(result, generated_at=generated_at,
                                                         annotations=annotations))
