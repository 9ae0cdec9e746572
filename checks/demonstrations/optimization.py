"""Optimisation facts: SGD gradient variance, noise escaping a shallow minimum, Newton vs momentum."""
from __future__ import annotations

from checks.demonstrations.registry import demonstration


@demonstration("sgd_gradient_variance", statement="gradients obtained with SGD have less variance and lead to quicker convergence compared to GD")
def sgd_gradient_variance():
    """Per-sample (SGD) gradients vary from step to step; the full-batch (GD) gradient does not.

    Least squares on 256 random samples, at a fixed w: the variance of the single-sample gradient
    across samples is positive, while GD computes the same full-batch gradient every time (variance 0).
    """
    import torch

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(256, 3, generator=gen, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.1 * torch.randn(256, generator=gen, dtype=torch.float64)
    w = torch.zeros(3, dtype=torch.float64)
    per_sample = 2 * (x @ w - y)[:, None] * x            # gradient of (x_i.w - y_i)^2 for each sample i
    full_batch = [per_sample.mean(0) for _ in range(5)]  # GD: the same data, the same gradient, every step
    sgd_variance = float(per_sample.var(0, unbiased=False).sum())
    gd_variance = float(torch.stack(full_batch).var(0, unbiased=False).sum())
    lines = [
        f"least squares, 256 samples, at w = 0: total variance of single-sample gradients = {sgd_variance:.3f}",
        f"full-batch gradient computed 5 times: variance {gd_variance:.1f} (GD is deterministic)",
        "SGD gradients have MORE variance than GD, not less",
    ]
    return sgd_variance < gd_variance, lines


@demonstration("double_well_noise_escape", statement="SGD is less likely to get stuck in local minima, compared to GD")
def double_well_noise_escape():
    """Gradient noise lets descent leave a shallow minimum; noise-free GD stays in it.

    f(x) = x^4 - 2x^2 + 0.5x has a shallow minimum near x = 0.93 and a deeper one near x = -1.06.
    Starting at x = 1, plain GD settles in the shallow one; 500 runs of GD with Gaussian gradient
    noise (std 8, as a stand-in for SGD's sampling noise) followed by 500 noise-free steps end in
    the deeper minimum in a large fraction of runs.
    """
    import torch

    gen = torch.Generator().manual_seed(0)

    def grad(x):
        return 4 * x**3 - 4 * x + 0.5

    lr, runs = 0.01, 500
    gd = torch.tensor(1.0, dtype=torch.float64)
    noisy = torch.full((runs,), 1.0, dtype=torch.float64)
    for _ in range(1000):
        gd = gd - lr * grad(gd)
        noisy = noisy - lr * (grad(noisy) + 8.0 * torch.randn(runs, generator=gen, dtype=torch.float64))
    for _ in range(500):
        gd = gd - lr * grad(gd)
        noisy = noisy - lr * grad(noisy)
    escaped = float((noisy < 0).double().mean())
    lines = [
        f"f(x) = x^4 - 2x^2 + 0.5x from x = 1: GD ends at x = {float(gd):.3f} (the shallow minimum)",
        f"noisy gradient descent: {escaped:.0%} of {runs} runs escape to the deeper minimum near x = -1.06",
    ]
    return escaped > 0.0 and float(gd) > 0, lines


@demonstration("newton_vs_momentum_ravine", statement="on a narrow ravine, SGD with momentum converges more quickly than Newton's method")
def newton_vs_momentum_ravine():
    """Newton's method reaches the minimum of f = (x^2 + 100 y^2)/2 in one step; momentum needs many.

    The Hessian diag(1, 100) rescales the ravine's directions exactly, so one Newton step from any
    point lands on (0, 0). Heavy-ball momentum (lr 0.01, beta 0.9, the stable range for curvature
    100) is counted until ||(x, y)|| < 1e-6.
    """
    import torch

    def f(p):
        return 0.5 * (p[0] ** 2 + 100 * p[1] ** 2)

    start = torch.tensor([1.0, 1.0], dtype=torch.float64)
    grad = torch.autograd.functional.jacobian(f, start)
    hessian = torch.autograd.functional.hessian(f, start)
    newton = start - torch.linalg.solve(hessian, grad)

    p, velocity, steps = start.clone(), torch.zeros(2, dtype=torch.float64), 0
    while float(p.norm()) >= 1e-6 and steps < 10_000:
        velocity = 0.9 * velocity + torch.autograd.functional.jacobian(f, p)
        p = p - 0.01 * velocity
        steps += 1
    lines = [
        f"f = (x^2 + 100 y^2)/2 from (1, 1): one Newton step lands on ({float(newton[0]):g}, {float(newton[1]):g})",
        f"momentum (lr 0.01, beta 0.9) needs {steps} steps to get within 1e-6 of the minimum",
    ]
    return steps < 1, lines
