"""Per-layer gradient norms of a feed-forward network defined in question code.

Shared by the ``gradient_flow``, ``gradient_cause`` and ``yes_no`` checks.

Method: the network is rebuilt from the code with ``torch_snippet`` (never executed), first on
the meta device to check its size, then on the CPU with PyTorch's default initialisation under
a fixed seed. A batch of standard-normal inputs goes forward through the flattened chain of
layers; the loss is the sum of the outputs. After one backward pass we record, for every
APPLICATION of a weighted layer (Linear/Conv; a module repeated in a Sequential is applied
several times and measured each time), the norm of the gradient of the loss with respect to
that layer's output. ``ratio`` is first application / last application.

Verdict: ``vanishing`` when ratio < 1e-3, ``exploding`` when ratio > 1e3, ``healthy`` otherwise.
Both thresholds are three orders of magnitude; the seed's pirates MLP (sigmoid, 26 Linear
applications) gives a ratio near 1e-21 (1e-6 with tanh), far from either threshold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import nn

from checks.engines.torch_snippet import LAYERS, UnsupportedCode, build_model, flat_layers

VANISHING_RATIO = 1e-3
EXPLODING_RATIO = 1e3


@dataclass(frozen=True)
class GradientFlow:
    layers: tuple[str, ...]          # one label per application of a weighted layer
    norms: tuple[float, ...]         # ||dL/d output|| per application, input side first
    distinct_weighted: int           # distinct weighted modules (shared ones counted once)
    swapped: tuple[tuple[str, str], ...] = ()

    @property
    def ratio(self) -> float:
        first, last = self.norms[0], self.norms[-1]
        return first / last if last > 0 else math.inf

    @property
    def verdict(self) -> str:
        if self.ratio < VANISHING_RATIO:
            return "vanishing"
        if self.ratio > EXPLODING_RATIO:
            return "exploding"
        return "healthy"

    def lines(self) -> tuple[str, ...]:
        swap = "".join(f" with every {a} replaced by {b}" for a, b in self.swapped)
        shown = sorted({0, 1, len(self.norms) // 2, len(self.norms) - 2, len(self.norms) - 1})
        per_layer = ", ".join(
            f"{self.layers[i]}: {self.norms[i]:.2e}" for i in shown if 0 <= i < len(self.norms))
        return (
            f"gradient norm at each weighted layer's output{swap} (default init, seed 0): {per_layer}",
            f"{len(self.norms)} weighted-layer applications, {self.distinct_weighted} distinct weighted modules",
            f"first/last gradient-norm ratio = {self.ratio:.2e} -> {self.verdict} "
            f"(vanishing < {VANISHING_RATIO:g}, exploding > {EXPLODING_RATIO:g})",
        )


def _swap_layers(layers: list[nn.Module], swap: tuple[tuple[str, str], ...]) -> list[nn.Module]:
    replacement: dict[int, nn.Module] = {}
    mapping = dict(swap)
    for layer in layers:
        new_name = mapping.get(type(layer).__name__)
        if new_name is not None and id(layer) not in replacement:
            if new_name not in LAYERS:
                raise UnsupportedCode(f"cannot swap in {new_name}: not a whitelisted layer")
            replacement[id(layer)] = LAYERS[new_name]()
    return [replacement.get(id(layer), layer) for layer in layers]


def _input_shape(layers: list[nn.Module], input_shape: tuple[int, ...] | None, batch: int) -> tuple[int, ...]:
    if input_shape:
        return (batch, *input_shape)
    first = next((m for m in layers if hasattr(m, "weight")), None)
    if isinstance(first, nn.Linear):
        return (batch, first.in_features)
    raise UnsupportedCode("the network does not start with a Linear layer; give input_shape")


@lru_cache(maxsize=64)
def measure_gradient_flow(
    code: str,
    target: str | None = None,
    swap: tuple[tuple[str, str], ...] = (),
    input_shape: tuple[int, ...] | None = None,
    batch: int = 64,
    seed: int = 0,
) -> GradientFlow:
    """Per-application gradient norms of the model ``target`` in ``code`` (see module doc)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(code, target, device="cpu")
        layers = _swap_layers(flat_layers(model), swap)
        x = torch.randn(_input_shape(layers, input_shape, batch))
        outputs: list[tuple[str, torch.Tensor]] = []
        seen: dict[int, int] = {}
        for layer in layers:
            x = layer(x)
            if hasattr(layer, "weight") and isinstance(getattr(layer, "weight"), torch.Tensor):
                number = seen.setdefault(id(layer), len(seen) + 1)
                x.retain_grad()
                outputs.append((f"{type(layer).__name__}#{number} (application {len(outputs) + 1})", x))
        if len(outputs) < 2:
            raise UnsupportedCode("the network has fewer than two weighted layers")
        x.sum().backward()
    norms = tuple(float(t.grad.norm()) for _, t in outputs)
    return GradientFlow(tuple(label for label, _ in outputs), norms, len(seen), swap)
