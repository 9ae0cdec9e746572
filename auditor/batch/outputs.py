"""A batch's class outputs: ``index.html``, ``summary.json``, ``grades.csv``, and the summary object.

Written at the end of every run (also an interrupted one, for what is done) from the recorded
submissions; the per-submission reports are written as each result arrives (auditor.batch.runner).
"""
from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from auditor.batch.cache import write_json_atomic, write_text_atomic



@dataclass(frozen=True)
class BatchSummary:
    out_dir: Path
    submissions: tuple[Mapping[str, Any], ...]   # one entry per submission, in input order
    audited_now: int                             # audited in this run
    from_cache: int                              # served from the result cache
    not_audited: int                             # could not be audited (reason in the entry)
    with_findings: int                           # audited, and failing under the exit policy
    interrupted: bool
    elapsed_s: float
    exit_code: int
    index_html: Path
    summary_json: Path
    grades_csv: Path
    class_data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def results(self) -> dict[str, Mapping[str, Any]]:
        return {e["id"]: e["result"] for e in self.submissions if e.get("result")}




def _entry(s: Any, failing: list[str]) -> dict[str, Any]:
    r = s.result or {}
    return {
        "id": s.id,
        "student_id": s.student_id,
        "student_id_from_pattern": s.id_matched,
        "file": s.relpath,
        "status": s.status,
        "reason": s.reason,
        "cached": s.cached,
        "html": s.html,
        "json": s.json,
        "assignment": (r.get("assignment") or {}).get("id"),
        "counts": r.get("counts") or {},
        "execution": (r.get("execution") or {}).get("status"),
        "score": r.get("score") or {},
        "failing": failing,
        "elapsed_s": s.elapsed_s,
        "report_error": s.report_error,
        "result": s.result,
    }


def batch_exit_code(entries: Iterable[Mapping[str, Any]], fail_on: Iterable[str]) -> int:
    """The worst submission decides, as in ``gate``: 3 an internal error of ours, 2 a submission
    that could not be read, 1 findings (or a submission not run: interrupted), else 0."""
    from auditor.gate.exit_policy import worst_exit_code

    return int(worst_exit_code((e.get("result") for e in entries), fail_on))


def write_outputs(
    subs: Sequence[Any], *, out: Path, root: Path, assignment: str, options: Mapping[str, Any],
    fail_on: frozenset[str], audited_now: int, from_cache: int, interrupted: bool, started: float,
) -> BatchSummary:
    from auditor import __version__
    from auditor.batch.class_report import build_class_data, render_class_report
    from auditor.gate.exit_policy import failing_reasons
    from auditor.batch.grades import write_grades

    entries = [_entry(s, failing_reasons(s.result, fail_on) if s.result else [s.reason or "not run"]) for s in subs]
    generated_at = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    elapsed = time.perf_counter() - started
    exit_code = batch_exit_code(entries, fail_on)
    meta = {
        "auditor_version": __version__,
        "generated_at": generated_at,
        "root": str(root),
        "assignment": assignment,
        "options": dict(options),
        "fail_on": sorted(fail_on),
        "interrupted": interrupted,
        "elapsed_s": round(elapsed, 3),
        "exit_code": exit_code,
    }
    class_data = build_class_data(entries, meta=meta)

    index = out / "index.html"
    write_text_atomic(index, render_class_report(class_data), fsync=False)
    grades = write_grades(out, entries)
    summary_path = out / "summary.json"
    write_json_atomic(summary_path, {
        **meta,
        "totals": class_data["totals"],
        "submissions": [{k: v for k, v in e.items() if k != "result"} for e in entries],
        "questions": class_data["questions"],
        "copied_pairs": class_data["copied_pairs"],
        "not_audited": class_data["not_audited"],
    })
    return BatchSummary(
        out_dir=out,
        submissions=tuple(entries),
        audited_now=audited_now,
        from_cache=from_cache,
        not_audited=class_data["totals"]["not_audited"] + class_data["totals"]["not_run"],
        with_findings=class_data["totals"]["with_findings"],
        interrupted=interrupted,
        elapsed_s=elapsed,
        exit_code=exit_code,
        index_html=index,
        summary_json=summary_path,
        grades_csv=grades,
        class_data=class_data,
    )
