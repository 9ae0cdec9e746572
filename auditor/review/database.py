"""The TA's decisions, in ``review.sqlite3`` inside the batch folder.

SQLite in WAL mode (readers never block the one writer; two TAs on the same class share the file),
a busy timeout instead of "database is locked" errors, and optimistic concurrency: every decision
row carries a ``version``; a write names the version it was based on (0: "there was none"), and a
write based on an older version is refused whole (``StaleWrite``) instead of overwriting what the
other grader decided.

Tables:
- ``decisions`` (file, question) -> points, comment, ticked rubric items, corrected reading,
  the hash of the answer text it was made on, version, ``stale`` (the text changed since);
- ``rubric_items`` per (assignment, question): label and points, added once, ticked per answer;
- ``splits`` (assignment, question, file) -> tag: answers a TA split off their group.
"""
from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

DB_NAME = "review.sqlite3"
SCHEMA_VERSION = 1
#: what a write may set; the rest of the row is kept
FIELDS = ("points", "comment", "rubric", "reading")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    file TEXT NOT NULL,
    question TEXT NOT NULL,
    assignment TEXT NOT NULL,
    answer_hash TEXT NOT NULL,
    points REAL,
    comment TEXT NOT NULL DEFAULT '',
    rubric TEXT NOT NULL DEFAULT '[]',
    reading TEXT,
    version INTEGER NOT NULL,
    stale INTEGER NOT NULL DEFAULT 0,
    grader TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (file, question)
);
CREATE TABLE IF NOT EXISTS rubric_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    question TEXT NOT NULL,
    label TEXT NOT NULL,
    points REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS splits (
    assignment TEXT NOT NULL,
    question TEXT NOT NULL,
    file TEXT NOT NULL,
    tag INTEGER NOT NULL,
    PRIMARY KEY (assignment, question, file)
);
"""


@dataclass(frozen=True)
class Decision:
    file: str
    question: str
    assignment: str
    answer_hash: str
    points: float | None
    comment: str
    rubric: tuple[int, ...]
    reading: Mapping[str, Any] | None     # {"claimed": value, "status": judged status, ...} or None
    version: int
    stale: bool
    grader: str
    updated_at: str

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "question": self.question, "points": self.points, "comment": self.comment,
                "rubric": list(self.rubric), "reading": dict(self.reading) if self.reading else None,
                "version": self.version, "stale": self.stale, "grader": self.grader, "updated_at": self.updated_at}


@dataclass(frozen=True)
class RubricItem:
    id: int
    assignment: str
    question: str
    label: str
    points: float


@dataclass(frozen=True)
class Write:
    """One decision to write: based on ``version`` (0 when there was none), setting ``changes``."""

    file: str
    question: str
    assignment: str
    answer_hash: str
    version: int
    changes: Mapping[str, Any]


class StaleWrite(Exception):
    """A write based on an older version than the stored one; nothing of the write was stored."""

    def __init__(self, conflicts: list[Decision | None]):
        self.conflicts = conflicts
        who = sorted({c.grader for c in conflicts if c is not None and c.grader})
        n = len(conflicts)
        super().__init__(
            f"{n} answer{'s' if n != 1 else ''} changed since you loaded the page"
            + (f" (by {', '.join(who)})" if who else "")
            + ": nothing was saved; reload to see the current decision and decide again")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decision(row: sqlite3.Row) -> Decision:
    return Decision(file=row["file"], question=row["question"], assignment=row["assignment"],
                    answer_hash=row["answer_hash"], points=row["points"], comment=row["comment"],
                    rubric=tuple(json.loads(row["rubric"] or "[]")),
                    reading=json.loads(row["reading"]) if row["reading"] else None,
                    version=row["version"], stale=bool(row["stale"]), grader=row["grader"],
                    updated_at=row["updated_at"])


class ReviewDB:
    """One review database file; a new sqlite3 connection per operation (safe across threads)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            con.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    @classmethod
    def in_folder(cls, folder: str | Path) -> "ReviewDB":
        return cls(Path(folder) / DB_NAME)

    @staticmethod
    def exists_in(folder: str | Path) -> bool:
        return (Path(folder) / DB_NAME).is_file()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA busy_timeout=10000")
        try:
            yield con
        finally:
            con.close()

    # ------------------------------------------------------------------ decisions

    def decisions(self, assignment: str | None = None, question: str | None = None) -> dict[tuple[str, str], Decision]:
        sql, args = "SELECT * FROM decisions", []
        if assignment is not None and question is not None:
            sql, args = sql + " WHERE assignment = ? AND question = ?", [assignment, question]
        with self._connect() as con:
            return {(r["file"], r["question"]): _decision(r) for r in con.execute(sql, args)}

    def decision(self, file: str, question: str) -> Decision | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM decisions WHERE file = ? AND question = ?", (file, question)).fetchone()
        return _decision(row) if row else None

    def write(self, writes: Iterable[Write], *, grader: str = "") -> list[Decision]:
        """Store all ``writes`` in one transaction, or none of them (StaleWrite) when any is based
        on a version that is no longer the stored one."""
        writes = list(writes)
        for w in writes:
            unknown = set(w.changes) - set(FIELDS)
            if unknown:
                raise ValueError(f"unknown decision field(s): {', '.join(sorted(unknown))}")
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                current = {}
                conflicts: list[Decision | None] = []
                for w in writes:
                    row = con.execute("SELECT * FROM decisions WHERE file = ? AND question = ?",
                                      (w.file, w.question)).fetchone()
                    have = row["version"] if row else 0
                    if have != w.version:
                        conflicts.append(_decision(row) if row else None)
                    current[(w.file, w.question)] = row
                if conflicts:
                    raise StaleWrite(conflicts)
                now = _now()
                for w in writes:
                    row = current[(w.file, w.question)]
                    old = {"points": row["points"] if row else None, "comment": row["comment"] if row else "",
                           "rubric": json.loads(row["rubric"]) if row else [],
                           "reading": json.loads(row["reading"]) if row and row["reading"] else None}
                    new = {**old, **w.changes}
                    con.execute(
                        "INSERT OR REPLACE INTO decisions (file, question, assignment, answer_hash, points, comment,"
                        " rubric, reading, version, stale, grader, updated_at) VALUES (?,?,?,?,?,?,?,?,?,0,?,?)",
                        (w.file, w.question, w.assignment, w.answer_hash,
                         None if new["points"] is None else float(new["points"]), str(new["comment"] or ""),
                         json.dumps([int(i) for i in new["rubric"] or []]),
                         json.dumps(new["reading"], default=str) if new["reading"] else None,
                         (row["version"] if row else 0) + 1, grader, now))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return [self.decision(w.file, w.question) for w in writes]  # type: ignore[misc]

    def mark_stale(self, answer_hashes: Mapping[tuple[str, str], str]) -> tuple[int, int]:
        """After a re-run of the batch: a decision whose answer text changed (another hash) is
        flagged stale (kept, not applied); one whose text is back to the decided one is unflagged.
        Returns (kept, flagged).  Decisions for answers no longer in the batch are left alone."""
        kept = flagged = 0
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for r in con.execute("SELECT file, question, answer_hash, stale FROM decisions").fetchall():
                    now_hash = answer_hashes.get((r["file"], r["question"]))
                    if now_hash is None:
                        continue
                    stale = int(now_hash != r["answer_hash"])
                    if stale != r["stale"]:
                        con.execute("UPDATE decisions SET stale = ? WHERE file = ? AND question = ?",
                                    (stale, r["file"], r["question"]))
                    kept += 1 - stale
                    flagged += stale
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return kept, flagged

    # ------------------------------------------------------------------ rubric items

    def rubric(self, assignment: str, question: str) -> list[RubricItem]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM rubric_items WHERE assignment = ? AND question = ? ORDER BY id",
                               (assignment, question)).fetchall()
        return [RubricItem(r["id"], r["assignment"], r["question"], r["label"], r["points"]) for r in rows]

    def rubric_by_id(self) -> dict[int, RubricItem]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM rubric_items").fetchall()
        return {r["id"]: RubricItem(r["id"], r["assignment"], r["question"], r["label"], r["points"]) for r in rows}

    def add_rubric(self, assignment: str, question: str, label: str, points: float) -> RubricItem:
        label = " ".join(str(label).split())
        if not label:
            raise ValueError("a rubric item needs a label")
        with self._connect() as con:
            cur = con.execute("INSERT INTO rubric_items (assignment, question, label, points) VALUES (?,?,?,?)",
                              (assignment, question, label[:200], float(points)))
            return RubricItem(int(cur.lastrowid), assignment, question, label[:200], float(points))

    # ------------------------------------------------------------------ splits

    def splits(self, assignment: str, question: str) -> dict[str, int]:
        with self._connect() as con:
            rows = con.execute("SELECT file, tag FROM splits WHERE assignment = ? AND question = ?",
                               (assignment, question)).fetchall()
        return {r["file"]: r["tag"] for r in rows}

    def split(self, assignment: str, question: str, files: Iterable[str]) -> int:
        """Put ``files`` under a new tag of their own: they leave the group they were in."""
        files = list(files)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                top = con.execute("SELECT COALESCE(MAX(tag), 0) FROM splits WHERE assignment = ? AND question = ?",
                                  (assignment, question)).fetchone()[0]
                for f in files:
                    con.execute("INSERT OR REPLACE INTO splits (assignment, question, file, tag) VALUES (?,?,?,?)",
                                (assignment, question, f, top + 1))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return top + 1
