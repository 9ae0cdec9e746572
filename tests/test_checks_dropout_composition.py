"""checks.dropout_composition: value within 0.005, formula equivalence with sympy (no eval)."""
from __future__ import annotations

import pytest

from auditor.models import Answer, Claim, Segment, Status, freeze
from checks.dropout_composition import check_dropout_composition, monte_carlo_drop_fraction
from checks.engines.formula import FormulaError, parse_formula

ANSWERED = Answer("dropout/1", True, (Segment(12, "q = 0.12", "markdown"),))


def _run(value=None, formula=None, readable=True, answer=ANSWERED, p1=0.1, p2=0.2):
    extra = freeze({"formula": formula}) if formula else freeze({})
    return check_dropout_composition(answer, Claim("probability", value, readable, extra=extra), p1=p1, p2=p2)


def test_seed_formula_right_arithmetic_wrong():
    out = _run(0.12, "1-(1-p1)*(1-p2)")
    assert out.status is Status.FAIL
    assert out.expected == pytest.approx(0.28)
    assert "formula right, arithmetic wrong" in out.message
    assert out.details["formula_ok"] is True and out.details["value_ok"] is False


def test_right_value_passes_within_tolerance():
    assert _run(0.28).status is Status.PASS
    assert _run(0.284).status is Status.PASS
    assert _run(0.29).status is Status.FAIL


@pytest.mark.parametrize("formula, ok", [
    ("1-(1-p1)*(1-p2)", True),
    ("p1 + p2 - p1*p2", True),
    ("p1 + (1-p1)*p2", True),
    ("p1 + p2", False),
    ("p1*p2", False),
    ("(1-p1)*(1-p2)", False),
])
def test_formula_only_answers(formula, ok):
    out = _run(None, formula)
    assert out.status is (Status.PASS if ok else Status.FAIL)
    assert out.details["formula_ok"] is ok and out.details["value_ok"] is None


def test_known_mistake_is_named():
    out = _run(None, "p1+p2")
    assert any("counted twice" in line for line in out.evidence)


def test_unreadable_and_unanswered():
    assert _run(None).status is Status.REVIEW
    assert _run(None, "this is not math ((").status is Status.REVIEW
    assert _run(None, answer=Answer("dropout/1", False)).status is Status.UNANSWERED


def test_formula_parser_never_evaluates_code():
    for hostile in ("__import__('os').system('true')", "p1.__class__", "[p1]", "lambda: 1", "p1 if p2 else 0"):
        with pytest.raises(FormulaError):
            parse_formula(hostile, ("p1", "p2"))


def test_monte_carlo_confirms_closed_form():
    fraction, scale = monte_carlo_drop_fraction(0.1, 0.2)
    assert abs(fraction - 0.28) <= 0.005
    assert scale == pytest.approx(1 / 0.72, rel=1e-9)
    assert any("Monte Carlo" in line for line in _run(0.28).evidence)


def test_other_probabilities():
    out = _run(0.5, p1=0.5, p2=0.0)
    assert out.status is Status.PASS and out.expected == pytest.approx(0.5)


def test_formula_equivalence_is_exact_in_each_step():
    from checks.engines.formula import equivalent, parse_formula

    def eq(a, b):
        return equivalent(parse_formula(a, ["p1", "p2"]), parse_formula(b, ["p1", "p2"]))

    truth = "1-(1-p1)*(1-p2)"
    assert eq("p1 + p2 - p1*p2", truth)                 # expands to the same polynomial
    assert eq("p1 + (1-p1)*p2", truth)
    assert not eq("p1 + p2", truth)                     # non-zero at a rational point
    assert not eq("(1-p1)*(1-p2)", truth)
    assert not eq("p1 + p2 - p1*p2 + p1**9/10**12", truth)   # differs only by a tiny term: still different
    # equal as rational functions, not as polynomials: simplify decides
    assert eq("(p1**2 - p2**2)/(p1 - p2)", "p1 + p2")
    assert not eq("(p1**2 - p2**2)/(p1 + p2)", "p1 + p2")
