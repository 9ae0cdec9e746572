"""Stage 2b: --assignment auto: which shipped spec fits a notebook, and how well.

Recognised from content only (never the file name or title): each spec's weighted signature
phrases (section headings, `]*42`, `part4_affine_backward`, ...) and how many of its questions
can be located by their phrases. Below ``THRESHOLD`` no spec is chosen and the audit runs
spec-less.
"""
from __future__ import annotations

from typing import Sequence

from auditor.extract.answers import normalise
from auditor.load.markdown_blocks import markdown_to_text
from auditor.models import AssignmentSpec, ParsedNotebook, SpecMatch

THRESHOLD = 0.55


def notebook_text(nb: ParsedNotebook) -> str:
    parts = []
    for c in nb.cells:
        parts.append(markdown_to_text(c.source) if c.cell_type == "markdown" else c.source)
    return normalise("\n".join(parts))


def _signature_score(spec: AssignmentSpec, text: str, raw: str) -> tuple[float, list[str]]:
    pos_total = sum(w for w in spec.signature.values() if w > 0) or 1.0
    got = 0.0
    hits: list[str] = []
    for phrase, w in spec.signature.items():
        p = phrase.lower()
        present = normalise(p) in text or p in raw
        if present:
            got += w
            hits.append(f"{phrase!r}{'' if w > 0 else ' (against)'}")
    return max(0.0, got) / pos_total, hits


def _question_score(spec: AssignmentSpec, text: str) -> float:
    qs = [q for q in spec.questions if q.phrases]
    if not qs:
        return 0.0
    found = sum(1 for q in qs if any(normalise(p) in text for p in q.phrases))
    return found / len(qs)


def score_spec(spec: AssignmentSpec, nb: ParsedNotebook, text: str | None = None) -> tuple[float, str]:
    text = text if text is not None else notebook_text(nb)
    raw = "\n".join(c.source.lower() for c in nb.cells)
    sig, hits = _signature_score(spec, text, raw)
    qscore = _question_score(spec, text)
    score = 0.5 * min(sig, 1.0) + 0.5 * qscore if spec.signature else qscore
    why = f"{qscore:.0%} of its questions found; signature {sig:.0%}" + (f" ({', '.join(hits[:6])})" if hits else "")
    return score, why


def match_spec(nb: ParsedNotebook, specs: Sequence[AssignmentSpec], threshold: float = THRESHOLD) -> SpecMatch:
    if not specs:
        return SpecMatch(None, 0.0, "no assignment specs available: spec-less audit")
    text = notebook_text(nb)
    scored = []
    for spec in specs:
        s, why = score_spec(spec, nb, text)
        scored.append((s, spec, why))
    scored.sort(key=lambda t: (-t[0], t[1].id))
    best_score, best, why = scored[0]
    candidates = tuple((sp.id, round(s, 4)) for s, sp, _ in scored)
    runner = f"; runner-up {scored[1][1].id} at {scored[1][0]:.2f}" if len(scored) > 1 else ""
    if best_score < threshold:
        return SpecMatch(
            None, best_score,
            f"no shipped spec fits (best {best.id} at {best_score:.2f} < {threshold}): spec-less audit{runner}",
            candidates,
        )
    return SpecMatch(best, best_score, f"matched {best.id} at {best_score:.2f}: {why}{runner}", candidates)
