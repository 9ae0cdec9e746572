"""The HTML audit report: one self-contained, script-free page per notebook.

Everything that comes from the submission (answers, outputs, the file name, error messages,
cell text) is untrusted.  It reaches the page only through Jinja2's autoescape, except the
optional markdown view of an answer, which is rendered with markdown-it-py (raw HTML off,
images replaced by a note, never fetched) and then sanitised with nh3.  A Content-Security-Policy
meta tag forbids scripts and remote loads, so even a sanitiser bug cannot run code or phone home.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
from typing import Any, Mapping

import nh3
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from auditor.models import AuditResult, Finding, QuestionResult, Status, thaw

#: what the page may do: nothing but inline styles (and data: images, which we never emit).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

#: longest answer excerpt shown (characters); the JSON report keeps what the pipeline gave.
EXCERPT_LIMIT = 4000

STATUS_LABELS: Mapping[str, tuple[str, str]] = {
    # status -> (symbol, words shown next to it; colour is never the only signal)
    "pass": ("\u2713", "pass"),
    "fail": ("\u2717", "fail"),
    "review": ("?", "review by a person"),
    "unanswered": ("\u2013", "unanswered"),
    "manual": ("\u270e", "answered, graded by hand"),
    "error": ("!", "internal error (ours)"),
}

FINDING_LABELS: Mapping[str, str] = {
    "tampered": "Question text or code changed",
    "stale-output": "Saved error that does not reproduce",
    "pip-skipped": "Package install line not run",
    "internal-error": "Internal error of the auditor (not the student's fault)",
}

_SANITISE_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a", "span",
}
# no style attributes: CSS url() would be a way to load remote content
_SANITISE_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


# --------------------------------------------------------------------------- markdown


def _image_as_text(renderer, tokens, idx, options, env) -> str:
    """Student images are never rendered or fetched: show their alt text instead."""
    alt = "".join(child.content for child in (tokens[idx].children or ()))
    return f'<span class="img-note">[image not shown{": " + str(escape(alt)) if alt else ""}]</span>'


@functools.lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.add_render_rule("image", _image_as_text)
    return md


@functools.lru_cache(maxsize=8192)
def render_markdown_safe(text: str) -> Markup:
    """Student markdown -> sanitised HTML (no scripts, no event handlers, no images, no js: links)."""
    html = _markdown().render(text or "")
    cleaned = nh3.clean(
        html,
        tags=_SANITISE_TAGS,
        attributes=_SANITISE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        allowed_classes={"span": {"img-note"}},
        strip_comments=True,
    )
    return Markup(cleaned)


# --------------------------------------------------------------------------- filters


def format_value(value: Any) -> str:
    """A claimed / expected value as short text (None -> an em dash)."""
    value = thaw(value)
    if value is None:
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.6g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def highlight(excerpt: str, quote: str) -> Markup:
    """The excerpt as escaped text with the first exact occurrence of ``quote`` in <mark>."""
    excerpt = excerpt or ""
    if len(excerpt) > EXCERPT_LIMIT:
        excerpt = excerpt[:EXCERPT_LIMIT] + "\u2026 (cut)"
    if quote:
        at = excerpt.find(quote)
        if at >= 0:
            return (
                escape(excerpt[:at])
                + Markup("<mark>")
                + escape(quote)
                + Markup("</mark>")
                + escape(excerpt[at + len(quote):])
            )
    return escape(excerpt)


def anchor(question_id: str) -> str:
    """A safe fragment id for a question id (ids may come from student headings in spec-less mode)."""
    return "q-" + (re.sub(r"[^a-z0-9]+", "-", question_id.lower()).strip("-") or "x")


def _short(text: str, limit: int = 60) -> str:
    """For the overview table: long values (gradient arrays) in full only in the question's own box."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _cells(cells: tuple[int, ...]) -> str:
    if not cells:
        return "no cell"
    return ("cell " if len(cells) == 1 else "cells ") + ", ".join(str(c) for c in cells)


# --------------------------------------------------------------------------- view model


def _question_view(q: QuestionResult) -> dict[str, Any]:
    details = [(str(k), format_value(v)) for k, v in thaw(q.details).items()] if q.details else []
    return {
        "id": q.id,
        "anchor": anchor(q.id),
        "status": q.status.value,
        "symbol": STATUS_LABELS[q.status.value][0],
        "label": STATUS_LABELS[q.status.value][1],
        "check": q.check,
        "claimed": format_value(q.claimed),
        "expected": format_value(q.expected),
        "claimed_short": _short(format_value(q.claimed)),
        "expected_short": _short(format_value(q.expected)),
        "message": q.message,
        "method": q.method,
        "computed_evidence": list(q.computed_evidence),
        "evidence": q.evidence,
        "cells": _cells(q.cells),
        "excerpt": q.answer_excerpt,
        "excerpt_marked": highlight(q.answer_excerpt, q.evidence),
        "placement": q.placement,
        # code and printed output are shown as text only; prose may also be viewed rendered
        "show_rendered": bool(q.answer_excerpt) and q.placement not in ("code", "output"),
        "details": details,
        "contested": q.contested,
        "key_reason": q.key_reason,
        "points": format_value(q.points) if q.max_points else None,
        "max_points": format_value(q.max_points) if q.max_points else None,
    }


def _findings_view(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": f.kind,
            "css_kind": re.sub(r"[^a-z0-9]+", "-", f.kind.lower()).strip("-"),
            "label": FINDING_LABELS.get(f.kind, f.kind),
            "message": f.message,
            "cell": f.cell,
            "question": f.question,
            "question_anchor": anchor(f.question) if f.question else None,
        }
        for f in findings
    ]


def build_context(result: AuditResult, *, generated_at: str | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values (strings stay raw: the template escapes)."""
    match = result.assignment
    ex = result.execution
    counts = result.counts()
    points = sum(q.points for q in result.questions)
    max_points = sum(q.max_points for q in result.questions)
    if generated_at is None:
        generated_at = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {
        "csp": CONTENT_SECURITY_POLICY,
        "notebook": result.notebook,
        "sha256": result.sha256,
        "version": result.auditor_version or "unknown",
        "generated_at": generated_at,
        "error": result.error,
        "error_kind": result.error_kind,
        "assignment": {
            "id": match.spec.id if match.spec else None,
            "title": match.spec.title if match.spec else None,
            "variant": match.spec.variant if match.spec else None,
            "score": f"{float(match.score):.2f}",
            "explanation": match.explanation,
            "candidates": [(cid, f"{float(s):.2f}") for cid, s in match.candidates],
        },
        "counts": [
            {"status": s.value, "symbol": STATUS_LABELS[s.value][0], "label": STATUS_LABELS[s.value][1],
             "n": counts[s.value]}
            for s in Status
        ],
        "total": len(result.questions),
        "points": format_value(points) if max_points else None,
        "max_points": format_value(max_points) if max_points else None,
        "execution": {
            "status": ex.status.value,
            "duration": f"{ex.duration_s:.1f} s",
            "message": ex.message,
            "errors": list(ex.errors),
            "stale_errors": list(ex.stale_errors),
            "skipped": [{"cell": c, "why": why} for c, why in ex.skipped],
            "isolation": [(str(k), format_value(v)) for k, v in thaw(ex.isolation).items()],
        },
        "findings": _findings_view(result.findings),
        "questions": _unique_anchors([_question_view(q) for q in result.questions]),
    }


def _unique_anchors(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two ids that slug the same (possible in spec-less mode) still get distinct anchors."""
    seen: set[str] = set()
    for view in views:
        base, n = view["anchor"], 1
        while view["anchor"] in seen:
            n += 1
            view["anchor"] = f"{base}-{n}"
        seen.add(view["anchor"])
    return views


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("auditor", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "html.j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown_safe"] = render_markdown_safe
    return env


def render_html(result: AuditResult, *, generated_at: str | None = None,
                annotations: Mapping[str, Any] | None = None) -> str:
    """The report page for one audit result (``generated_at`` fixed in tests).
    ``annotations``: question id -> extra ``(label, text)`` rows for that question's box."""
    template = _environment().get_template("report.html.j2")
    return template.render(**build_context(result, generated_at=generated_at), annotations=annotations or {})
