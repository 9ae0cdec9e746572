"""Read a probability answer (stacked dropout's q): the final value and the formula.

``parse_formula(text)`` turns what students write into a sympy expression in
``p1``/``p2``: ``p_1``, ``p_{1}``, ``P1``, ``∙ · × ⋅``, ``\\cdot``, ``\\times``,
``\\left( \\right)``, ``\\frac{a}{b}``, ``^``, ``−``, implicit multiplication
``(1-p1)(1-p2)`` / ``p_1 p_2``.  It uses ``sympy.parsing.sympy_parser`` with the
implicit-multiplication transformations (sympy's LaTeX parser needs an antlr4
runtime pinned to a version we do not ship, so LaTeX is rewritten to plain
syntax first).  Anything it cannot parse, or an expression with other symbols,
gives ``None``.

``read_probability`` finds the equations that define q (``q = ...``, also
``1-q = ...`` solved for q with sympy), and records:
  * ``value``: the last numeric value stated for q (``q = ... = 0.28``), None if only a
    formula was given; an arithmetic-only side (``q = 1-0.9*0.8``) is evaluated and noted;
  * ``extra["formula"]``: the last formula for q in p1, p2, as a sympy string
    (whether it is right is the check's business, not ours).
"""
from __future__ import annotations

import re
from functools import lru_cache

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from auditor.claims.text import blank_labels, make_doc, pick_segments
from auditor.models import Answer, Claim, QuestionSpec

P1, P2, Q = sympy.symbols("p1 p2 q")
_TRANSFORMS = standard_transformations + (implicit_multiplication_application, convert_xor)
_LOCALS = {"p1": P1, "p2": P2, "q": Q}

_SUBS: tuple[tuple[str, str], ...] = (
    (r"\\left|\\right|\\big|\\Big|\\bigl|\\bigr|\\,|\\;|\\!|\\quad", " "),
    (r"\\d?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"((\1)/(\2))"),
    (r"\\(?:cdot|times|ast)|[∙·×⋅*]", "*"),
    (r"[−–]", "-"),
    (r"\\(?:text|mathrm|mathit|operatorname)\s*\{([^{}]*)\}", r"\1"),
    (r"\b[pP]\s*_?\s*\{?\s*([12])\s*\}?", r"p\1"),           # p_1, p_{1}, P1, p 1
    (r"(p[12])(?=[A-Za-z(\d])", r"\1*"),                        # p1p2 -> p1*p2
    (r"\b[qQ]\b", "q"),
    (r"[{\[]", "("),
    (r"[}\]]", ")"),
    (r"\$|`|\\", " "),
)


def normalise(text: str) -> str:
    """Plain sympy-syntax text for a student's expression (LaTeX and symbols rewritten)."""
    out = text
    for pat, repl in _SUBS:
        out = re.sub(pat, repl, out)
    return re.sub(r"\s+", " ", out).strip(" .,;:")


@lru_cache(maxsize=512)
def _parse(norm: str, allow_q: bool) -> sympy.Expr | None:
    if not norm or re.search(r"[^\w\s+\-*/().^]", norm):
        return None
    names = set(re.findall(r"[A-Za-z_]\w*", norm))
    allowed = {"p1", "p2"} | ({"q"} if allow_q else set())
    if not names <= allowed:
        return None
    try:
        expr = parse_expr(norm, local_dict=dict(_LOCALS), transformations=_TRANSFORMS, evaluate=True)
    except Exception:   # sympy raises many kinds on bad input; unreadable is the answer
        return None
    if not isinstance(expr, sympy.Expr):
        return None
    return expr


def parse_formula(text: str) -> sympy.Expr | None:
    """A sympy expression in p1, p2 (numbers allowed), or None when it cannot be read."""
    expr = _parse(normalise(text), False)
    if expr is None or not expr.free_symbols <= {P1, P2}:
        return None
    return expr


_ARROW = re.compile(r"\\(?:Rightarrow|Longrightarrow|implies|to|rightarrow|iff)\b|=>|⇒|→|⟹")
_MATH_TOKEN = re.compile(
    r"[\d+\-*/^().{}\[\]\\$·∙×⋅−–|,]*(?:(?:[pPqQ](?:_?\{?[12]?\}?)?|\\[A-Za-z]+|[A-Za-z])(?![A-Za-z]{2}))?"
    r"[\d+\-*/^().{}\[\]\\$·∙×⋅−–|]*")


def _is_math(tok: str) -> bool:
    if not tok:
        return False
    if re.fullmatch(r"[A-Za-z]{2,}[,.:]?", tok) and not re.fullmatch(r"\\?[A-Za-z]+", tok):
        return False
    if re.fullmatch(r"\d+[.)]", tok):          # a list label
        return False
    clean = re.sub(r"\\(?:cdot|times|left|right|frac|dfrac|ast|big|Big)", "", tok)
    return not re.search(r"[A-Za-z]{2,}", re.sub(r"[pP]_?\{?[12]\}?", "", clean))


def _math_tail(side: str) -> str:
    """The trailing math of a left side ("So we have q" -> "q", "1-q" -> "1-q")."""
    toks = side.split()
    out: list[str] = []
    while toks and _is_math(toks[-1]):
        out.insert(0, toks.pop())
    return " ".join(out)


def _math_head(side: str) -> str:
    """The leading math of a right side ("0.28. So..." -> "0.28")."""
    toks = side.split()
    out: list[str] = []
    for tok in toks:
        if not _is_math(tok):
            break
        out.append(tok)
        if re.search(r"[\d)}][.,;:]$", tok):     # sentence punctuation ends the math
            break
    return " ".join(out).strip(" $.,;:")


def _chains(text: str):
    """Yield, per equation chain, a list of (offset, side text); arrows split chains."""
    work = _ARROW.sub(lambda m: "\n" + " " * (len(m.group(0)) - 1), text)
    for m in re.finditer(r"[^\n]*=[^\n]*", work):
        line = m.group(0)
        yield [(m.start() + a.start(), a.group(0)) for a in re.finditer(r"[^=]+", line)]


_APPROX = re.compile(r"≈|\\approx\b|~=|\\simeq\b")
_PERCENT_REMARK = re.compile(r"\(\s*\d+(?:\.\d+)?\s*%\s*\)")


def _equals(masked: str) -> str:
    """Same-length: "≈"/"\\approx" read as "=", a percentage restated in brackets ("(28%)") blanked."""
    out = _APPROX.sub(lambda m: "=" + " " * (len(m.group(0)) - 1), masked)
    return _PERCENT_REMARK.sub(lambda m: " " * len(m.group(0)), out)


# "the equivalent / single / overall dropout probability is 0.28" (no q written)
_NAMED_VALUE = re.compile(
    r"\b(?:equivalent|single|combined|total|overall|resulting|effective|new)\s+(?:dropout\s+)?(?:probability|rate|p)\b"
    r"[^.\n\d=]{0,30}?(?:\bis\b|=|:)\s*(?:approximately\s+|about\s+)?(?P<v>\d*\.\d+|\d+(?:\.\d+)?\s*%)", re.I)

# the whole answer is one number ("Answer: 0.28")
_BARE_VALUE = re.compile(r"^[\W_]*(?:(?:the\s+|my\s+)?answer\s*(?:is)?\W*)?\$?\s*(?P<v>\d*\.?\d+)\s*(?P<pct>%)?\s*\$?[\s.]*$", re.I)


def read_probability(answer: Answer, question: QuestionSpec | None = None) -> Claim:
    segs = pick_segments(answer, ("markdown", "output", "code"))
    if not segs:
        return Claim(kind="probability", readable=False, notes=("no answer text",))
    doc = make_doc(segs)
    value = None
    value_at: tuple[int, int] | None = None
    formula = None
    formula_at: tuple[int, int] | None = None
    notes: list[str] = []
    value_note = None
    for sides in _chains(_equals(blank_labels(doc.masked))):
        lhs_expr = None
        for i in range(1, len(sides)):
            prev_off, prev_raw = sides[i - 1]
            tail = _math_tail(prev_raw)
            if i == 1 or _math_head(prev_raw) != " ".join(prev_raw.split()).strip(" $.,;:"):
                cand = _parse(normalise(tail), True)
                lhs_expr = cand if cand is not None and Q in cand.free_symbols else None
            if lhs_expr is None:
                continue
            off, raw = sides[i]
            head = _math_head(raw)
            expr = _parse(normalise(head.rstrip().rstrip("%")), True)
            if expr is None:
                continue
            if lhs_expr != Q:          # e.g. 1 - q = (1-p1)(1-p2): solve for q
                sol = sympy.solve(sympy.Eq(lhs_expr, expr), Q)
                if len(sol) != 1:
                    continue
                expr = sympy.simplify(sol[0])
            if not expr.free_symbols <= {P1, P2}:
                continue
            start = off + (len(raw) - len(raw.lstrip()))
            if expr.free_symbols:
                formula, formula_at = expr, (prev_off + prev_raw.rfind(tail) if tail else off, start + len(head))
            else:
                literal = re.fullmatch(r"\s*(\d*\.?\d+)\s*%?", head)
                num = float(sympy.N(expr))
                if literal and head.strip().endswith("%"):
                    num = num / 100.0
                value, value_at = num, (start, start + len(head))
                value_note = None if literal else f"value {num:g} computed from the stated arithmetic '{head.strip()}'"
    if value_note:
        notes.append(value_note)
    confidence, reason = 1.0, ""
    if value is None:
        named = list(_NAMED_VALUE.finditer(_equals(doc.masked)))
        if named:
            m = named[-1]
            v = m.group("v").replace(" ", "")
            value = float(v.rstrip("%")) / 100.0 if v.endswith("%") else float(v)
            value_at = (m.start("v"), m.end("v"))
            confidence, reason = 0.7, "value stated for the equivalent probability, without q"
    if value is None and formula is None and (bare := _BARE_VALUE.match(doc.text)):
        # the whole answer is one number ("Answer: 0.28"): that is the value of q
        num = float(bare["v"]) / (100.0 if bare["pct"] else 1.0)
        if 0.0 <= num <= 1.0:
            value, value_at = num, (bare.start("v"), bare.end("v"))
            notes.append("the answer is a bare number, read as q")
    if value is None and formula is None:
        return Claim(kind="probability", readable=False, notes=("no value or formula for q found",))
    at = value_at or formula_at
    span = doc.quote(at[0], at[1])
    if value is not None and formula_at and value_at and doc.cell_at(formula_at[0]) == doc.cell_at(value_at[0]):
        # quote the whole chain when formula and value sit on one line
        if doc.text.rfind("\n", 0, value_at[0]) == doc.text.rfind("\n", 0, formula_at[0]):
            span = doc.quote(min(formula_at[0], value_at[0]), value_at[1])
    extra = {"formula": sympy.sstr(formula) if formula is not None else None}
    if value is None:
        notes.append("only a formula, no numeric value")
    return Claim(kind="probability", value=value, span=span, notes=tuple(notes), extra=extra,
                 confidence=confidence, reason=reason)
