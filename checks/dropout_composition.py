"""dropout_composition: one dropout layer equivalent to two consecutive ones.

Ground truth: q = 1 - (1 - p1)(1 - p2) from the spec's p1, p2 (0.28 for 0.1 and 0.2).
A unit survives both layers with probability (1 - p1)(1 - p2), so it is dropped with
probability q. The
survivors are scaled by 1/((1-p1)(1-p2)) = 1/(1-q), the same scaling ``nn.Dropout(q)`` applies.

Method: the closed form from the spec's ``p1``, ``p2``, confirmed by Monte Carlo: 200 000 ones
through ``nn.Dropout(p1)`` then ``nn.Dropout(p2)`` in training mode (seed 0); the zero fraction
must be within 0.005 of q (about 5 standard errors). The claimed formula (claim.extra
"formula", in p1/p2) is checked for equivalence with sympy after a safe parse (no eval): claimed - truth is
identically zero (exact: non-zero at a rational point -> different; expands to 0, or
simplify gives 0 -> equal); the claimed value numerically. So the report can say "formula
right, arithmetic wrong".

Tolerance: |claimed q - q| <= 0.005.

Status: value right -> pass; value wrong -> fail (noting a right formula); no value: formula
right -> pass, wrong -> fail; neither readable -> review.

Common mistakes: p1 + p2 (0.3, counts units dropped twice), p1 * p2 (0.02, both drop), the keep
probability (1-p1)(1-p2) = 0.72, arithmetic slips such as 0.1 + 0.2*0.1 = 0.12.
"""
from __future__ import annotations

from functools import lru_cache

import sympy
import torch
from torch import nn

from auditor.models import Answer, Claim, Outcome, Status
from checks.engines.formula import FormulaError, equivalent, parse_formula

TOLERANCE = 0.005
SAMPLES = 200_000
P1, P2 = sympy.symbols("p1 p2")
TRUTH_FORMULA = 1 - (1 - P1) * (1 - P2)
KNOWN_MISTAKES = {
    "p1 + p2 (units dropped by both counted twice)": P1 + P2,
    "p1 * p2 (the probability that BOTH drop)": P1 * P2,
    "(1 - p1)(1 - p2) (the keep probability)": (1 - P1) * (1 - P2),
}


@lru_cache(maxsize=32)
def monte_carlo_drop_fraction(p1: float, p2: float, samples: int = SAMPLES, seed: int = 0) -> tuple[float, float]:
    """(fraction of units zeroed by Dropout(p1) then Dropout(p2), scale of the survivors)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = nn.Sequential(nn.Dropout(p1), nn.Dropout(p2)).train()
        out = layers(torch.ones(samples, dtype=torch.float64))
    survivors = out[out != 0]
    return float((out == 0).double().mean()), float(survivors.mean()) if survivors.numel() else float("nan")


def _formula_verdict(claim: Claim | None) -> tuple[bool | None, str]:
    text = claim.extra.get("formula") if claim is not None else None
    if not text:
        return None, ""
    try:
        expr = parse_formula(str(text), ("p1", "p2"))
    except FormulaError as exc:
        return None, f"the formula {text!r} could not be read ({exc})"
    if equivalent(expr, TRUTH_FORMULA):
        return True, f"the formula {text!r} is equivalent to 1-(1-p1)(1-p2)"
    named = next((name for name, wrong in KNOWN_MISTAKES.items() if equivalent(expr, wrong)), None)
    return False, f"the formula {text!r} is not equivalent to 1-(1-p1)(1-p2)" + (f": it is {named}" if named else "")


def check_dropout_composition(answer: Answer, claim: Claim, *, p1: float, p2: float) -> Outcome:
    """q of one dropout equal to Dropout(p1) then Dropout(p2): formula (sympy) and value (0.005)."""
    q = 1 - (1 - p1) * (1 - p2)
    fraction, scale = monte_carlo_drop_fraction(p1, p2)
    if abs(fraction - q) > TOLERANCE:
        return Outcome(Status.ERROR, q, f"Monte Carlo ({fraction:.4f}) disagrees with the closed form ({q:.4f})")
    method = f"q = 1-(1-p1)(1-p2) = {q:.4g} for p1={p1:g}, p2={p2:g}; Monte Carlo with torch dropout agrees"
    evidence = [
        f"closed form: 1 - (1-{p1:g})(1-{p2:g}) = {q:.4g}",
        f"Monte Carlo: {SAMPLES} ones through Dropout({p1:g}) then Dropout({p2:g}) (seed 0): zero fraction "
        f"{fraction:.4f}, survivors scaled by {scale:.4f} = 1/(1-q) = {1 / (1 - q):.4f}",
    ]
    formula_ok, formula_line = _formula_verdict(claim)
    if formula_line:
        evidence.append(formula_line)
    value = claim.value if claim is not None and claim.readable else None
    value_ok = None if not isinstance(value, (int, float)) or isinstance(value, bool) else abs(value - q) <= TOLERANCE
    details = {"formula_ok": formula_ok, "value_ok": value_ok,
               "formula": claim.extra.get("formula") if claim is not None else None}

    def outcome(status: Status, message: str) -> Outcome:
        return Outcome(status, round(q, 10), message, method, tuple(evidence), details)

    if not answer.answered:
        return outcome(Status.UNANSWERED, "no answer")
    if value_ok is True:
        extra = "" if formula_ok is not False else " (but the stated formula is not equivalent)"
        return outcome(Status.PASS, f"claimed {value:g}, correct{extra}")
    if value_ok is False:
        why = ": formula right, arithmetic wrong" if formula_ok else ""
        return outcome(Status.FAIL, f"claimed {value:g}, expected {q:.4g} (tolerance {TOLERANCE}){why}")
    if formula_ok is True:
        return outcome(Status.PASS, "formula right (no numeric value stated)")
    if formula_ok is False:
        return outcome(Status.FAIL, "formula wrong (no numeric value stated)")
    return outcome(Status.REVIEW, "answered, but neither a value nor a formula for q could be read")
