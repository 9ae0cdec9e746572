"""grades.csv: one row per submission, one column per question's points, the total.

Importable into a spreadsheet or an LMS gradebook: UTF-8, a header row, comma separated,
RFC 4180 quoting (csv module).  The student id comes from the file name (its stem) or from
``--id-pattern``, a regex with a named group ``id`` searched in the submission's path relative to
the batch root (``submitted/(?P<id>[^/]+)/`` for an nbgrader-style tree).

File names are untrusted text: a cell that a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with ``'`` (OWASP's advice against
CSV injection).  Numbers are written as plain numbers.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would evaluate; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def compile_id_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """Compile ``--id-pattern``; ValueError with a one-line message when unusable."""
    if not pattern:
        return None
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"--id-pattern: not a valid regular expression: {exc}") from None
    if "id" not in rx.groupindex:
        raise ValueError("--id-pattern: the regular expression needs a named group (?P<id>...)")
    return rx


class StudentId(NamedTuple):
    id: str
    matched: bool       # False: --id-pattern was given and did not match (the id is the file's stem)


def student_id(relpath: str, pattern: re.Pattern[str] | None) -> StudentId:
    """The pattern's ``id`` group, else the file's stem (``matched`` False when a pattern missed)."""
    if pattern is not None:
        m = pattern.search(relpath)
        if m and m.group("id"):
            return StudentId(m.group("id"), True)
        return StudentId(Path(relpath).stem, False)
    return StudentId(Path(relpath).stem, True)


def question_columns(results: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """Question ids in order of first appearance across the results."""
    seen: dict[str, None] = {}
    for r in results:
        for q in (r or {}).get("questions", []) or []:
            seen.setdefault(q["id"], None)
    return list(seen)


def _num(x: Any) -> Any:
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, float):
        return round(x, 4)
    return x


#: the columns a TA's review adds (auditor.review): points given, the total with them, comments
TA_HEADER = ("ta_points", "total_with_ta", "ta_comments")


def ta_cells(result: Mapping[str, Any] | None, marks: Mapping[str, Mapping[str, Any]]) -> list[Any]:
    """The TA columns of one row; ``marks``: question id -> {"points": float|None, "comment": str}."""
    if not result or result.get("error"):
        return ["", "", ""]
    given = {qid: m["points"] for qid, m in marks.items() if m.get("points") is not None}
    total = sum(given.get(q["id"], q.get("points", 0)) for q in result.get("questions", []))
    comments = "; ".join(f"{qid}: {m['comment']}" for qid, m in marks.items() if m.get("comment"))
    return [_num(float(sum(given.values()))) if given else "", _num(float(total)), safe_cell(comments)]


def grades_rows(rows: Sequence[Mapping[str, Any]],
                ta: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None) -> tuple[list[str], list[list[Any]]]:
    """``rows``: dicts with ``student_id``, ``file``, ``result`` (JSON dict or None), ``status``.
    ``ta``: a TA's marks from ``auditor review`` (file -> question id -> mark): adds TA_HEADER.

    Returns (header, data rows).  A submission that could not be audited has empty points.
    """
    qids = question_columns(r.get("result") for r in rows)
    header = ["student_id", "file", *qids, "total", "max_points", "status", *(TA_HEADER if ta else ())]
    data: list[list[Any]] = []
    for row in rows:
        result = row.get("result")
        line: list[Any] = [safe_cell(row["student_id"]), safe_cell(row["file"])]
        if result and not result.get("error"):
            points = {q["id"]: q.get("points", 0) for q in result.get("questions", [])}
            line += [_num(points[q]) if q in points else "" for q in qids]
            score = result.get("score", {})
            line += [_num(score.get("points", sum(points.values()))), _num(score.get("max_points", 0))]
        else:
            line += [""] * len(qids) + ["", ""]
        line.append(row.get("status", ""))
        if ta:
            line += ta_cells(result, ta.get(row["file"], {}))
        data.append(line)
    return header, data


def grades_csv_text(rows: Sequence[Mapping[str, Any]],
                    ta: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None) -> str:
    header, data = grades_rows(rows, ta)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(data)
    return buf.getvalue()


def write_grades(out_dir: Path, entries: Sequence[Mapping[str, Any]]) -> Path:
    """Write ``<out_dir>/grades.csv`` for a batch's submission entries (the one place it is written)."""
    from auditor.batch.cache import write_text_atomic
    from auditor.review.publish import apply_to_batch  # a TA's decisions (auditor review), when any

    path = Path(out_dir) / "grades.csv"
    ta = apply_to_batch(out_dir, entries)
    write_text_atomic(path, grades_csv_text(
        [{"student_id": e["student_id"], "file": e["file"], "result": e["result"], "status": e["status"]}
         for e in entries], ta=ta), fsync=False)
    return path
