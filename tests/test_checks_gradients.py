"""checks.gradient_cause, checks.gradient_flow, checks.parameter_count on networks from question code."""
from __future__ import annotations

from auditor.models import Answer, Claim, QuestionSpec, Segment, Status
from checks.engines.gradient_flow import GradientFlow, measure_gradient_flow
from checks.gradient_cause import check_gradient_cause
from checks.gradient_flow import check_gradient_flow
from checks.parameter_count import check_parameter_count

PIRATES = """import torch.nn as nn

N = 42  # number of known global pirate hot spots
H = 128
mlpirate = nn.Sequential(
    nn.Linear(in_features=N, out_features=H),
    nn.Sigmoid(),
    *[
        nn.Linear(in_features=H, out_features=H), nn.Sigmoid(),
    ]*24,
    nn.Linear(in_features=H, out_features=1),
)
"""
SHALLOW = "net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))"
EXPLODING = "net = nn.Sequential(*[nn.Linear(32, 32, bias=False) for _ in range(12)])"
ANSWERED = Answer("losses-and-activation-functions/2", True, (Segment(19, "vanishing gradients", "markdown"),))
Q = QuestionSpec(id="losses-and-activation-functions/2", section="losses-and-activation-functions", number=2,
                 key="vanishing")


def test_pirates_mlp_vanishes_with_24_and_42_repeats():
    for code in (PIRATES, PIRATES.replace("]*24", "]*42")):
        flow = measure_gradient_flow(code)
        assert flow.verdict == "vanishing" and flow.ratio < 1e-6
        assert flow.distinct_weighted == 3
    assert len(measure_gradient_flow(PIRATES.replace("]*24", "]*42")).norms) == 44


def test_gradient_cause_from_the_notebook_code():
    out = check_gradient_cause(Q, ANSWERED, Claim("cause", "vanishing"), PIRATES)
    assert out.status is Status.PASS and out.expected == "vanishing"
    assert any("first/last" in line for line in out.evidence)
    assert check_gradient_cause(Q, ANSWERED, Claim("cause", "exploding"), PIRATES).status is Status.FAIL
    assert check_gradient_cause(Q, ANSWERED, Claim("cause", None, False), PIRATES).status is Status.REVIEW


def test_gradient_cause_key_contradicted_by_measurement_goes_to_review():
    out = check_gradient_cause(Q, ANSWERED, Claim("cause", "vanishing"), None, model_code=SHALLOW)
    assert out.status is Status.REVIEW


def test_gradient_cause_without_code_uses_key_and_says_so():
    out = check_gradient_cause(Q, ANSWERED, Claim("cause", "vanishing"), None)
    assert out.status is Status.PASS and "could not be rebuilt" in out.evidence[0]


def test_gradient_flow_verdicts():
    assert check_gradient_flow(ANSWERED, Claim("cause", "vanishing"), PIRATES).status is Status.PASS
    assert check_gradient_flow(ANSWERED, Claim("cause", "other"), None, model_code=SHALLOW).status is Status.PASS
    out = check_gradient_flow(ANSWERED, Claim("cause", "vanishing"), None, model_code=SHALLOW)
    assert out.status is Status.FAIL and out.expected == "healthy"
    assert measure_gradient_flow(EXPLODING).norms[0] < measure_gradient_flow(EXPLODING).norms[-1]
    assert check_gradient_flow(ANSWERED, Claim("cause", "x"), None, model_code="net = 3").status is Status.REVIEW


def test_parameter_count_counts_shared_modules_once():
    ok = check_parameter_count(ANSWERED, Claim("number", 22145), PIRATES)
    assert ok.status is Status.PASS and ok.expected == 22145
    naive = 42 * 128 + 128 + 24 * (128 * 128 + 128) + 129
    out = check_parameter_count(ANSWERED, Claim("number", naive), PIRATES)
    assert out.status is Status.FAIL and "repetition" in out.message
    assert any(str(naive) in line for line in out.evidence)
    assert check_parameter_count(Answer("x", False), Claim("number", None), PIRATES).status is Status.UNANSWERED


def test_verdict_thresholds():
    assert GradientFlow(("a", "b"), (1e4, 1.0), 2).verdict == "exploding"
    assert GradientFlow(("a", "b"), (1e-4, 1.0), 2).verdict == "vanishing"
    assert GradientFlow(("a", "b"), (0.5, 1.0), 2).verdict == "healthy"
