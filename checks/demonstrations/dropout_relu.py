"""Dropout and ReLU commute for a fixed mask."""
from __future__ import annotations

from checks.demonstrations.registry import demonstration


@demonstration("dropout_commutes_with_relu", statement="dropout must be placed only after the activation function")
def dropout_commutes_with_relu():
    """For a fixed dropout mask, relu(dropout(x)) equals dropout(relu(x)) exactly.

    A dropout mask multiplies each activation by 0 or 1/(1-p), both >= 0, and relu(c*x) = c*relu(x)
    for any c >= 0. So placing dropout before or after ReLU gives the same output: the statement
    "dropout must be placed only after the activation" is false.
    """
    import torch

    gen = torch.Generator().manual_seed(0)
    p = 0.3
    x = torch.randn(10_000, generator=gen)
    mask = (torch.rand(10_000, generator=gen) >= p).float() / (1 - p)   # one fixed dropout mask
    dropout_then_relu = torch.relu(x * mask)
    relu_then_dropout = torch.relu(x) * mask
    identical = torch.equal(dropout_then_relu, relu_then_dropout)
    lines = [
        f"10000 activations, one fixed dropout mask (p={p}): relu(dropout(x)) == dropout(relu(x)) "
        f"elementwise: {identical}",
        f"max |difference| = {float((dropout_then_relu - relu_then_dropout).abs().max()):.1e}; "
        "mask values are 0 or 1/(1-p) >= 0 and relu(c*x) = c*relu(x) for c >= 0",
    ]
    return (not identical), lines
