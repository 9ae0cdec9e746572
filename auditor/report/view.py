"""The one view model: how a status, a question's result and a finding are presented.

Built from the JSON form of a result (``auditor.report.result_json.result_to_dict``, the same dict
the batch caches and the class report reads), so a page rendered from a live ``AuditResult`` and one
rendered from a cached JSON file are the same.  Values are plain text here; the templates escape
them.  The only markup is :func:`highlight` (escaped text with the quote in ``<mark>``).

Extending: a view shown beside a result (TA points, comments) adds *optional* fields with defaults
to :class:`QuestionView`, or passes ``annotations`` (question id -> ``(label, text)`` rows) to
:func:`question_views`; the notebook template shows those rows in the question's own box.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable, Mapping, Sequence

from markupsafe import Markup, escape

from auditor.report.values import MISSING, format_cells, format_value, shorten

#: longest answer excerpt shown (characters); the JSON report keeps what the pipeline gave.
EXCERPT_LIMIT = 4000
#: longest claimed / expected value in an overview table (the question's own box shows it whole)
OVERVIEW_LIMIT = 60


@dataclasses.dataclass(frozen=True)
class StatusView:
    """A question status as shown: symbol and words (colour is never the only signal), bar colour."""

    value: str
    symbol: str
    label: str
    colour: str


STATUSES: Mapping[str, StatusView] = {s.value: s for s in (
    StatusView("pass", "\u2713", "pass", "#2e7d32"),
    StatusView("fail", "\u2717", "fail", "#c62828"),
    StatusView("review", "?", "review by a person", "#ef8f00"),
    StatusView("unanswered", "\u2013", "unanswered", "#9e9e9e"),
    StatusView("manual", "\u270e", "answered, graded by hand", "#1565c0"),
    StatusView("error", "!", "internal error (ours)", "#6a1b9a"),
)}

FINDING_LABELS: Mapping[str, str] = {
    "tampered": "Question text or code changed",
    "stale-output": "Saved error that does not reproduce",
    "pip-skipped": "Package install line not run",
    "internal-error": "Internal error of the auditor (not the student's fault)",
}


def status_view(status: str) -> StatusView:
    return STATUSES[str(status)]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def anchor(question_id: str) -> str:
    """A safe fragment id for a question id (ids may come from student headings in spec-less mode)."""
    return "q-" + (slug(question_id) or "x")


def highlight(excerpt: str, quote: str) -> Markup:
    """The excerpt as escaped text with the first exact occurrence of ``quote`` in <mark>."""
    excerpt = excerpt or ""
    if len(excerpt) > EXCERPT_LIMIT:
        excerpt = excerpt[:EXCERPT_LIMIT] + "\u2026 (cut)"
    if quote:
        at = excerpt.find(quote)
        if at >= 0:
            return (escape(excerpt[:at]) + Markup("<mark>") + escape(quote) + Markup("</mark>")
                    + escape(excerpt[at + len(quote):]))
    return escape(excerpt)


@dataclasses.dataclass(frozen=True)
class QuestionView:
    """One question's result as shown: status, claim, truth, how it was computed, the quote."""

    id: str
    anchor: str
    status: StatusView
    check: str
    claimed: str                      # format_value of the claim (MISSING when none was read)
    expected: str                     # format_value of the recomputed truth
    message: str = ""
    method: str = ""                  # how the truth was computed
    computed_evidence: tuple[str, ...] = ()
    quote: str = ""                   # the exact text the claim was read from
    cells: str = "no cell"
    excerpt: str = ""
    placement: str = "none"
    details: tuple[tuple[str, str], ...] = ()
    contested: bool = False
    key_reason: str = ""
    points: str | None = None         # None when the question carries no points
    max_points: str | None = None
    annotations: tuple[tuple[str, str], ...] = ()   # extra (label, text) rows from other views

    @property
    def claimed_short(self) -> str:
        return shorten(self.claimed, OVERVIEW_LIMIT)

    @property
    def expected_short(self) -> str:
        return shorten(self.expected, OVERVIEW_LIMIT)

    @property
    def excerpt_marked(self) -> Markup:
        return highlight(self.excerpt, self.quote)

    @property
    def show_rendered(self) -> bool:
        """Code and printed output are shown as text only; prose may also be viewed rendered."""
        return bool(self.excerpt) and self.placement not in ("code", "output")


def question_view(q: Mapping[str, Any], annotations: Iterable[tuple[str, str]] = ()) -> QuestionView:
    """A question of a result dict -> its view (missing keys take the model's defaults)."""
    max_points = q.get("max_points") or 0
    details = q.get("details") or {}
    return QuestionView(
        id=str(q["id"]),
        anchor=anchor(q["id"]),
        status=status_view(q["status"]),
        check=str(q.get("check") or ""),
        claimed=format_value(q.get("claimed")),
        expected=format_value(q.get("expected")),
        message=q.get("message") or "",
        method=q.get("method") or "",
        computed_evidence=tuple(str(line) for line in q.get("computed_evidence") or ()),
        quote=q.get("evidence") or "",
        cells=format_cells(q.get("cells")),
        excerpt=q.get("answer_excerpt") or "",
        placement=q.get("placement") or "none",
        details=tuple((str(k), format_value(v)) for k, v in details.items()),
        contested=bool(q.get("contested")),
        key_reason=q.get("key_reason") or "",
        points=format_value(q.get("points") or 0) if max_points else None,
        max_points=format_value(max_points) if max_points else None,
        annotations=tuple((str(label), str(text)) for label, text in annotations),
    )


def question_views(questions: Sequence[Mapping[str, Any]],
                   annotations: Mapping[str, Iterable[tuple[str, str]]] | None = None) -> list[QuestionView]:
    """Views of a result's questions, in order, with anchors made unique (two ids may slug the same)."""
    annotations = annotations or {}
    seen: set[str] = set()
    views = []
    for q in questions:
        view = question_view(q, annotations.get(q["id"], ()))
        base, n, unique = view.anchor, 1, view.anchor
        while unique in seen:
            n += 1
            unique = f"{base}-{n}"
        seen.add(unique)
        views.append(dataclasses.replace(view, anchor=unique) if unique != base else view)
    return views


@dataclasses.dataclass(frozen=True)
class FindingView:
    kind: str
    css_kind: str
    label: str
    message: str
    cell: int | None = None
    question: str | None = None
    question_anchor: str | None = None


def finding_view(f: Mapping[str, Any]) -> FindingView:
    question = f.get("question")
    return FindingView(
        kind=f["kind"], css_kind=slug(f["kind"]), label=FINDING_LABELS.get(f["kind"], f["kind"]),
        message=f.get("message") or "", cell=f.get("cell"), question=question,
        question_anchor=anchor(question) if question else None,
    )


__all__ = [
    "EXCERPT_LIMIT", "FINDING_LABELS", "MISSING", "STATUSES", "FindingView", "QuestionView", "StatusView",
    "anchor", "finding_view", "highlight", "question_view", "question_views", "status_view",
]
