"""Read an option selection (single choice or select-all-that-apply) from one answer.

Value: the sorted selected labels - ints for numbered options (``[1, 3]``), lowercase strings for
letters and roman numerals (``["a", "c"]``, ``["iii", "iv"]``); ``[]`` for "none" when no option
says "none of the above". The options come from ``params.options`` (labels, or labelled texts
such as ``"1. Sigmoid"``), else from the key's labels; no other label is read as a selection
(label kinds: auditor.claims.choice_options). What a careful reader does, in order:

1. Keep the part that states the selection: after the last "Answer:" marker, before an
   "Explanation:" / "Reason:" marker, markup and LaTeX colour markers removed.
2. Ticked boxes (``- [x] 1``, ``☑ Sigmoid``): the ticked options.
3. Per-option verdicts - lines starting with a label (``1. will not change`` ... ``4. may change``)
   or clauses on one line (``1. True 2. False``, ``1-F, 2-T``, ``2 and 4 are correct, 1 is wrong``). Which verdict
   means "selected" is ``params.selected_verdict`` (the question's wording; a negated one selects
   the negated lines), else "true" / "yes" / "correct"; verdicts in the question's own terms
   without ``selected_verdict`` are review. Numbered explanations without verdicts select their
   labels, unless they walk through every option or a label list alone stands above them.
4. A label list where a line starts (after "Answer:", "I choose", "only", ...): ``1, 3``,
   ``No.1 No.2``, ``- 1, 2``, ``(a) and (c)``, ``ii, iv``, ``(iii)(iv)``, ``[2 3]``, ``1-3``,
   ``2 and 4 are true``, ``the second and the fourth``, one label per line; "not 3" / "except 3"
   remove 3; "all of the above" / "none" map to the option that says so, else to all options / no
   option (review when no option's words are known). A list stated with the opposite of ``selected_verdict`` ("4 and 5 will change"
   for "which will not change") names the options NOT selected: the rest (select-all), else review.
5. Option texts named in the first sentence that names any, joined by "and" / "," / "&"
   ("Sigmoid and ReLU have this problem"; a name followed by a negation is left out), or the one
   option with a blank, filled in ("56%" for "(i) is equal to ___").

Hedges ("not sure", "maybe", "either 1 or 3", "1 and 3?") set ``extra["hedged"]`` (review); nothing readable: ``readable=False``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.assignment.conventions.slots import FOREIGN_ANSWER_WORDS
from auditor.assignment.conventions.wording import SPECIAL_OPTION
from auditor.claims.choice_ticks import ticked_options
from auditor.claims.choice_options import (
    _STYLE_RE, Option, blank_filled, label_style, norm_label, ordinals_as_labels, parse_option, sort_key)
from auditor.claims.choice_verdicts import NEG_WORD as _NEG_WORD, expand_tf, predicate_polarity, verdict_list
from auditor.models import Answer, Claim, QuestionSpec, Span

_EXPLANATION = re.compile(r"^[\W_]*(?:your\s+|my\s+)?(?:explanation|reason(?:ing)?|justification|why)\b\s*[:：]", re.I | re.M)
_ANSWER = re.compile(r"(?m)^[\W_]*(?:your\s+|my\s+|final\s+)?(?:answer|ans|答え?|答え|" + FOREIGN_ANSWER_WORDS + r")\s*[:：]+", re.I)
_MARKUP = re.compile(r"\\color\s*\{[^}]*\}|\\text(?:it|bf|rm)?\b|\\newline|\\\\|[{}$*_`~>]|<[^>]+>")
_LEAD = re.compile(
    r"^[\s\-•+:：]*(?:(?:我们?)?(?:选择?|選擇?|选项|選項|答案(?:是|为|為)?)\s*[:：]?\s*)?(?:(?:my|the|our|final|correct)\s+){0,2}(?:answers?|ans|choices?|selections?|options?|picks?|statements?|items?|steps?|numbers?|ones?|claims?)?\s*(?:is|are|=)?"
    r"\s*[:：.\-–]*\s*(?:(?:i|we)(?:'d|\s+would)?\s+(?:choose|chose|pick|picked|select|selected|say|think|believe)"
    r"(?:\s+(?:it'?s|it\s+is|that))?\s*[:：]?\s*|"
    r"(?:choose|chose|pick|select(?:ed)?)\s*[:：]?\s*)?(?:only\s+|either\s+|both\s+)?(?:options?\s+)?", re.I)
_HEDGE = re.compile(r"\b(?:not\s+(?:sure|certain)|unsure|maybe|perhaps|possibly|probably|i\s+guess|no\s+idea|"
                    r"(?:don'?t|do\s+not)\s+know)\b|\beither\b.*\bor\b", re.I)
_NEG_AFTER = re.compile(r"^\s*(?:is|are|does|do|will|would|should)\s*(?:not|n't|never)\b|^\s*(?:is|are)\s+(?:false|incorrect|wrong)\b|^\s*(?:isn't|aren't|doesn't|don't|won't)\b|^\s*[不没非]", re.I)
_SEP = re.compile(r"\s*(?:,|;|&|\+|/|、|和|以及|及|\band\b|\bor\b|\b(?:y|et|und)\b|\s)\s*", re.I)
_ALL = re.compile(r"^\s*all(?:\s+of\s+(?:the\s+above|them)|\s+(?:the\s+)?options|\s+above)?\b(?:\s*(?:except|but(?:\s+not)?)\s+)?", re.I)
_NONE = re.compile(r"^\s*none(?:\s+of\s+(?:the\s+above|them))?\b", re.I)


@dataclass(frozen=True)
class _Context:
    options: tuple[Option, ...]
    style: str
    labels: frozenset

    def token(self) -> re.Pattern:
        """One label as written: ``3``, ``(c)``, ``[iii]``, ``No.2``, ``#2``, ``option 2``, ``iv.``."""
        return re.compile(
            r"(?:no\.?\s*|#|option\s+|choice\s+)?(?P<open>[(\[])?(?P<lab>" + _STYLE_RE[self.style] + r")(?P<close>[)\]])?"
            r"(?![^\W\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]|\.\d|-(?!(?:true|false|yes|no)\b)[^\W\d])(?:\.(?!\d))?", re.I)  # "1.2." / "2-layer": not labels


def _context(question: QuestionSpec) -> _Context | None:
    params = question.params or {}
    raw = params.get("options") or ()
    options = tuple(parse_option(o) for o in raw)
    if not options and isinstance(question.key, (list, tuple)) and question.key:
        style = label_style(question.key)
        if style is None:
            return None
        return _Context((), style, frozenset())
    style = label_style(o.label for o in options)
    if style is None:
        return _Context((), "number", frozenset()) if not options else None
    return _Context(options, style, frozenset(o.label for o in options))


#: full-width punctuation as ASCII ("1，3" is "1, 3"); circled numbers as plain ones ("①③" is "1 3")
_WIDE = str.maketrans({"，": ", ", "；": "; ", "：": ": ", "（": "(", "）": ")", "【": "[", "】": "]",
                       **{chr(0x2460 + k): f" {k + 1} " for k in range(20)}})


def _clean(text: str) -> str:
    text = _MARKUP.sub(" ", text.replace("\r\n", "\n").translate(_WIDE))
    return "\n".join(re.sub(r"[ \t]+", " ", ln).strip() for ln in text.splitlines())


def _statement_part(text: str) -> str:
    markers = list(_ANSWER.finditer(text))
    if markers and text[markers[-1].end():].strip():  # the question's text may come before "Answer:"
        text = text[markers[-1].end():]
    m = _EXPLANATION.search(text)
    if m and text[:m.start()].strip():
        return text[:m.start()]
    return text


def _known(ctx: _Context, label) -> bool:
    return label in ctx.labels if ctx.labels else True


def _special(ctx: _Context, which: str):
    """The option whose text says "none/all of the above", else all options / no option."""
    for o in ctx.options:
        if (m := SPECIAL_OPTION.match(o.text)) and m["which"].lower() == which:
            return [o.label]
    if which == "none":  # the empty selection, unless no option's words are known (one may say "none")
        return [] if any(o.text for o in ctx.options) or not ctx.options else None
    return [o.label for o in ctx.options if not re.match(r"\s*none\b", o.text, re.I)] or None


def _leading_list(ctx: _Context, line: str) -> tuple[list, set, str, bool] | None:
    """(labels, negated labels, the matched text, "or" between labels) of a label list opening ``line``."""
    lead = _LEAD.match(line)
    pos = lead.end() if lead else 0
    rest = line[pos:]
    if m := _ALL.match(rest):
        picked = _special(ctx, "all")
        if picked is None:
            return None
        after = _leading_list(ctx, rest[m.end():]) if re.search(r"except|but", m.group(0), re.I) else None
        drop = set(after[0]) if after else set()
        return [p for p in picked if p not in drop], drop, line[:pos + m.end()], False
    if m := _NONE.match(rest):
        if not re.match(r"\s*(?:of\s+)?(?:the\s+)?(?:options|above|them)?\s*(?:[.,;!]|$|(?:is|are)\b)", rest[m.end():], re.I):
            return None
        return _special(ctx, "none"), set(), line[:pos + m.end()], False
    token = ctx.token()
    labels: list = []
    negated: set = set()
    used_or = False
    neg_next = False
    end = pos
    while True:
        sep = _SEP.match(line, end)
        if labels and sep and sep.end() > end:
            used_or = used_or or bool(re.search(r"\bor\b", sep.group(0), re.I))
            cand = sep.end()
        else:
            cand = end
        neg = re.compile(r"(?:but\s+)?(?:not|except)\s+", re.I).match(line, cand)
        if neg and labels:
            cand, neg_next = neg.end(), True
        m = token.match(line, cand)
        if not m or not _plausible(ctx, line, m):
            break
        lab = norm_label(m["lab"])
        if not _known(ctx, lab):
            break
        (negated.add if neg_next else labels.append)(lab)
        end = m.end()
        rng = re.compile(r"\s*(?:-|–|to)\s*", re.I).match(line, end)
        upto = token.match(line, rng.end()) if rng else None
        span = _range(ctx, lab, norm_label(upto["lab"])) if upto else None
        if span:  # "1-3", "(a) to (c)"
            (negated.update if neg_next else labels.extend)(span[1:])
            end = upto.end()
    if not labels:
        return None
    after = line[end:]
    if _NEG_AFTER.match(after) and len(labels) == 1 and not negated:
        return None  # "3 is not ...": what IS selected is not said here
    return [lab for lab in labels if lab not in negated], negated, line[:end], used_or


def _range(ctx: _Context, first, last) -> list | None:
    """The labels from ``first`` to ``last`` in the options' order (numbers: numerically)."""
    order = [o.label for o in ctx.options] or (list(range(1, 100)) if ctx.style == "number" else [])
    if first not in order or last not in order or order.index(last) <= order.index(first):
        return None
    return order[order.index(first):order.index(last) + 1]


def _plausible(ctx: _Context, line: str, m: re.Match) -> bool:
    """A bare one-letter label ("a", "i") must stand as a label, not as a word."""
    if ctx.style == "number" or m["open"] or m["close"] or len(m["lab"]) > 1:
        return True
    after = line[m.end():]
    return bool(re.match(r"\s*(?:$|[.,;:&/)?!]|(?:and|or|&)\s|(?:is|are)\s)", after, re.I)) or m.group(0).endswith(".")


def _label_lines(ctx: _Context, lines: list[str]) -> list[tuple[Any, str]]:
    token = ctx.token()
    out = []
    for ln in lines:
        m = re.match(r"[-•+\s]*", ln)
        t = token.match(ln, m.end())
        if t and (t["close"] or t.group(0).endswith(".") or re.match(r"\s*[:\-–]", ln[t.end():])):
            lab = norm_label(t["lab"])
            if _known(ctx, lab):
                out.append((lab, ln[t.end():].strip(" :-–")))
    return out


_VERDICT_AHEAD = re.compile(r"\s*(?:[.):=\-–]\s*|(?:is|are)\s+)?(?:not\s+)?(?:true|false|yes|no|correct|incorrect|wrong|right)\b"
                            r"(?!\.\s*\d|\d)", re.I)  # "No.2" is a label, not a verdict


_CLAUSE_VERDICT = re.compile(r"\b(?:is|are)\s+(?P<v>(?:not\s+)?(?:true|false|correct|incorrect|wrong|right))\b", re.I)


def _verdict_clauses(ctx: _Context, line: str) -> list[tuple[Any, str]]:
    """"2 and 4 are correct, 1 is wrong": every label of a clause takes the clause's verdict."""
    verdicts = list(_CLAUSE_VERDICT.finditer(line))
    if len(verdicts) < 2:
        return []
    out, start = [], 0
    for v in verdicts:
        chunk = re.sub(r"^[\s,;.]*(?:and|but|while|whereas)?\s*", "", line[start:v.start()], flags=re.I)
        got = _leading_list(ctx, chunk)
        if got is None or not _pure_list(chunk, got[2]):
            return []
        out += [(lab, v["v"]) for lab in got[0]]
        start = v.end()
    return out


def _inline_items(ctx: _Context, line: str) -> list[tuple[Any, str]]:
    """"1. True 2. False 3. True" / "1 is true, 2 is false" on one line: one item per labelled verdict."""
    if clauses := _verdict_clauses(ctx, line):
        return clauses
    starts = []
    for m in ctx.token().finditer(line):
        if (m.start() == 0 or not line[m.start() - 1].isalnum()) and _VERDICT_AHEAD.match(line, m.end()) \
                and _known(ctx, norm_label(m["lab"])):
            starts.append(m)
    if len(starts) < 2:
        starts = _separated_starts(ctx, line)
    if len(starts) < 2:
        return []
    bounds = [m.start() for m in starts[1:]] + [len(line)]
    return [(norm_label(m["lab"]), line[m.end():end].strip(" ,;:-–")) for m, end in zip(starts, bounds)]


_ITEM_SEP = re.compile(r"\s*(?:[-–:=]|\))\s*(?=[^\W\d])")


def _separated_starts(ctx: _Context, line: str) -> list:
    """"1 - won't change, 2 - changes": labels opening the line or after , ; each then - or : and words."""
    starts = [m for m in ctx.token().finditer(line)
              if (not line[:m.start()].strip() or line[:m.start()].rstrip()[-1] in ",;")
              and _ITEM_SEP.match(line, m.end()) and _known(ctx, norm_label(m["lab"]))]
    return starts if starts and starts[0].start() == len(line) - len(line.lstrip()) else []


def _pure_list(line: str, matched: str) -> bool:
    """Nothing but the label list on the line (punctuation aside)."""
    return not re.search(r"\w", line[len(matched):])


_SUBJECT = re.compile(r"^(?P<subject>[^:：]{3,80}?)(?:\s*[:：]|\s+(?:are|is)\b)\s*", re.I)


def _after_subject(ctx: _Context, line: str, selected_verdict: str | None):
    """(subject, label list) for "<words>: (ii)" and for "The ones that won't change are 1, 2, 3"
    (a subject in the question's terms or saying true / correct, then nothing but labels)."""
    m = _SUBJECT.match(line)
    if not m or ctx.token().search(m["subject"]):
        return "", None
    got = _leading_list(ctx, line[m.end():])
    if got is None or (not m.group(0).rstrip().endswith((":", "：")) and not (
            _pure_list(line[m.end():], got[2]) and (predicate_polarity(m["subject"], selected_verdict) is not None
                                                    or re.search(r"\b(?:true|correct|right)\b", m["subject"], re.I)))):
        return "", None
    return m["subject"], got


def _labels_below(ctx: _Context, lines: list[str]) -> list:
    """"- 1" / "- 2" / "- 3": the labels of the lines that, like the first, hold nothing but labels."""
    out: list = []
    for ln in lines:
        got = _leading_list(ctx, ln)
        if got is None or got[1] or got[3] or not _pure_list(ln, got[2]):
            break
        out += got[0]
    return out


def _complement(ctx: _Context, listed: list, select, selected_verdict: str):
    """The options not listed, for an answer that lists the options the question does not ask for."""
    why = f"the answer lists the options that do the opposite of '{selected_verdict}'"
    rest = [o.label for o in ctx.options if o.label not in listed and not re.match(r"\s*(?:none|all)\b", o.text, re.I)]
    if select != "many" or not rest:
        return None, why + ": which option is selected is not said"
    return rest, why + ": the selection is the other options"


def _named(ctx: _Context, text: str):
    """Options named by their text in the first sentence that names any, joined by and / , / &."""
    named = [o for o in ctx.options if o.text and len(o.text) <= 40]
    if not named:
        return None
    for sentence in re.split(r"(?<=[.!?])\s+|(?<=[^\W\d_]{2}[.!?])(?=[^\W\d_])|(?<=[。！？])|\n", text):
        hits = []
        taken = [False] * len(sentence)
        for o in sorted(named, key=lambda o: -len(o.text)):
            for m in re.finditer(r"(?<![A-Za-z0-9_.])" + re.escape(o.text) + r"(?![A-Za-z0-9_]|\.\d)", sentence, re.I):
                if any(taken[m.start():m.end()]):
                    continue
                taken[m.start():m.end()] = [True] * (m.end() - m.start())
                hits.append((m.start(), m.end(), o.label))
        if not hits:
            continue
        hits.sort()
        picked, dropped = [], []
        for i, (s, e, lab) in enumerate(hits):
            (dropped if _NEG_AFTER.match(sentence[e:]) or re.search(r"\b(?:not|except)\s*$", sentence[:s], re.I)
             else picked).append(lab)
        joined = all(re.fullmatch(r"\s*(?:,|&|/|、|和|and|,\s*and)?\s*", sentence[hits[i][1]:hits[i + 1][0]], re.I)
                     for i in range(len(hits) - 1) if hits[i][2] in picked and hits[i + 1][2] in picked)
        if set(picked) & set(dropped):
            return None
        if not joined:
            return None
        return sorted(set(picked), key=sort_key), sentence.strip()
    return None


def read_choice(answer: Answer, question: QuestionSpec) -> Claim:
    ctx = _context(question)
    if ctx is None:
        return Claim("choice", readable=False, notes=("the spec's options/key mix label styles: cannot read a selection",))
    params = question.params or {}
    selected_verdict = params.get("selected_verdict")
    text = _statement_part(_clean(answer.text))
    text = expand_tf(text) if ctx.style != "letter" else text
    cell = answer.segments[0].cell if answer.segments else -1
    lines = [ordinals_as_labels(ln) if ctx.style == "number" else ln for ln in text.splitlines() if ln.strip()]
    hedge = _HEDGE.search(text)
    value, how, quote = None, "", ""
    ticked = ticked_options(ctx.token(), lambda label: _known(ctx, label), ctx.options, text)
    if ticked is not None:
        if not ticked:
            return Claim("choice", readable=False, notes=("ticked boxes whose options cannot be told",))
        return Claim("choice", value=sorted(set(ticked), key=sort_key), span=Span(cell, "\n".join(lines[:4])),
                     notes=("selection read from ticked boxes",), extra={"how": "selection read from ticked boxes"})
    items = _label_lines(ctx, lines)
    first = _leading_list(ctx, lines[0]) if lines else None
    if first is not None and len(items) >= 2 and _pure_list(lines[0], first[2]) and any(t for _, t in items[1:]):
        items = []  # "1, 3" above "1. ... 2. ... 3. ...": the list is the selection, the rest explains it
    if len(items) < 2 and lines:
        items = _inline_items(ctx, lines[0]) or items
    if len(items) >= 2:
        value, how = verdict_list(ctx.labels, items, selected_verdict)
        quote = "\n".join(lines[:4])
        if value is None:
            return Claim("choice", readable=False, span=Span(cell, quote), notes=(how,))
    else:
        for i, ln in enumerate(lines[:3]):
            got, subject = _leading_list(ctx, ln), ""
            if got is None:
                subject, got = _after_subject(ctx, ln, selected_verdict)
            if got is not None:
                value, negated, quote, used_or = got
                if value is None:
                    break
                if _pure_list(ln, quote) and not negated:
                    value = value + _labels_below(ctx, lines[i + 1:])
                how = "labels listed" + (f", {sorted(negated, key=sort_key)} excluded" if negated else "")
                after = "" if quote.rstrip().endswith(".") else ln[ln.find(quote) + len(quote):]  # "1, 3. They ...": a new sentence
                if False in (predicate_polarity(after, selected_verdict),
                             predicate_polarity(subject, selected_verdict)):
                    # "4 and 5 will change the performance" asked "which will not change": the rest
                    value, how = _complement(ctx, value, params.get("select"), selected_verdict)
                    if value is None:
                        return Claim("choice", readable=False, span=Span(cell, ln), notes=(how,))
                if used_or and len(value) > 1:
                    hedge = hedge or re.search(r"\bor\b", quote, re.I)
                hedge = hedge or re.match(r"\s*\?", ln[len(quote):])  # "c and d?": asked, not stated
                break
        if value is None:
            named = _named(ctx, text) or (blank_filled(ctx.options, lines[0]) if lines else None)
            if named is not None:
                value, quote = named
                how = "options named by their text"
    if value is None:
        why = f"the answer hedges ({hedge.group(0).strip()!r}) and" if hedge else ""
        return Claim("choice", readable=False, notes=(f"{why} no option selection could be read".strip(),))
    value = sorted(set(value), key=sort_key)
    extra: dict[str, Any] = {"how": how}
    if hedge:
        extra["hedged"] = f"the answer hedges ({hedge.group(0).strip()!r})"
    return Claim("choice", value=value, span=Span(cell, quote.strip()), notes=(how,) if how != "labels listed" else (),
                 extra=extra)
