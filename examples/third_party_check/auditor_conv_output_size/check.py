"""conv_output_size: the spatial output size of one convolution layer.

Ground truth: the output side length of ``nn.Conv2d`` for the question's input size, kernel,
stride, padding and dilation, computed by torch itself.

Method: a one-channel ``nn.Conv2d`` with the spec's hyper-parameters is applied to an empty
tensor on torch's meta device (no memory, no student code); the closed form
floor((n + 2p - d(k-1) - 1) / s) + 1 is computed too and must agree, else review.

Tolerance: exact integer.

Common mistakes: forgetting the padding on both sides (2p), forgetting dilation, rounding up
instead of down.
"""
from __future__ import annotations

import torch
from torch import nn

from auditor.models import Answer, Claim, Outcome, Status


def check_conv_output_size(answer: Answer, claim: Claim, *, in_size: int, kernel_size: int,
                           stride: int = 1, padding: int = 0, dilation: int = 1) -> Outcome:
    """Output side of a Conv2d for the question's input size and hyper-parameters."""
    conv = nn.Conv2d(1, 1, kernel_size, stride=stride, padding=padding, dilation=dilation, device="meta")
    by_torch = conv(torch.empty(1, 1, in_size, in_size, device="meta")).shape[-1]
    closed_form = (in_size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    evidence = (f"torch (meta device): Conv2d(k={kernel_size}, s={stride}, p={padding}, d={dilation}) "
                f"on {in_size}x{in_size} -> {by_torch}x{by_torch}",
                f"closed form floor((n + 2p - d(k-1) - 1)/s) + 1 = {closed_form}")
    method = "torch on the meta device and the closed form agree"
    if by_torch != closed_form:
        return Outcome(Status.REVIEW, by_torch, "torch and the closed form disagree", "", evidence)
    if not answer.answered:
        return Outcome(Status.UNANSWERED, by_torch, "no answer", method, evidence)
    if claim is None or not claim.readable or not isinstance(claim.value, int):
        return Outcome(Status.REVIEW, by_torch, "answered, but no size could be read", method, evidence)
    if claim.value == by_torch:
        return Outcome(Status.PASS, by_torch, f"claimed {claim.value}, correct", method, evidence)
    return Outcome(Status.FAIL, by_torch, f"claimed {claim.value}, expected {by_torch}", method, evidence)
