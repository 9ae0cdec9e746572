"""Decisions flow out: grades.csv and each student's HTML report show the TA's points and comments.

- ``marks``: file -> question id -> {"points", "points_text", "comment", "rubric", "reading"}, from the
  decisions that still hold (made on the answer text the batch has now);
- ``publish``: rewrite grades.csv (with auditor.batch.grades' TA columns) and the HTML reports of
  the given students, from a loaded batch (the review app calls it after every decision);
- ``apply_to_batch``: the hook ``auditor batch`` calls at the end of a run: flags decisions whose
  answer text changed (kept, no longer applied), re-renders the reports of students with marks, and
  returns the marks for grades.csv.  Without a review database it does nothing.

A report is rendered again from its JSON dict (auditor.report.html renders either form), the marks as
extra rows of each question's box (``render_html(annotations=...)``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from auditor.review.classdata import ClassBatch, answer_hash
from auditor.review.database import Decision, ReviewDB

Marks = dict[str, dict[str, dict[str, Any]]]


def _points_text(p: float) -> str:
    return f"{p:g}"


def marks_from(decisions: Iterable[Decision], hashes: Mapping[tuple[str, str], str],
               rubric_labels: Mapping[int, str]) -> Marks:
    """The decisions that hold: not stale, made on the answer text the batch has now."""
    out: Marks = {}
    for d in decisions:
        if d.stale or hashes.get((d.file, d.question)) != d.answer_hash:
            continue
        reading = None
        if d.reading:
            reading = f"{d.reading.get('how', 'given')}: the student claimed {d.reading.get('claimed')}"
        out.setdefault(d.file, {})[d.question] = {
            "points": d.points,
            "points_text": None if d.points is None else _points_text(d.points),
            "comment": d.comment,
            "rubric": [rubric_labels[i] for i in d.rubric if i in rubric_labels],
            "reading": reading,
        }
    return out


def _rubric_labels(db: ReviewDB) -> dict[int, str]:
    return {i: (f"{r.label} ({r.points:+g})" if r.points else r.label) for i, r in db.rubric_by_id().items()}


def marks(db: ReviewDB, batch: ClassBatch) -> Marks:
    return marks_from(db.decisions().values(), {a.key: a.hash for a in batch.items}, _rubric_labels(db))


# --------------------------------------------------------------------------- the report again

def annotations(result: Mapping[str, Any],
                file_marks: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """The report's extra rows per question (``render_html(annotations=...)``) for one student's marks."""
    max_points = {q["id"]: float(q.get("max_points") or 0) for q in result.get("questions") or []}
    out: dict[str, list[tuple[str, str]]] = {}
    for qid, m in file_marks.items():
        rows = []
        if m.get("points") is not None:
            top = max_points.get(qid) or 0
            rows.append(("Grader's points", f"{m['points_text']} / {top:g}" if top else m["points_text"]))
        if m.get("rubric"):
            rows.append(("Grader's rubric", "; ".join(m["rubric"])))
        if m.get("reading"):
            rows.append(("Grader's reading", m["reading"]))
        if m.get("comment"):
            rows.append(("Grader's comment", m["comment"]))
        out[qid] = rows
    return out


def render_report(folder: Path, html_rel: str | None, result: Mapping[str, Any],
                  file_marks: Mapping[str, Mapping[str, Any]]) -> None:
    """Write one student's HTML report again, with the TA's marks."""
    if not html_rel:
        return
    from auditor.batch.cache import write_text_atomic
    from auditor.report.html import render_html

    write_text_atomic(Path(folder) / html_rel, render_html(result, annotations=annotations(result, file_marks)),
                      fsync=False)


# --------------------------------------------------------------------------- writing

def publish(db: ReviewDB, batch: ClassBatch, files: Iterable[str] | None = None) -> Marks:
    """grades.csv with the TA columns, and the reports of ``files`` (all when None) with their marks."""
    from auditor.batch.cache import write_text_atomic
    from auditor.batch.grades import grades_csv_text

    m = marks(db, batch)
    rows = [{"student_id": e.get("student_id") or e["id"], "file": e["file"], "result": batch.results.get(e["id"]),
             "status": e.get("status", "")} for e in batch.entries]
    write_text_atomic(batch.folder / "grades.csv", grades_csv_text(rows, ta=m), fsync=False)
    wanted = set(files) if files is not None else None
    for e in batch.entries:
        if (wanted is None or e["file"] in wanted) and e["id"] in batch.results:
            render_report(batch.folder, e.get("html"), batch.results[e["id"]], m.get(e["file"], {}))
    return m


def apply_to_batch(out_dir: str | Path, entries: Iterable[Mapping[str, Any]]) -> Marks | None:
    """``auditor batch``'s hook (see the module doc): None when the folder has no review database."""
    if not ReviewDB.exists_in(out_dir):
        return None
    entries = list(entries)
    db = ReviewDB.in_folder(out_dir)
    hashes = {(e["file"], q["id"]): answer_hash(q.get("answer_text"))
              for e in entries for q in ((e.get("result") or {}).get("questions") or [])}
    db.mark_stale(hashes)
    m = marks_from(db.decisions().values(), hashes, _rubric_labels(db))
    for e in entries:
        if e["file"] in m and e.get("result") and not e["result"].get("error"):
            render_report(Path(out_dir), e.get("html"), e["result"], m[e["file"]])
    return m
