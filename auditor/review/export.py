"""Corrected readings as label files (the format ``auditor evaluate`` reads; a corpus's LABELING.md).

One JSON file per submission that has decisions: ``<notebook file name without .ipynb>.json`` with
``{"file", "variant", "items", "notes"}``.  Every answer a TA decided is labelled answered; an answer
whose reading the TA confirmed or corrected also gets ``claimed`` (the TA's value), ``evidence`` (the
auditor's quote, when it had one) and the ``cell`` is left out (the review page does not know it).
Stale decisions (the answer changed since) are not exported.  So every correction becomes a
measured accuracy case: ``auditor evaluate --labels DIR NOTEBOOKS`` compares the auditor with it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.review.classdata import ClassBatch
from auditor.review.database import ReviewDB


def label_files(db: ReviewDB, batch: ClassBatch) -> dict[str, dict[str, Any]]:
    """label file name -> label dict."""
    out: dict[str, dict[str, Any]] = {}
    for (file, qid), d in sorted(db.decisions().items()):
        item = batch.item(file, qid)
        if item is None or d.stale or d.answer_hash != item.hash:
            continue
        result = batch.results.get(item.submission) or {}
        name = Path(file).name
        stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
        label = out.setdefault(stem + ".json", {
            "file": name, "variant": (result.get("assignment") or {}).get("variant"), "items": {},
            "notes": "exported from auditor review: the items a grader decided; claims as the grader read them"})
        entry: dict[str, Any] = {"answered": item.status != "unanswered"}
        if d.reading and "claimed" in d.reading:
            entry["claimed"] = d.reading["claimed"]
            if item.evidence:
                entry["evidence"] = item.evidence[:120]
        label["items"][qid] = entry
    return out


def export_labels(db: ReviewDB, batch: ClassBatch, out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, label in label_files(db, batch).items():
        path = out / name
        path.write_text(json.dumps(label, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        written.append(path)
    return written
