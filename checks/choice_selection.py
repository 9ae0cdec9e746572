"""choice_selection: the options a student selected against the instructor's key.

Ground truth: the key's set of options, as the instructor wrote it. ``key = [1, 3]``, ``["a", "c"]``
or ``["iii", "iv"]`` (a single choice may be written ``key = 2`` or ``key = "b"``). Nothing is
recomputed: a selection question's truth is the instructor's decision.

Method: the claim stage reads the selected labels (auditor.claims.choice, restricted to
``options``); the check compares the two sets and names the missing options (in the key, not
selected) and the extra ones (selected, not in the key). ``select = "one"``: more than one
selected option is a fail (the question asks for one); a key that lists several options makes
the comparison select-all whatever ``select`` says (the key decides). ``partial_credit = "proportional"``: a
selection that is not exactly the key earns max(0, (right - extra) / len(key)) of the points
(status fail, ``details["credit"]``); ``"none"`` (default): all or nothing. ``options`` and
``selected_verdict`` (the question's wording for "selected", e.g. "may change") serve the reader;
the check also refuses a key that names labels outside ``options`` (a spec error).

Tolerance: none - the sets must be equal.

Status: equal -> pass; different -> fail (review when the key is contested); hedged or unreadable
selection -> review; no key -> review (a spec's ``key = "TODO"`` never reaches the check: manual); no answer -> unanswered.

Common mistakes: picking every plausible option in a select-all question (extra options), a
single option where several apply (missing options).
"""
from __future__ import annotations

from typing import Any, Sequence

from auditor.claims.choice_options import label_style, norm_label, parse_option, sort_key as _sort_key
from auditor.models import Answer, Claim, Outcome, QuestionSpec, Status

SELECT = ("one", "many")
PARTIAL = ("none", "proportional")


def _key_set(key: Any) -> list | None:
    if key is None or (isinstance(key, str) and key.strip().upper() == "TODO"):
        return None
    items = key if isinstance(key, (list, tuple)) else [key]
    return sorted({norm_label(k) for k in items}, key=_sort_key)


def _show(labels: Sequence) -> str:
    return "[" + ", ".join(str(x) for x in labels) + "]"


def check_choice_selection(question: QuestionSpec, answer: Answer, claim: Claim, key: Any = None, *,
                           options: Sequence = (), select: str = "many", partial_credit: str = "none",
                           selected_verdict: str = "") -> Outcome:
    """The selected option set against the key's: missing and extra options; no tolerance."""
    if select not in SELECT or partial_credit not in PARTIAL:
        return Outcome(Status.ERROR, message=f"spec error: select must be one of {SELECT} and partial_credit one of "
                                             f"{PARTIAL} (got {select!r}, {partial_credit!r})")
    expected = _key_set(key)
    method = "the instructor's key" + (f" ({question.reason})" if question.reason else "") + \
        ": the selected set must equal the key's set"
    labels = [parse_option(o).label for o in options]
    if expected is not None and labels and (label_style(expected) != label_style(labels) or set(expected) - set(labels)):
        return Outcome(Status.ERROR, _show(expected), "spec error: the key names labels that are not among the options", method)

    def outcome(status: Status, message: str, **details: Any) -> Outcome:
        return Outcome(status, _show(expected) if expected is not None else None, message, method, (), details)

    if not answer.answered:
        return outcome(Status.UNANSWERED, "no answer" + (f"; expected {_show(expected)}" if expected else ""))
    if claim is None or not claim.readable or claim.value is None:
        why = "; ".join(claim.notes) if claim is not None and claim.notes else "no option selection could be read"
        return outcome(Status.REVIEW, f"answered, but {why}")
    chosen = sorted({norm_label(v) for v in claim.value}, key=_sort_key)
    if claim.extra.get("hedged"):
        return outcome(Status.REVIEW, f"selected {_show(chosen)}, but {claim.extra['hedged']}: a human decides")
    if expected is None:
        return outcome(Status.REVIEW, f"selected {_show(chosen)}; the spec has no key for this question")
    if select == "one" and len(expected) > 1:
        select = "many"  # the key lists several: the instructor's key decides, compared as select-all
    missing = [x for x in expected if x not in chosen]
    extra = [x for x in chosen if x not in expected]
    details = {"selected": chosen, "missing": missing, "extra": extra}
    if not missing and not extra:
        return outcome(Status.PASS, f"selected {_show(chosen)}, as the key", **details)
    parts = [f"missing {_show(missing)}" if missing else "", f"extra {_show(extra)}" if extra else ""]
    message = f"selected {_show(chosen)}, expected {_show(expected)}: " + ", ".join(p for p in parts if p)
    if select == "one" and len(chosen) > 1:
        message += " (the question asks for one option)"
    if question.contested:
        return outcome(Status.REVIEW, message + "; the key is contested: a human decides", **details)
    if partial_credit == "proportional" and select == "many":
        right = len(expected) - len(missing)
        details["credit"] = round(max(0.0, (right - len(extra)) / len(expected)), 4)
        message += f"; partial credit {details['credit']:.0%}"
    return outcome(Status.FAIL, message, **details)
