"""checks.numerical_gradient: student's kernel values vs the auditor's own autograd."""
from __future__ import annotations

import numpy as np
import pytest

from auditor.models import Answer, Claim, ExecStatus, ExecutionResult, Segment, Status
from checks.numerical_gradient import autograd_gradients, check_numerical_gradient, expected_gradients

ANSWERED = Answer("backpropagation/3", True, (Segment(33, "grad_W = ...", "code"),))
RNG = np.random.default_rng(0)
X, W, B = RNG.random((100, 5)), RNG.random((5, 5)), RNG.random(5)


def _finite_differences(x, w, b, h=1e-6):
    def loss(w_, b_):
        return float(np.mean(x @ w_ + b_))
    gw = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        wp, wm = w.copy(), w.copy()
        wp[idx] += h
        wm[idx] -= h
        gw[idx] = (loss(wp, b) - loss(wm, b)) / (2 * h)
    gb = np.array([(loss(w, b + h * e) - loss(w, b - h * e)) / (2 * h) for e in np.eye(len(b))])
    return gw, gb


def _values(grad_w, grad_b):
    return {"X": X, "W": W, "b": B, "grad_W": grad_w, "grad_b": grad_b}


def test_expected_gradients_closed_form():
    gw, gb = expected_gradients(X, W, B)
    assert np.allclose(gb, 1 / 5)
    assert np.allclose(gw, np.repeat(X.mean(0)[:, None], 5, axis=1) / 5)


def test_correct_numerical_gradients_pass():
    gw, gb = _finite_differences(X, W, B)
    out = check_numerical_gradient(ANSWERED, Claim("code", True), None, _values(gw, gb))
    assert out.status is Status.PASS
    assert any("closed form" in line and "True" in line for line in out.evidence)


def test_wrong_gradients_fail():
    gw, gb = _finite_differences(X, W, B)
    out = check_numerical_gradient(ANSWERED, Claim("code", True), None, _values(gw * 5, gb))
    assert out.status is Status.FAIL and "grad_W" in out.message
    out = check_numerical_gradient(ANSWERED, Claim("code", True), None, _values(gw, gb[:3]))
    assert out.status is Status.FAIL and "shape" in out.message


def test_todos_still_there_is_unanswered():
    out = check_numerical_gradient(ANSWERED, Claim("code", False), None, {})
    assert out.status is Status.UNANSWERED and "TODO" in out.message
    assert check_numerical_gradient(Answer("x", False), None, None, {}).status is Status.UNANSWERED


def test_missing_kernel_values_go_to_review():
    execution = ExecutionResult(ExecStatus.ERRORS)
    out = check_numerical_gradient(ANSWERED, Claim("code", True), execution, {"X": X})
    assert out.status is Status.REVIEW and "grad_W" in out.message and "errors" in out.message


def test_any_loss_expression():
    values = {"X": X, "W": W, "b": B}
    grads = autograd_gradients("sum(tanh(X @ W + b) ** 2) / 7", values, ("W",))
    h = 1e-6
    wp, wm = W.copy(), W.copy()
    wp[1, 2] += h
    wm[1, 2] -= h
    f = lambda w: np.sum(np.tanh(X @ w + B) ** 2) / 7  # noqa: E731
    assert grads["W"][1, 2] == pytest.approx((f(wp) - f(wm)) / (2 * h), rel=1e-5)
    out = check_numerical_gradient(ANSWERED, Claim("code", True), None, {**values, "gW": grads["W"]},
                                   loss="sum(tanh(X @ W + b) ** 2) / 7", gradients={"W": "gW"})
    assert out.status is Status.PASS


def test_loss_expression_is_not_evaluated_as_python():
    with pytest.raises(ValueError):
        autograd_gradients("__import__('os').getcwd()", {"X": X}, ())


def test_kernel_variable_names_from_params():
    gw, gb = expected_gradients(X, W, B)
    values = {"inputs": X, "weights": W, "bias": B, "my_gw": gw, "my_gb": gb}
    out = check_numerical_gradient(ANSWERED, Claim("code", True), None, values, x_name="inputs", w_name="weights",
                                   b_name="bias", grad_w_name="my_gw", grad_b_name="my_gb")
    assert out.status is Status.PASS
