"""checks.receptive_field: analytic and empirical fields agree; claims judged."""
from __future__ import annotations

import pytest

from auditor.models import Answer, Claim, Segment, Status
from checks.engines.torch_snippet import build_model
from checks.receptive_field import analytic_field, check_receptive_field, receptive_field_truth, windows

COURSE_CNN = """import torch
import torch.nn as nn

cnn = nn.Sequential(
    nn.Conv2d(in_channels=3, out_channels=4, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(in_channels=4, out_channels=16, kernel_size=5, stride=2, padding=2),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(in_channels=16, out_channels=32, kernel_size=7, dilation=2, padding=3),
    nn.ReLU(),
)

cnn(torch.rand(size=(1, 3, 1024, 1024), dtype=torch.float32)).shape
"""
ANSWERED = Answer("cnns/3", True, (Segment(7, "receptive field is 54x54", "markdown"),))


def _run(value, notes=(), answer=ANSWERED, readable=True):
    return check_receptive_field(answer, Claim("number", value, readable, notes=notes),
                                 model_code=COURSE_CNN, input_size=1024)


def test_course_cnn_truth_both_ways():
    truth = receptive_field_truth(COURSE_CNN, 1024)
    assert truth.analytic == (112, 112) and truth.empirical == (112, 112)
    assert truth.per_layer == (3, 4, 12, 16, 112) and truth.jump == 8
    assert truth.output_shape == (1, 32, 122, 122)
    assert any("3, 4, 12, 16, 112" in line for line in truth.lines())


def test_seed_claim_54_fails_and_112_passes():
    out = _run(54)
    assert out.status is Status.FAIL and out.expected == 112
    assert "54" in out.message and "112" in out.message
    assert "agree" in out.method
    assert _run(112).status is Status.PASS


def test_output_size_distractor_is_named():
    out = _run(122)
    assert out.status is Status.FAIL and "output's spatial size" in out.message


def test_area_claims_are_compared_by_square_root():
    out = _run(112 * 112, notes=("stated as an area",))
    assert out.status is Status.PASS and "area" in out.message
    out = _run(289, notes=("stated as an area (289 = 17x17)",))
    assert out.status is Status.FAIL and "17" in out.message


def test_unreadable_and_unanswered():
    assert _run(None, readable=False).status is Status.REVIEW
    assert _run(None, answer=Answer("cnns/3", False)).status is Status.UNANSWERED


@pytest.mark.parametrize("code, side", [
    ("m = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3))", 5),
    ("m = nn.Sequential(nn.Conv2d(1, 1, 3, stride=2), nn.Conv2d(1, 1, 3))", 7),
    ("k = 3\nm = nn.Sequential(nn.Conv2d(1, 1, k, dilation=2), nn.MaxPool2d(2), nn.Conv2d(1, 1, k))", 10),
    ("m = nn.Sequential(nn.AvgPool2d(4), nn.BatchNorm2d(1), nn.Conv2d(1, 1, 5, padding=2))", 20),
])
def test_small_nets_analytic_equals_empirical(code, side):
    truth = receptive_field_truth(code)
    assert truth.analytic == truth.empirical == (side, side)


def test_non_windowed_layer_gives_review():
    code = "m = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2))"
    out = check_receptive_field(ANSWERED, Claim("number", 3), model_code=code)
    assert out.status is Status.REVIEW and "Flatten" in out.message


def test_code_is_not_executed():
    code = "import os\nos.system('touch /tmp/should_not_exist')\nm = nn.Sequential(nn.Conv2d(1, 1, 3))"
    assert receptive_field_truth(code).analytic == (3, 3)
    out = check_receptive_field(ANSWERED, Claim("number", 3), model_code="m = open('/etc/passwd')")
    assert out.status is Status.REVIEW


def test_windows_read_from_rebuilt_model():
    layers = windows(build_model(COURSE_CNN))
    assert [w.name for w in layers] == ["Conv2d", "MaxPool2d", "Conv2d", "MaxPool2d", "Conv2d"]
    assert analytic_field(layers)[0] == (112, 112)
