"""What ``auditor init`` (and a spec-less audit) proposes for a question found by convention:
the claim kind from its wording, the check that judges that kind against a key, the check's
parameters read from the question (a choice question's option labels), and an example key.

* choice  -> ``choice_selection`` (``options``, ``select`` = "one" | "many"), key like ``[1, 3]``;
  when the choice claim kind is not installed, a single choice with numbered options is read as
  a number and nothing is judged;
* verdict -> ``true_false``, key ``"true"`` | ``"false"``;
* number  -> ``keyed_number``, key a number (or a list of numbers);
* shape   -> ``keyed_number`` over the dimensions, key like ``[2, 3]`` (when the question holds the
  code, ``tensor_shape`` / ``output_shape`` recompute the shape instead: see question_inputs).
nbgrader answer variables named by the question and read by its tests become one sub-question
each, found in the student's code by an assignment pattern.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from auditor.assignment.conventions.wording import SPECIAL_OPTION, propose


@dataclass
class Proposal:
    claim: str | None = None
    check: str | None = None
    params: dict = field(default_factory=dict)
    key_example: str | None = None   # TOML text of a key of the right type, for the TODO comment
    comment: str = ""


@functools.lru_cache(maxsize=1)
def choice_available() -> bool:
    """The choice claim kind and the ``choice_selection`` check are installed."""
    try:
        from auditor.assignment.spec import CLAIM_KINDS
        from auditor.judge.registry import get_check

        get_check("choice_selection")
    except Exception:  # noqa: BLE001 - not installed (or broken): never propose it
        return False
    return "choice" in CLAIM_KINDS


def _option_key(options: tuple[str, ...], select: str) -> str:
    picked = options[:2] if select == "many" else options[:1]
    return "[" + ", ".join(o if o.isdigit() else f'"{o}"' for o in picked) + "]"


def propose_for_text(text: str) -> Proposal:
    w = propose(text)
    if w.claim == "choice":
        if choice_available():
            texts = w.texts if len(w.texts) == len(w.options) and (all(w.texts) or any(
                "___" in t or SPECIAL_OPTION.match(t) for t in w.texts)) \
                else ()  # every option's words, or at least the one with a blank to fill in ("is equal to ___")
            #            or the one that answers "none" ("5. None of the above")
            options = [f"{o}. {t}" if t else (int(o) if o.isdigit() else o) for o, t in zip(w.options, texts)] \
                if texts else [int(o) if o.isdigit() else o for o in w.options]
            params = {"options": options, "select": w.select}
            if w.selected_verdict:
                params["selected_verdict"] = w.selected_verdict
            return Proposal("choice", "choice_selection", params, _option_key(w.options, w.select or "one"))
        if w.select == "one" and all(o.isdigit() for o in w.options):
            return Proposal("number", "keyed_number", key_example=w.options[0],
                            comment="single choice: the option number is read as a number "
                                    "(the choice claim kind is not installed)")
        return Proposal(comment=f"choice among {', '.join(w.options)}: the choice claim kind is not installed")
    if w.claim == "verdict":
        return Proposal("verdict", "true_false", key_example='"true"')
    if w.claim == "number":
        return Proposal("number", "keyed_number", key_example="0")
    if w.claim == "shape":
        return Proposal("shape", "keyed_number", key_example="[2, 3]",
                        comment="shape: the key lists the dimensions in order")
    return Proposal()


def answer_pattern(variable: str) -> str:
    """A code line that assigns ``variable`` (also in a tuple assignment), not a comparison."""
    v = re.escape(variable)
    return rf"^\s*(?:[\w\s,]*,\s*)?{v}\s*(?:,[\w\s,]*)?=(?!=)"
