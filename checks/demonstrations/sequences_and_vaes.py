"""Truncated BPTT cuts gradients exactly; a VAE's reconstructions are random."""
from __future__ import annotations

from checks.demonstrations.registry import demonstration


@demonstration("tbptt_zero_gradient", statement="TBPTT allows the model to learn relations between inputs that are at most S timesteps apart")
def tbptt_zero_gradient():
    """With truncation length S, the loss at the end gets exactly zero gradient from inputs in earlier chunks.

    An RNN cell runs over 12 steps in chunks of S = 4, detaching the hidden state between chunks
    (truncated BPTT). The gradient of the last output with respect to every input outside the last
    chunk is exactly 0, so no relation longer than S steps can be learned, although the forward
    state still depends on those inputs.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        cell = torch.nn.RNNCell(3, 8)
        inputs = torch.randn(12, 1, 3, requires_grad=True)
        steps, chunk = 12, 4
        h = torch.zeros(1, 8)
        for t in range(steps):
            if t % chunk == 0:
                h = h.detach()                       # truncation: cut the graph between chunks
            h = cell(inputs[t], h)
        h.sum().backward()
        grad_per_step = inputs.grad.abs().sum(dim=(1, 2))
        outside = grad_per_step[: steps - chunk]
        inside = grad_per_step[steps - chunk:]
        with torch.no_grad():                        # forward still depends on the first input
            h2 = torch.zeros(1, 8)
            changed = inputs.detach().clone()
            changed[0] += 1.0
            for t in range(steps):
                h2 = cell(changed[t], h2)
            forward_effect = float((h2 - h).abs().max())
    zero_outside = bool(torch.all(outside == 0))
    lines = [
        f"RNN over {steps} steps, truncation S = {chunk}: |dL/dx_t| for t = 0..{steps - 1}: "
        + ", ".join(f"{float(g):.2g}" for g in grad_per_step),
        f"inputs more than S steps back get exactly zero gradient: {zero_outside}; "
        f"inside the window all nonzero: {bool(torch.all(inside > 0))}",
        f"(forward state still carries x_0: changing it moves the last state by {forward_effect:.2e})",
    ]
    return zero_outside and bool(torch.all(inside > 0)), lines


@demonstration("vae_reconstructions_differ", statement="feeding the same image to a VAE's encoder several times and decoding gives the same reconstruction")
def vae_reconstructions_differ():
    """A VAE samples z = mu + sigma * eps on every pass, so two reconstructions of one image differ."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        encoder = torch.nn.Linear(16, 2 * 4)      # outputs mu and log-variance of q(z|x)
        decoder = torch.nn.Linear(4, 16)
        image = torch.rand(1, 16)

        def reconstruct():
            mu, log_var = encoder(image).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)   # reparameterisation
            return decoder(z)

        with torch.no_grad():
            first, second = reconstruct(), reconstruct()
    difference = float((first - second).abs().max())
    lines = [
        f"tiny VAE, the same 16-pixel image encoded and decoded twice: max |x'_1 - x'_2| = {difference:.3f}",
        "the encoder gives a distribution q(z|x); each pass samples a different z",
    ]
    return difference == 0.0, lines
