"""Confidence discipline: a claim its reader is unsure of is never the ground for a pass or a fail.

Every reader says how sure it is (``Claim.confidence``, 0-1, with ``Claim.reason``): 1.0 for a
clean read, lower when it had to choose (conclusions that disagree, an opinion argued both ways,
a dimension taken from the question rather than the answer).  ``gate`` turns the check's
``pass``/``fail`` on a claim below ``THRESHOLD`` into ``review`` with the reason; the claimed value
is still shown, so the reviewer sees what was read.
"""
from __future__ import annotations

from dataclasses import replace

from auditor.models import Claim, Outcome, Status

THRESHOLD = 0.6

# notes that readers attach when they had to pick between readings: (substring, confidence)
_UNSURE_NOTES = (
    ("its conclusions disagree", 0.4),
    ("contradicts its own explanation", 0.4),
    ("argues both ways", 0.4),
    ("names both vanishing and exploding", 0.5),
    ("read from the whole answer to", 0.7),
    ("taken by order", 0.8),
)


def assess(claim: Claim) -> Claim:
    """``claim`` with its confidence lowered to what its notes admit (never raised)."""
    conf, reason = claim.confidence, claim.reason
    for note in claim.notes:
        for text, level in _UNSURE_NOTES:
            if text in note and level < conf:
                conf, reason = level, note
    if conf == claim.confidence:
        return claim
    return replace(claim, confidence=conf, reason=reason)


def gate(outcome: Outcome, claim: Claim | None) -> Outcome:
    """``review`` instead of ``pass``/``fail`` when the claim was read below ``THRESHOLD``."""
    if claim is None or not claim.readable or claim.confidence >= THRESHOLD:
        return outcome
    if outcome.status not in (Status.PASS, Status.FAIL):
        return outcome
    why = claim.reason or "the reader is unsure"
    details = {**dict(outcome.details), "claim_confidence": round(claim.confidence, 2), "would_have_been": str(outcome.status.value)}
    return replace(outcome, status=Status.REVIEW, details=details,
                   message=f"read with low confidence ({why}); {outcome.message}" if outcome.message else
                   f"read with low confidence ({why})")
