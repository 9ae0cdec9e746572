"""ReLU facts: deep nets with small init still vanish, the gradient is constant for x > 0, dead units."""
from __future__ import annotations

from checks.demonstrations.registry import demonstration


@demonstration("relu_small_init_vanishing", statement="in a model using exclusively ReLU activations, there can be no vanishing gradients")
def relu_small_init_vanishing():
    """A 20-layer ReLU MLP with small initial weights (std 0.01) has vanishing gradients.

    Each layer multiplies the backpropagated gradient by W^T diag(relu'(z)); with std 0.01 and
    width 64 that shrinks its norm by about 0.06 per layer, so the first layer gets almost nothing.
    """
    import torch

    gen = torch.Generator().manual_seed(0)
    depth, width = 20, 64
    weights = [(torch.randn(width, width, generator=gen) * 0.01).requires_grad_() for _ in range(depth)]
    h = torch.randn(32, width, generator=gen)
    pre_activations = []
    for w in weights:
        z = h @ w.T
        z.retain_grad()
        pre_activations.append(z)
        h = torch.relu(z)
    h.sum().backward()
    first = float(pre_activations[0].grad.norm())
    last = float(pre_activations[-1].grad.norm())
    ratio = first / last
    lines = [
        f"{depth}-layer ReLU MLP, width {width}, weights ~ N(0, 0.01^2): gradient norm at layer 1 = "
        f"{first:.2e}, at layer {depth} = {last:.2e}",
        f"ratio first/last = {ratio:.1e}: the gradient vanishes although every activation is ReLU",
        f"first-layer weight gradient norm = {float(weights[0].grad.norm()):.2e}",
    ]
    return not (ratio < 1e-3), lines


@demonstration("relu_gradient_constant", statement="the gradient of ReLU is linear with its input when the input is positive")
def relu_gradient_constant():
    """For x > 0 the derivative of ReLU is exactly 1: constant, not a linear function of x."""
    import torch

    x = torch.linspace(0.01, 100.0, 1000, dtype=torch.float64, requires_grad=True)
    torch.relu(x).sum().backward()
    grads = x.grad
    constant = bool(torch.all(grads == 1.0))
    lines = [
        f"autograd d relu(x)/dx at 1000 points in [0.01, 100]: min {float(grads.min())}, max {float(grads.max())}",
        f"all exactly 1.0: {constant} -> the gradient does not change with the input (ReLU itself is linear there)",
    ]
    return (not constant), lines


@demonstration("dead_relu_unit", statement="ReLU can cause dead neurons, i.e. activations that remain at a constant value of zero")
def dead_relu_unit():
    """A ReLU unit with a large negative bias outputs 0 for every input and gets zero gradient."""
    import torch

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1000, 10, generator=gen)
    w = torch.randn(10, generator=gen).requires_grad_()
    b = torch.tensor(-100.0, requires_grad=True)
    activation = torch.relu(x @ w + b)
    activation.sum().backward()
    dead = bool(torch.all(activation == 0)) and float(w.grad.abs().max()) == 0.0 and float(b.grad) == 0.0
    lines = [
        f"unit relu(w.x + b) with b = -100 on 1000 random inputs: {int((activation > 0).sum())} nonzero outputs",
        f"gradient wrt w: max |.| = {float(w.grad.abs().max())}, wrt b: {float(b.grad)} -> no update can revive it",
    ]
    return dead, lines
