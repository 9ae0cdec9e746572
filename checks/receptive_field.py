"""receptive_field: the receptive field (side length, in input pixels) of one output pixel of a CNN.

Ground truth: the receptive field of the spec's CNN, computed analytically and empirically.
The CNN is the spec's ``model_code`` (always that code, not the notebook's copy); the two
computations must agree. For the course's CNN (conv 3x3,
maxpool 2, conv 5x5 stride 2, maxpool 2, conv 7x7 dilation 2) it is 112: per layer 3, 4, 12, 16,
112 with a final jump of 8.

Method:
1. Analytic: the recurrence r <- r + (d*(k-1)+1 - 1) * j, j <- j * s over the conv and pooling
   layers (kernel k, stride s, dilation d; r and j start at 1); activations, batch-norm and
   dropout act per pixel and leave r unchanged.
2. Empirical: the net is rebuilt with one channel, unit weights and no bias, max-pooling replaced
   by its averaging window (unit weights over the same window, so the gradient is positive
   wherever an input pixel can influence the output), per-pixel layers dropped; one central
   output pixel is backpropagated to an input large enough that the field cannot touch the
   border; the field is the bounding box of the nonzero input gradient.
The code is parsed with ``ast`` and rebuilt from whitelisted layers; it is never executed.
If the two computations disagree the check says ``review``.

Tolerance: exact integer. A claim stated as an area (the claim stage notes "area") is compared
by its square root, and the report says so.

Common mistakes: 122 (the output's spatial size for a 1024x1024 input), 54 (ignoring the jump
of the earlier strides, or treating dilation as a plain 7x7), summing kernel sizes, areas
(289 = 17x17) instead of side lengths; conv1 happens to have 112 parameters, a coincidence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import nn

from auditor.models import Answer, Claim, Outcome, Status
from checks.engines.keyed_answer import unreadable
from checks.engines.torch_snippet import UnsupportedCode, build_model, flat_layers

PER_PIXEL = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SELU, nn.Sigmoid, nn.Tanh, nn.Softplus,
             nn.Hardtanh, nn.BatchNorm2d, nn.Dropout, nn.Dropout2d, nn.Identity)
WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
MAX_EMPIRICAL_INPUT = 4096


@dataclass(frozen=True)
class Window:
    """One conv or pooling layer's window along both spatial axes."""

    name: str
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]


@dataclass(frozen=True)
class ReceptiveField:
    analytic: tuple[int, int]
    empirical: tuple[int, int]
    per_layer: tuple[int, ...]          # field side after each windowed layer (first axis)
    jump: int
    output_shape: tuple[int, ...] | None
    empirical_input: int

    @property
    def agree(self) -> bool:
        return self.analytic == self.empirical

    @property
    def side(self) -> int | None:
        return self.analytic[0] if self.agree and self.analytic[0] == self.analytic[1] else None

    def lines(self) -> tuple[str, ...]:
        out = [
            "analytic recurrence r += (d(k-1)+1 - 1)*j, j *= s: per layer "
            + ", ".join(map(str, self.per_layer)) + f"; final jump {self.jump}; field {_fmt(self.analytic)}",
            f"empirical: gradient of one central output pixel through the net with unit weights "
            f"(max-pool averaged) on a {self.empirical_input}x{self.empirical_input} input is nonzero on "
            f"a {_fmt(self.empirical)} window",
            "both computations agree" if self.agree else "the two computations DISAGREE",
        ]
        if self.output_shape:
            out.append(f"(for reference, the output tensor's shape is {list(self.output_shape)})")
        return tuple(out)


def _fmt(hw: tuple[int, int]) -> str:
    return f"{hw[0]}x{hw[1]}"


def _pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def windows(model: nn.Module) -> list[Window]:
    """The conv/pooling windows of a Sequential CNN, in order; other layers are refused."""
    out: list[Window] = []
    for layer in flat_layers(model):
        if isinstance(layer, PER_PIXEL):
            continue
        if not isinstance(layer, WINDOWED):
            raise UnsupportedCode(f"layer {type(layer).__name__} has no fixed window (not a conv/pool/per-pixel layer)")
        if isinstance(layer.padding, str):
            raise UnsupportedCode(f"padding={layer.padding!r} is not rebuilt")
        kernel = _pair(layer.kernel_size)
        stride = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
        dilation = _pair(getattr(layer, "dilation", 1))
        out.append(Window(type(layer).__name__, kernel, stride, _pair(layer.padding), dilation))
    if not out:
        raise UnsupportedCode("the model has no convolution or pooling layer")
    return out


def analytic_field(layers: list[Window]) -> tuple[tuple[int, int], tuple[int, ...], int]:
    """(field per axis, field after each layer along axis 0, final jump along axis 0)."""
    fields, jumps, per_layer = [1, 1], [1, 1], []
    for w in layers:
        for axis in (0, 1):
            effective = w.dilation[axis] * (w.kernel[axis] - 1) + 1
            fields[axis] += (effective - 1) * jumps[axis]
            jumps[axis] *= w.stride[axis]
        per_layer.append(fields[0])
    return (fields[0], fields[1]), tuple(per_layer), jumps[0]


def _unit_window(w: Window) -> nn.Conv2d:
    conv = nn.Conv2d(1, 1, w.kernel, stride=w.stride, padding=w.padding, dilation=w.dilation,
                     bias=False, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    return conv


def empirical_field(layers: list[Window], size: int) -> tuple[tuple[int, int], bool]:
    """(bounding box of the input gradient of the central output pixel, touches the border)."""
    net = nn.Sequential(*(_unit_window(w) for w in layers))
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = net(x)
    if out.shape[-1] < 1 or out.shape[-2] < 1:
        raise UnsupportedCode(f"a {size}x{size} input leaves no output pixel")
    out[0, 0, out.shape[-2] // 2, out.shape[-1] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(dim=0)).flatten()
    box = (int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1))
    touches = bool(rows[0] == 0 or cols[0] == 0 or rows[-1] == size - 1 or cols[-1] == size - 1)
    return box, touches


def _output_shape(model: nn.Module, input_size: int | None) -> tuple[int, ...] | None:
    """The output tensor's shape for a 1 x C x input_size x input_size input, by PyTorch's own
    size formula per layer (floor, or ceil for ceil_mode pooling, whose last window must start
    inside the input): exact for the layers :func:`windows` accepts, and instant."""
    layers = list(flat_layers(model))
    first = next((m for m in layers if isinstance(m, nn.Conv2d)), None)
    if not input_size or first is None:
        return None
    channels, size = first.in_channels, [input_size, input_size]
    for layer in layers:
        if not isinstance(layer, WINDOWED):
            continue
        if isinstance(layer, nn.Conv2d):
            channels = layer.out_channels
        kernel, padding = _pair(layer.kernel_size), _pair(layer.padding)
        stride = _pair(layer.stride if layer.stride is not None else layer.kernel_size)
        dilation = _pair(getattr(layer, "dilation", 1))
        ceil = bool(getattr(layer, "ceil_mode", False))
        for axis in (0, 1):
            span = size[axis] + 2 * padding[axis] - dilation[axis] * (kernel[axis] - 1) - 1
            if span < 0:
                return None
            out = (-(-span // stride[axis]) if ceil else span // stride[axis]) + 1
            if ceil and (out - 1) * stride[axis] >= size[axis] + padding[axis]:
                out -= 1
            size[axis] = out
    return (1, channels, size[0], size[1])


@lru_cache(maxsize=32)
def receptive_field_truth(model_code: str, input_size: int | None = None) -> ReceptiveField:
    """Both computations of the receptive field of the CNN in ``model_code`` (memoised on the code)."""
    model = build_model(model_code)
    layers = windows(model)
    analytic, per_layer, jump = analytic_field(layers)
    size = 4 * max(analytic) + 1
    for _ in range(3):
        if size > MAX_EMPIRICAL_INPUT:
            raise UnsupportedCode(f"the receptive field {analytic} is too large to measure empirically")
        empirical, touches = empirical_field(layers, size)
        if not touches:
            break
        size *= 2
    return ReceptiveField(analytic, empirical, per_layer, jump, _output_shape(model, input_size), size)


def _claimed_side(claim: Claim) -> tuple[float | None, str]:
    value = claim.value
    if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None, ""
    if any("area" in note.lower() for note in claim.notes):
        root = math.isqrt(int(value)) if value == int(value) and value >= 0 else None
        side = root if root is not None and root * root == value else math.sqrt(value)
        return side, f"stated as an area ({value:g}); compared its square root {side:g}. "
    return value, ""


def check_receptive_field(answer: Answer, claim: Claim, *, model_code: str, input_size: int | None = None) -> Outcome:
    """Receptive field side of one output pixel: analytic recurrence and empirical backprop must agree."""
    try:
        truth = receptive_field_truth(model_code, input_size)
    except UnsupportedCode as exc:
        return Outcome(Status.REVIEW, message=f"cannot rebuild the CNN from the spec's code: {exc}")
    method = (f"analytic recurrence over kernel/stride/dilation and empirical backprop through the net "
              f"with unit weights {'agree' if truth.agree else 'disagree'}: {_fmt(truth.analytic)}")
    expected = truth.side if truth.side is not None else list(truth.analytic)
    evidence = truth.lines()
    if not answer.answered:
        return Outcome(Status.UNANSWERED, expected, "no answer", method, evidence)
    if truth.side is None:
        return Outcome(Status.REVIEW, expected, "the field is not one square side length "
                       "(or the two computations disagree): a human decides", method, evidence)
    side, note = (None, "") if unreadable(claim) else _claimed_side(claim)
    if side is None:
        return Outcome(Status.REVIEW, expected, "answered, but no receptive-field size could be read", method, evidence)
    if side == truth.side:
        return Outcome(Status.PASS, expected, f"{note}claimed {side:g}, correct", method, evidence)
    hint = ""
    if truth.output_shape and side == truth.output_shape[-1]:
        hint = f" ({side:g} is the output's spatial size, not the receptive field)"
    return Outcome(Status.FAIL, expected, f"{note}claimed {side:g}, expected {truth.side}{hint}", method, evidence)
