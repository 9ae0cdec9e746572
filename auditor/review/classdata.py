"""A batch folder read back for review: every answer of every submission, by question.

Reads ``summary.json`` (the submission list) and ``submissions/<id>.json`` (each result dict, the
stable JSON report shape of auditor.report.result_json).  Questions are keyed by (assignment id,
question id), as in the class report: a class may mix variants, and the same id can be a different
question in another variant.  An answer's hash is the SHA-256 of its whole text (stripped): a
decision is kept across re-runs of the batch while that hash is unchanged.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

SPECLESS = "spec-less"
#: the order a TA works in: what the auditor could not settle first
STATUS_ORDER = {"fail": 0, "review": 1, "manual": 2, "error": 3, "pass": 4, "unanswered": 5}
#: the items a person has to grade (the rest the auditor graded)
TO_GRADE = ("manual", "review")


class BatchFolderError(ValueError):
    """The folder is not a readable batch output (message names the file and the problem)."""


def answer_hash(text: str | None) -> str:
    return hashlib.sha256((text or "").strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AnswerItem:
    """One student's answer to one question, as the batch left it."""

    submission: str          # the batch's submission id (report file names)
    file: str                # the submission's path relative to the batch root: the decisions' key
    student_id: str
    assignment: str          # spec id, or "spec-less"
    question: str
    status: str
    check: str
    claimed: Any
    expected: Any
    message: str
    evidence: str
    excerpt: str
    text: str
    hash: str
    points: float
    max_points: float
    html: str | None         # the student's report, relative to the batch folder

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.question)


@dataclass(frozen=True)
class QuestionInfo:
    assignment: str
    id: str
    check: str
    expected: Any
    max_points: float
    key_reason: str
    counts: Mapping[str, int]

    @property
    def slug(self) -> tuple[str, str]:
        return (self.assignment, self.id)


@dataclass(frozen=True)
class ClassBatch:
    folder: Path
    meta: Mapping[str, Any]
    entries: tuple[Mapping[str, Any], ...]            # summary.json's submissions (no results)
    results: Mapping[str, Mapping[str, Any]]          # submission id -> result dict
    items: tuple[AnswerItem, ...]
    questions: tuple[QuestionInfo, ...] = field(default=())
    by_key: Mapping[tuple[str, str], AnswerItem] = field(default_factory=dict)   # (file, question) -> item

    def question(self, assignment: str, qid: str) -> QuestionInfo | None:
        for q in self.questions:
            if q.assignment == assignment and q.id == qid:
                return q
        return None

    def answers(self, assignment: str, qid: str) -> list[AnswerItem]:
        return [a for a in self.items if a.assignment == assignment and a.question == qid]

    def item(self, file: str, qid: str) -> AnswerItem | None:
        return self.by_key.get((file, qid))

    def entry_for_file(self, file: str) -> Mapping[str, Any] | None:
        for e in self.entries:
            if e.get("file") == file:
                return e
        return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchFolderError(f"{path}: missing (is this the --out folder of `auditor batch`?)") from None
    except (OSError, ValueError) as exc:
        raise BatchFolderError(f"{path}: cannot read: {exc}") from None


def load_batch(folder: str | Path) -> ClassBatch:
    """Read a batch folder; BatchFolderError when it is not one.  A submission whose JSON report
    is missing or unreadable is left out (the batch marks it "could not be audited" anyway)."""
    folder = Path(folder)
    summary = _read_json(folder / "summary.json")
    if not isinstance(summary, dict) or not isinstance(summary.get("submissions"), list):
        raise BatchFolderError(f"{folder / 'summary.json'}: not a batch summary (no submissions list)")
    entries = tuple(e for e in summary["submissions"] if isinstance(e, dict) and e.get("id") and e.get("file"))
    results: dict[str, Mapping[str, Any]] = {}
    items: list[AnswerItem] = []
    qinfo: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries:
        if e.get("status") != "audited" or not e.get("json"):
            continue
        try:
            r = _read_json(folder / e["json"])
        except BatchFolderError:
            continue
        if not isinstance(r, dict) or r.get("error"):
            continue
        results[e["id"]] = r
        aid = (r.get("assignment") or {}).get("id") or SPECLESS
        for q in r.get("questions") or []:
            text = q.get("answer_text") or ""
            items.append(AnswerItem(
                submission=e["id"], file=e["file"], student_id=str(e.get("student_id") or e["id"]),
                assignment=aid, question=q["id"], status=q.get("status", "manual"), check=q.get("check") or "answered",
                claimed=q.get("claimed"), expected=q.get("expected"), message=q.get("message") or "",
                evidence=q.get("evidence") or "", excerpt=q.get("answer_excerpt") or "", text=text,
                hash=answer_hash(text), points=float(q.get("points") or 0), max_points=float(q.get("max_points") or 0),
                html=e.get("html"),
            ))
            d = qinfo.setdefault((aid, q["id"]), {"check": q.get("check") or "answered", "expected": None,
                                                  "max_points": 0.0, "key_reason": "", "counts": {}})
            if d["expected"] is None and q.get("expected") is not None:
                d["expected"] = q.get("expected")
            d["max_points"] = max(d["max_points"], float(q.get("max_points") or 0))
            d["key_reason"] = d["key_reason"] or (q.get("key_reason") or "")
            d["counts"][items[-1].status] = d["counts"].get(items[-1].status, 0) + 1
    questions = tuple(QuestionInfo(assignment=a, id=qid, check=d["check"], expected=d["expected"],
                                   max_points=d["max_points"], key_reason=d["key_reason"], counts=dict(d["counts"]))
                      for (a, qid), d in qinfo.items())
    return ClassBatch(folder=folder, meta={k: v for k, v in summary.items() if k not in ("submissions",)},
                      entries=entries, results=results, items=tuple(items), questions=questions,
                      by_key={a.key: a for a in items})
