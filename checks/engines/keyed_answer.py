"""Judging a categorical claim (a verdict, a cause, yes/no) against the instructor's key.

Shared by ``true_false``, ``yes_no`` and ``gradient_cause`` so they decide the same way:

* no answer                               -> ``unanswered``
* an answer but no readable claim         -> ``review`` (never a guess)
* a hedged claim ("generally true, but")  -> ``review``
* no key in the spec                      -> ``review``
* computed evidence contradicts the key   -> ``review`` (the key itself needs a look)
* claim equals key                        -> ``pass``
* claim differs, key contested            -> ``review``
* claim differs                           -> ``fail``
"""
from __future__ import annotations

from typing import Any, Iterable

from auditor.models import Answer, Claim, Outcome, Status


def normalise_key(key: Any) -> str | None:
    """``True``/``"True"``/``" true "`` -> ``"true"``; ``None`` stays ``None``."""
    if key is None:
        return None
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key).strip().lower()


def judge_against_key(
    *,
    answer: Answer,
    claim: Claim | None,
    key: Any,
    contested: bool,
    noun: str,
    method: str = "",
    evidence: Iterable[str] = (),
    computed: str | None = None,
) -> Outcome:
    """The outcome for a categorical ``claim`` (see the module doc); ``computed`` is the
    value recomputed by the check, if any, which must agree with the key."""
    expected = normalise_key(key)
    lines = tuple(evidence)

    def outcome(status: Status, message: str) -> Outcome:
        return Outcome(status, expected=expected, message=message, method=method, evidence=lines)

    if not answer.answered:
        return outcome(Status.UNANSWERED, f"no answer; expected {expected!r}" if expected else "no answer")
    value = normalise_key(claim.value) if claim is not None and claim.readable else None
    if value is None:
        return outcome(Status.REVIEW, f"answered, but no {noun} could be read from the answer")
    if value == "hedged":
        return outcome(Status.REVIEW, f"the answer hedges instead of committing to a {noun}")
    if expected is None:
        return outcome(Status.REVIEW, f"claimed {value!r}; the spec has no key for this question")
    if computed is not None and normalise_key(computed) != expected:
        return outcome(Status.REVIEW, f"claimed {value!r}; the computed evidence says {computed!r} "
                                      f"but the key says {expected!r}: the key needs a look")
    if value == expected:
        return outcome(Status.PASS, f"claimed {value!r}, as the key")
    if contested:
        return outcome(Status.REVIEW, f"claimed {value!r}, the key says {expected!r}, but the key is "
                                      "contested: a human decides")
    return outcome(Status.FAIL, f"claimed {value!r}, expected {expected!r}")


def unreadable(claim: Claim | None) -> bool:
    """True when there is no usable claim value."""
    return claim is None or not claim.readable or claim.value is None
