"""The class report (``index.html``): what staff act on after a batch.

Built from the batch's per-submission entries (each holding its JSON result dict):
- one row per submission (status counts, execution status, score, link to its report), sortable
  by any column without scripts: the table is pre-rendered once per sort key and direction, and
  CSS ``:target`` shows the one whose anchor the column header links to (the default order is
  shown when no anchor is targeted);
- per question: the share of the class that passed / failed / left it blank / needs review (and
  manual / error), as an inline SVG bar; the most common wrong claims with counts and who gave them;
- copied-answer pairs (auditor.batch.copies) with their overlap and the questions involved;
- submissions that could not be audited, each with its reason.

Everything from submissions (file names, claims, answers) is untrusted text: the page is rendered
by Jinja2 with autoescape, carries a Content-Security-Policy that forbids scripts and remote
loads, and has no script at all.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Iterable, Mapping, Sequence

from auditor.batch.copies import answers_from_results, find_copied_pairs
from auditor.report.environment import render_page
from auditor.report.values import format_value
from auditor.report.view import STATUSES as STATUS_VIEWS, anchor

STATUSES = tuple(STATUS_VIEWS)
EXEC_ORDER = {"ok": 0, "skipped": 1, "errors": 2, "timeout": 3, "crashed": 4, None: 5}

#: the sortable columns: key -> (header, what to sort by)
SORT_COLUMNS: dict[str, str] = {
    "name": "Submission",
    "score": "Score",
    "pass": "Pass",
    "fail": "Fail",
    "review": "Review",
    "unanswered": "Blank",
    "manual": "Manual",
    "execution": "Execution",
    "findings": "Findings",
}
WRONG_CLAIMS_SHOWN = 8
BAR_WIDTH = 320


def _sort_value(row: Mapping[str, Any], key: str) -> Any:
    if key == "name":
        return row["file"].lower()
    if key == "score":
        return row["points"] if row["points"] is not None else float("-inf")
    if key == "execution":
        return EXEC_ORDER.get(row["execution"], 5)
    if key == "findings":
        return row["findings"]
    return row["counts"].get(key, 0)


def _sorted_views(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One pre-sorted order (row indexes) per column and direction; ties by file name."""
    views = []
    for key in SORT_COLUMNS:
        for direction in ("asc", "desc"):
            asc = sorted(range(len(rows)), key=lambda i: (_sort_value(rows[i], key), rows[i]["file"].lower()))
            if direction == "desc":
                # descending by the key, still ascending by name among ties
                asc = sorted(range(len(rows)), key=lambda i: rows[i]["file"].lower())
                asc = sorted(asc, key=lambda i: _sort_value(rows[i], key), reverse=True)
            views.append({"id": f"sort-{key}-{direction}", "key": key, "direction": direction, "order": asc})
    return views


def _bar(counts: Mapping[str, int], total: int) -> list[dict[str, Any]]:
    segs, x = [], 0.0
    for st in STATUSES:
        n = counts.get(st, 0)
        if not n or not total:
            continue
        w = BAR_WIDTH * n / total
        view = STATUS_VIEWS[st]
        segs.append({"status": st, "x": round(x, 2), "width": round(w, 2), "colour": view.colour,
                     "n": n, "share": n / total, "label": view.label})
        x += w
    return segs


def _question_link(entry: Mapping[str, Any], question_id: str) -> str | None:
    """The submission's report, at the question's box (the anchor the view model gives it)."""
    if entry.get("html"):
        return f"{entry['html']}#{anchor(question_id)}"
    return entry.get("json")


def build_class_data(entries: Sequence[Mapping[str, Any]], *, meta: Mapping[str, Any] | None = None,
                     copy_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the class report and summary.json show, as plain JSON-able values.

    ``entries``: the batch's per-submission entries (``id``, ``file``, ``status``, ``reason``,
    ``html``, ``json``, ``result``, ``failing`` ...), in input order.
    """
    by_id = {e["id"]: e for e in entries}
    rows = []
    for e in entries:
        r = e.get("result") or {}
        audited = e.get("status") == "audited"
        score = r.get("score") or {}
        rows.append({
            "id": e["id"],
            "file": e["file"],
            "student_id": e.get("student_id", ""),
            "status": e.get("status"),
            "reason": e.get("reason"),
            "link": e.get("html") or e.get("json"),
            "counts": {st: int((r.get("counts") or {}).get(st, 0)) for st in STATUSES} if audited else {},
            "execution": (r.get("execution") or {}).get("status") if audited else None,
            "points": score.get("points") if audited else None,
            "max_points": score.get("max_points") if audited else None,
            "findings": len(e.get("failing") or []),
            "cached": bool(e.get("cached")),
        })

    audited_results = [(e["id"], e["result"]) for e in entries if e.get("status") == "audited" and e.get("result")]
    # per assignment (a class may mix variants): the same id means different questions in different specs
    questions: dict[tuple[str, str], dict[str, Any]] = {}
    assignment_order: dict[str, int] = {}
    for sid, r in audited_results:
        aid = (r.get("assignment") or {}).get("id") or "spec-less"
        assignment_order.setdefault(aid, len(assignment_order))
        for q in r.get("questions") or []:
            qd = questions.setdefault((aid, q["id"]), {"id": q["id"], "assignment": aid, "counts": Counter(),
                                                        "expected": Counter(), "wrong": defaultdict(list),
                                                        "wrong_value": {}, "check": q.get("check")})
            qd["counts"][q["status"]] += 1
            if q.get("expected") is not None:
                qd["expected"][format_value(q["expected"])] += 1
            if q["status"] == "fail":
                k = format_value(q.get("claimed"))  # grouped by what the page shows
                qd["wrong"][k].append(sid)
                qd["wrong_value"][k] = q.get("claimed")

    question_list = []
    for qd in questions.values():
        total = sum(qd["counts"].values())
        counts = {st: qd["counts"].get(st, 0) for st in STATUSES}
        wrong = sorted(qd["wrong"].items(), key=lambda kv: (-len(kv[1]), kv[0]))
        question_list.append({
            "id": qd["id"],
            "assignment": qd["assignment"],
            "check": qd["check"],
            "total": total,
            "counts": counts,
            "shares": {st: (counts[st] / total if total else 0.0) for st in STATUSES},
            "expected": qd["expected"].most_common(1)[0][0] if qd["expected"] else None,
            "bar": _bar(counts, total),
            "wrong_claims": [
                {"claimed": qd["wrong_value"][k], "text": format_value(qd["wrong_value"][k]), "count": len(sids),
                 "submissions": [{"id": s, "file": by_id[s]["file"], "link": _question_link(by_id[s], qd["id"])}
                                 for s in sids]}
                for k, sids in wrong
            ],
        })

    question_list.sort(key=lambda q: assignment_order[q["assignment"]])  # stable: spec order within each
    pairs = find_copied_pairs(answers_from_results(audited_results), **dict(copy_options or {}))
    copied = [
        {
            "a": {"id": p.a, "file": by_id[p.a]["file"], "link": by_id[p.a].get("html") or by_id[p.a].get("json")},
            "b": {"id": p.b, "file": by_id[p.b]["file"], "link": by_id[p.b].get("html") or by_id[p.b].get("json")},
            "overlap": round(p.overlap, 4),
            "containment": round(p.containment, 4),
            "shared_8grams": p.shared,
            "questions": [{"id": q.question, "overlap": round(q.overlap, 4), "shared_8grams": q.shared}
                          for q in p.questions],
        }
        for p in pairs
    ]
    not_audited = [{"id": e["id"], "file": e["file"], "status": e.get("status"), "reason": e.get("reason") or ""}
                   for e in entries if e.get("status") != "audited"]
    status_totals = Counter()
    for row in rows:
        status_totals.update(row["counts"])
    totals = {
        "submissions": len(entries),
        "audited": sum(1 for e in entries if e.get("status") == "audited"),
        "not_audited": sum(1 for e in entries if e.get("status") == "not-audited"),
        "not_run": sum(1 for e in entries if e.get("status") == "not-run"),
        "with_findings": sum(1 for e in entries if e.get("status") == "audited" and e.get("failing")),
        "from_cache": sum(1 for e in entries if e.get("cached")),
        "questions": {st: status_totals.get(st, 0) for st in STATUSES},
        "copied_pairs": len(copied),
    }
    return {
        "meta": dict(meta or {}),
        "totals": totals,
        "rows": rows,
        "views": _sorted_views(rows),
        "questions": question_list,
        "copied_pairs": copied,
        "not_audited": not_audited,
    }


def render_class_report(data: Mapping[str, Any]) -> str:
    """The self-contained, script-free class report page."""
    return render_page(
        "class_report.html.j2",
        columns=SORT_COLUMNS,
        statuses=list(STATUS_VIEWS.values()),
        bar_width=BAR_WIDTH,
        shown=WRONG_CLAIMS_SHOWN,
        **data,
    )


def default_view_id() -> str:
    return "sort-name-asc"


def iter_view_files(data: Mapping[str, Any], view_id: str) -> Iterable[str]:
    """File names of the rows in one pre-sorted view (for tests and tools)."""
    for v in data["views"]:
        if v["id"] == view_id:
            return [data["rows"][i]["file"] for i in v["order"]]
    raise KeyError(view_id)
