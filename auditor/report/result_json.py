"""AuditResult <-> the JSON report's dict (the stable, documented shape).

Batch caching, the class report, the gate and the pytest plugin all work on this dict,
so a result computed in another process (or read from the cache) is handled the same way.
"""
from __future__ import annotations

from typing import Any

from auditor.models import AuditResult, thaw

SCHEMA_VERSION = 1


def result_to_dict(result: AuditResult) -> dict[str, Any]:
    ex = result.execution
    match = result.assignment
    return {
        "schema": SCHEMA_VERSION,
        "auditor_version": result.auditor_version,
        "notebook": result.notebook,
        "sha256": result.sha256,
        "error": result.error,
        "error_kind": result.error_kind,
        "assignment": {
            "id": match.spec.id if match.spec else None,
            "title": match.spec.title if match.spec else None,
            "variant": match.spec.variant if match.spec else None,
            "score": round(float(match.score), 4),
            "explanation": match.explanation,
            "candidates": [[cid, round(float(s), 4)] for cid, s in match.candidates],
        },
        "execution": {
            "status": ex.status.value,
            "errors": [{"cell": e.cell, "ename": e.ename, "evalue": e.evalue} for e in ex.errors],
            "stale_errors": [
                {"cell": e.cell, "ename": e.ename, "evalue": e.evalue} for e in ex.stale_errors
            ],
            "skipped": [{"cell": c, "why": why} for c, why in ex.skipped],
            "isolation": thaw(ex.isolation),
            "duration_s": round(ex.duration_s, 3),
            "cells_own_s": round(sum(ex.cell_seconds), 3),   # the cells' own time, per nbclient
            "message": ex.message,
        },
        "counts": result.counts(),
        "score": {
            "points": round(sum(q.points for q in result.questions), 4),
            "max_points": round(sum(q.max_points for q in result.questions), 4),
        },
        "questions": [
            {
                "id": q.id,
                "status": q.status.value,
                "claimed": thaw(q.claimed),
                "expected": thaw(q.expected),
                "check": q.check,
                "message": q.message,
                "evidence": q.evidence,
                "cells": list(q.cells),
                "method": q.method,
                "computed_evidence": list(q.computed_evidence),
                "details": thaw(q.details),
                "answer_excerpt": q.answer_excerpt,
                "answer_text": q.answer_text,
                "placement": q.placement,
                "points": q.points,
                "max_points": q.max_points,
                "key_reason": q.key_reason,
                "contested": q.contested,
            }
            for q in result.questions
        ],
        "findings": [
            {"kind": f.kind, "message": f.message, "cell": f.cell, "question": f.question}
            for f in result.findings
        ],
    }
