"""Per-option verdicts in a choice answer: which verdict on an option means "selected".

An option's verdict is either on the question itself ("true", "correct", "yes" / "false", "no") or
in the question's own terms: "Which of these steps will not change the performance?" answered
"1. will not change ... 4. will change". The question's wording of "selected" is
``params.selected_verdict`` ("will not change"); a verdict that shares its predicate ("change",
stemmed) and its negation selects the option, the opposite verdict leaves it out. Without that
wording, verdicts in the question's terms are not read (review), since either may mean selected.
"""
from __future__ import annotations

import re
from typing import Any

NEG_WORD = re.compile(r"\b(?:not|never|no|false|incorrect|wrong|cannot|none)\b|n't\b", re.I)
POS_WORD = re.compile(r"\b(?:true|correct|right|yes)\b", re.I)
_AUX = {"not", "will", "may", "can", "doe", "does", "could", "would", "might"}


def _stems(text: str) -> set[str]:
    """Content words, crudely stemmed ("changes", "changed" -> "change")."""
    return {re.sub(r"(?:ing|ed|es|s|e|d)$", "", w) if len(w) > 4 else w for w in re.findall(r"[a-z]{3,}", text.lower())}


def _polarity(clause: str, selected_verdict: str | None) -> str | None:
    """"+" / "-": the option's verdict on the question itself (true, yes / false, no); "v+" / "v-":
    the asked predicate, affirmed or negated ("changes" / "won't change"); None: no verdict."""
    head = re.split(r"[.;,:(—–]|\s-\s", clause, maxsplit=1)[0]
    head = " ".join(head.split()[:6])
    if POS_WORD.search(head) and not NEG_WORD.search(head):
        return "+"
    if re.search(r"\b(?:false|incorrect|wrong)\b", head, re.I):
        return "-"
    content = _stems(selected_verdict or "") - _AUX
    if content and content & _stems(head):
        return "v-" if NEG_WORD.search(head) else "v+"
    if re.match(r"\s*(?:no|not)\b", head, re.I):
        return "-"
    return None


def _predicate_verdicts(items: list[tuple[Any, str]]) -> bool:
    """Short heads sharing one predicate, some negated ("will not change" / "may change")."""
    heads = [" ".join(re.split(r"[.;,:(—–]|\s-\s", text, maxsplit=1)[0].split()[:6]).lower() for _, text in items]
    if any(len(h.split()) > 4 or not h for h in heads):
        return False
    words = [set(re.findall(r"[a-z]{3,}", h)) - {"not", "will", "may", "can", "does", "the", "and"} for h in heads]
    negated = [bool(NEG_WORD.search(h)) for h in heads]
    return bool(set.intersection(*words)) and any(negated) and not all(negated)


def verdict_list(all_labels: frozenset, items: list[tuple[Any, str]], selected_verdict: str | None):
    wanted = "-" if selected_verdict and NEG_WORD.search(selected_verdict) else "+"
    pol = [(lab, _polarity(text, selected_verdict)) for lab, text in items]
    if all(p is None for _, p in pol) and _predicate_verdicts(items):
        return None, ("a per-option verdict list (e.g. 'will change' / 'will not change'), but which verdict "
                      "means selected is not known: the spec's selected_verdict says it")
    if all(p is None for _, p in pol):
        labels = [lab for lab, _ in items]
        if all_labels and set(labels) >= all_labels:
            return None, "a numbered list walks through every option: which are selected is unclear"
        return labels, "selection read from a numbered list of explanations"
    if any(p is None for _, p in pol):
        return None, "some options in the list carry no verdict"
    picked = [lab for lab, p in pol if p == "+" or p == "v" + wanted]
    return picked, "selection read from a per-option verdict list"


def predicate_polarity(after: str, selected_verdict: str | None) -> bool | None:
    """The clause after a label list ("4 and 5 will change the performance"): True when it states
    the question's selected wording, False when it states the opposite, None when it says neither."""
    if not selected_verdict:
        return None
    p = _polarity(after, selected_verdict)
    if p not in ("v+", "v-"):
        return None
    return p == ("v-" if NEG_WORD.search(selected_verdict) else "v+")


def expand_tf(text: str) -> str:
    """"1-F, 2-T" / "1. T": a capital T or F right after a numbered label is a verdict word."""
    return re.sub(r"(?<=[\dvxi])(\s*[-–:=.)]\s*)([TF])(?![\w'])",
                  lambda m: m[1] + ("True" if m[2] == "T" else "False"), text)
