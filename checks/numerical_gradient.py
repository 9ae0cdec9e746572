"""numerical_gradient: the student's numerical gradients, compared with autograd.

Ground truth: autograd gradients of the spec's loss at the kernel's own values.
The gradients of the spec's ``loss`` (default ``mean(X @ W + b)``, the course's
``foo``) with respect to each tensor in ``gradients`` (default W -> ``grad_W``, b -> ``grad_b``),
at the kernel's own X, W, b. Spec params ``x_name``/``w_name``/``b_name`` name the kernel
variables holding X, W, b and ``grad_w_name``/``grad_b_name`` the student's gradients; any other
symbol of the loss is looked up under its own name. For the default loss with X of shape (N, d):
dL/db_j = 1/d and dL/dW_ij = (1/d) * mean_n X_ni.

Method: the student's code runs ONLY in the sandboxed kernel; the kernel hands back X, W, b and
the student's gradients as plain arrays (``kernel_values``, never pickle). The auditor rebuilds
the loss from the spec's expression with a safe parser (no eval) and computes autograd itself
in float64 (``expected_gradients`` for the default loss), then compares with
``numpy.allclose``. For the default loss the closed form above is checked too.

Tolerance: rtol 1e-3, atol 1e-6 (spec-overridable ``rtol``/``atol``): loose enough for forward
or central differences with a small step in float32/float64, tight enough to catch a missing
1/d factor or a transposed gradient.

Status: no answer, or the TODOs still in place -> unanswered; values missing from the kernel
(not executed, cell failed, other variable names) -> review; a mismatch -> fail; match -> pass.

Common mistakes: forgetting to restore the perturbed entry, dividing by the wrong step,
perturbing a copy, returning grad_W transposed, comparing with ``==`` instead of allclose.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from auditor.models import Answer, Claim, ExecutionResult, Outcome, Status
from checks.engines.loss_expression import LossExpressionError, evaluate_loss, loss_names

DEFAULT_LOSS = "mean(X @ W + b)"
DEFAULT_GRADIENTS = {"W": "grad_W", "b": "grad_b"}
RTOL, ATOL = 1e-3, 1e-6


def autograd_gradients(loss: str, values: Mapping[str, np.ndarray], wrt: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Autograd gradients of ``loss`` (a safe expression over ``values``) with respect to ``wrt``."""
    tensors = {name: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=name in wrt)
               for name, v in values.items()}
    result = evaluate_loss(loss, tensors)
    if result.numel() != 1:
        raise LossExpressionError(f"the loss {loss!r} is not a scalar (shape {tuple(result.shape)})")
    result.backward()
    return {name: tensors[name].grad.numpy().copy() for name in wrt}


def expected_gradients(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dW, dL/db) of L = mean(X @ W + b), by torch autograd in float64."""
    grads = autograd_gradients(DEFAULT_LOSS, {"X": X, "W": W, "b": b}, ("W", "b"))
    return grads["W"], grads["b"]


def _closed_form_lines(values: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> list[str]:
    x = np.asarray(values["X"], dtype=np.float64)
    d = np.asarray(values["W"]).shape[1]
    db = np.full(d, 1.0 / d)
    dw = np.repeat(x.mean(axis=0)[:, None], d, axis=1) / d
    ok = np.allclose(grads["b"], db) and np.allclose(grads["W"], dw)
    return [f"closed form dL/db_j = 1/d = {1 / d:.4g}, dL/dW_ij = mean_n X_ni / d: agrees with autograd: {ok}"]


def check_numerical_gradient(answer: Answer, claim: Claim, execution: ExecutionResult | None,
                             kernel_values: Mapping[str, Any], *, loss: str = DEFAULT_LOSS,
                             gradients: Mapping[str, str] | None = None,
                             x_name: str = "X", w_name: str = "W", b_name: str = "b",
                             grad_w_name: str = "grad_W", grad_b_name: str = "grad_b",
                             rtol: float = RTOL, atol: float = ATOL) -> Outcome:
    """The student's numerical gradients (from the kernel) against the auditor's own autograd."""
    gradients = dict(gradients or {"W": grad_w_name, "b": grad_b_name})
    kernel_name = {"X": x_name, "W": w_name, "b": b_name}
    method = (f"autograd of {loss} computed by the auditor in float64 at the kernel's values, "
              f"compared with numpy.allclose(rtol={rtol:g}, atol={atol:g})")
    if not answer.answered:
        return Outcome(Status.UNANSWERED, message="no answer", method=method)
    if claim is not None and claim.readable and claim.value is False:
        return Outcome(Status.UNANSWERED, message="the code still has its TODOs: no numerical gradient was written",
                       method=method)
    inputs = {symbol: kernel_name.get(symbol, symbol) for symbol in loss_names(loss)}
    needed = [*inputs.values(), *gradients.values()]
    missing = [name for name in needed if name not in kernel_values]
    if missing:
        status = execution.status.value if execution is not None else "not run"
        return Outcome(Status.REVIEW, message=f"the kernel did not provide {', '.join(missing)} "
                       f"(execution: {status}); cannot compare with autograd", method=method)
    values = {symbol: np.asarray(kernel_values[name], dtype=np.float64) for symbol, name in inputs.items()}
    truth = autograd_gradients(loss, values, tuple(gradients))
    evidence: list[str] = []
    if loss == DEFAULT_LOSS and set(gradients) == {"W", "b"}:
        evidence += _closed_form_lines(values, truth)
    failures: list[str] = []
    for wrt, student_name in gradients.items():
        student = np.asarray(kernel_values[student_name], dtype=np.float64)
        expected = truth[wrt]
        if student.shape != expected.shape:
            failures.append(f"{student_name} has shape {list(student.shape)}, dL/d{wrt} has {list(expected.shape)}")
            continue
        close = np.allclose(student, expected, rtol=rtol, atol=atol)
        worst = float(np.max(np.abs(student - expected))) if student.size else 0.0
        evidence.append(f"{student_name} vs autograd dL/d{wrt}: max |difference| = {worst:.2e}, allclose: {close}")
        if not close:
            failures.append(f"{student_name} differs from autograd (max |difference| {worst:.2e})")
    expected_repr = {f"dL/d{wrt}": truth[wrt].round(6).tolist() if truth[wrt].size <= 64
                     else f"autograd, shape {list(truth[wrt].shape)}" for wrt in gradients}
    if failures:
        return Outcome(Status.FAIL, expected_repr, "; ".join(failures), method, tuple(evidence))
    return Outcome(Status.PASS, expected_repr, "numerical gradients match autograd", method, tuple(evidence))
