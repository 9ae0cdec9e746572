"""A question's own inputs: the check it can be judged by, with parameters read from its text and code.

``propose(text, code)`` looks at one question - its text and the code cell it gives - and returns a
``Proposal`` (claim kind, check, parameters) when the question carries everything the check needs,
else None. Used by the spec-less audit (``auditor.assignment.specless``) so that such questions are
judged with no spec at all, and usable by ``auditor init`` to draft the same entries.

What is recognised (each needs the question's wording AND the facts it states):

* a network in the question's code (``nn.Sequential`` with ``Conv2d``/``Linear`` layers) and
  "receptive field" -> ``number`` / ``receptive_field`` (``model_code``, ``input_size`` when the code
  feeds a square input); "how many parameters" -> ``number`` / ``parameter_count``; "output shape" ->
  ``shape`` / ``output_shape`` (the code's last expression or named tensor);
* two dropout probabilities and "q": "p1 = 0.1 and p2 = 0.2" in the text (also ``p_1``, ``p_{1}``),
  or two ``Dropout(p)`` in the code -> ``probability`` / ``dropout_composition`` (``p1``, ``p2``);
* a tensor snippet whose shape is asked ("what is the shape of Y", "shape of the output") ->
  ``shape`` / ``tensor_shape`` (``snippet``, ``target``) or ``output_shape`` without a named target;
* listed options and "which / select / choose / pick" -> ``choice`` / ``choice_selection`` with
  ``options``, ``select`` and, when the question words it, ``selected_verdict``. The truth of a
  selection is the instructor's key, so this proposal has ``needs_key=True``: without a spec the
  selection is read and shown, and the question stays ``manual``.

Nothing here runs the code: the checks rebuild it from whitelisted layers (meta device).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from auditor.claims.choice_options import options_from_text


@dataclass(frozen=True)
class Proposal:
    claim: str
    check: str
    params: Mapping[str, Any] = field(default_factory=dict)
    needs_key: bool = False          # the truth is the instructor's key: without one, status manual
    why: str = ""


_P1, _P2 = (re.compile(r"(?<![\w])p\s*_?\s*\{?\s*" + n + r"\s*\}?\s*(?:=|:|is)\s*\$?\s*(?P<v" + n + r">0?\.\d+|[01](?:\.\d+)?)", re.I)
            for n in ("1", "2"))
_Q = re.compile(r"(?<![\w.])q(?![\w(])")
_NET = re.compile(r"\bnn\.(?:Sequential|Conv[123]d|Linear)\b|\bclass\s+\w+\s*\(\s*nn\.Module\s*\)")
_INPUT = re.compile(r"size\s*=\s*\(\s*\d+\s*,\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)\s*\)")
_CHOOSE = re.compile(r"\b(?:which|select|choose|pick|circle|mark)\b", re.I)
_MANY = re.compile(r"\ball\s+(?:that|which)\s+apply\b|\b(?:select|choose|pick|mark)\s+all\b|\ball\s+of\s+the\s+options\b"
                   r"|\bone\s+or\s+more\b", re.I)
_ONE = re.compile(r"\b(?:pick|choose|select)\s+(?:one|the\s+(?:correct|best|right)\s+(?:option|answer|choice))\b"
                  r"|\bone\s+of\s+the\s+options\b|\bwhich\s+one\b|\bclosest\s+to\b", re.I)
_WHICH = re.compile(r"\bwhich\b[^?.\n]*", re.I)
_VERB = re.compile(r"\b(?P<v>will|may|can|could|would|does|do|did|is|are|has|have|might|must|should|cannot|can't|won't)"
                   r"(?P<rest>(?:\s+not)?(?:\s+[a-z]+){1,3})", re.I)
_FILLER = {"the", "this", "that", "these", "those", "following", "options", "statements", "a", "an", "be", "of"}


def _dropout(text: str, code: str) -> Proposal | None:
    if "dropout" not in text.lower() or not _Q.search(text):
        return None
    m1, m2 = _P1.search(text), _P2.search(text)
    if m1 and m2:
        p1, p2 = float(m1["v1"]), float(m2["v2"])
        if 0 <= p1 < 1 and 0 <= p2 < 1:
            return Proposal("probability", "dropout_composition", {"p1": p1, "p2": p2},
                            why=f"p1 = {p1:g} and p2 = {p2:g} stated in the question")
    if code:
        from auditor.assignment.specless import dropout_probabilities

        ps = dropout_probabilities(code)
        if len(ps) == 2:
            return Proposal("probability", "dropout_composition", {"p1": ps[0], "p2": ps[1]},
                            why="two Dropout layers in the question's code")
    return None


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _network(text: str, code: str) -> Proposal | None:
    if not code or not _NET.search(code) or not _parses(code):
        return None
    low = text.lower()
    if "receptive field" in low and "Conv" in code:
        params: dict[str, Any] = {"model_code": code}
        m = _INPUT.search(code)
        if m and m.group(1) == m.group(2):
            params["input_size"] = int(m.group(1))
        return Proposal("number", "receptive_field", params, why="a CNN in the question's code; receptive field asked")
    if re.search(r"\b(?:number\s+of|how\s+many)\s+(?:trainable\s+|learnable\s+)?(?:parameters|weights)\b", low):
        return Proposal("number", "parameter_count", {"model_code": code},
                        why="a network in the question's code; its parameter count asked")
    return None


def _shape(text: str, code: str) -> Proposal | None:
    if not code or "torch" not in code or not _parses(code) or not re.search(r"\b(?:shape|dimensions)\b", text, re.I):
        return None  # the shape checks rebuild torch code only (a pandas frame's shape is not theirs)
    asked = re.search(r"\bshape\s+of\s+(?:the\s+)?(?:tensor\s+|variable\s+)?`?(?P<name>[A-Za-z_]\w*)`?", text)
    name = asked["name"] if asked and asked["name"].lower() not in {"the", "output", "result", "tensor", "it"} else None
    shown = re.search(r"\b([A-Za-z_]\w*)\.shape\b", code)
    target = name if name and re.search(rf"^\s*{re.escape(name)}\s*=", code, re.M) else (shown.group(1) if shown else None)
    if target is None and not re.search(r"\b(?:output|result)\b", text, re.I):
        return None
    snippet = "\n".join(ln for ln in code.splitlines() if not ln.lstrip().startswith(("print", "import", "#", "from ")))
    if target is None:
        return Proposal("shape", "output_shape", {"snippet": code}, why="the shape of the code's output is asked")
    return Proposal("shape", "tensor_shape", {"snippet": snippet.strip(), "target": target},
                    why=f"the shape of {target} in the question's snippet is asked")


def choice_inputs(text: str) -> dict[str, Any] | None:
    """``options``, ``select`` and (when worded) ``selected_verdict`` of a question listing options."""
    options = options_from_text(text)
    if len(options) < 2 or not _CHOOSE.search(text):
        return None
    params: dict[str, Any] = {
        "options": [f"{o.label}. {o.text}" if o.text else o.label for o in options],
        "select": "many" if _MANY.search(text) or not _ONE.search(text) else "one",
    }
    which = _WHICH.search(text)
    verb = _VERB.search(which.group(0)) if which else None
    if verb:
        words = re.split(r"\s+(?:when|if|for|in|after|during|because|to|at|on|with|by)\b", verb.group(0).lower())[0].split()
        content = [w for w in words[1:] if w not in _FILLER and w != "not"]
        if content:  # "may change", "will not change", "have this problem"
            params["selected_verdict"] = " ".join(words)
    return params


def propose(text: str, code: str = "") -> Proposal | None:
    """The check a question can be judged by from its own text and code (see the module doc), or None."""
    for rule in (_dropout, _network, _shape):
        found = rule(text, code or "")
        if found is not None:
            return found
    params = choice_inputs(text)
    if params is not None:
        return Proposal("choice", "choice_selection", params, needs_key=True,
                        why=f"{len(params['options'])} options listed; the question asks to pick")
    return None


def recognise(question, notebook) -> dict[str, Any]:
    """Hook for the spec-less builder: ``{"claim", "check", "params"}`` for a found question (its text
    lines and its first code cell), or ``{}``. A check that needs a key is left out (``check`` None:
    the claim is read and shown, the question stays manual); a shape asked of a question with
    sub-statements is left to a spec (one sub-statement asks it, the whole answer would be read)."""
    code = notebook.cells[question.code_cells[0]].source if question.code_cells else ""
    proposal = propose("\n".join(question.lines) or question.text, code)
    if proposal is None:
        return {}
    if proposal.claim == "shape" and getattr(question, "subs", None):
        return {}  # the shape is asked by one of its sub-statements; the whole answer would misread it
    return {"claim": proposal.claim, "check": None if proposal.needs_key else proposal.check,
            "params": dict(proposal.params)}
