"""parameter_count: the number of trainable parameters of a model defined in the question.

Ground truth: the number of distinct parameters of the question's model, counted by torch.
``sum(p.numel() for p in model.parameters())`` of the model rebuilt from the
question's code (``model_code`` param, else the question's code cell). PyTorch counts a module
once however often it appears: in ``nn.Sequential(..., *[nn.Linear(H, H), nn.Sigmoid()] * 24, ...)``
the 24 repeats are ONE Linear (list repetition copies references). The pirates MLP (N=42,
H=128) has 42*128+128 + 128*128+128 + 128+1 = 22145 parameters.

Method: the code is parsed with ``ast`` and rebuilt from whitelisted layers on the meta device
(no memory, no execution of the code); the count comes from torch itself.

Tolerance: exact integer.

Common mistakes: counting each repetition of a shared module (the naive count is shown as
evidence); forgetting biases.
"""
from __future__ import annotations

from auditor.models import Answer, Claim, Outcome, Status
from checks.engines.keyed_answer import unreadable
from checks.engines.torch_snippet import UnsupportedCode, build_model, flat_layers, parameter_count, question_source


def check_parameter_count(answer: Answer, claim: Claim, question_code: str | None, *,
                          model_code: str | None = None, target: str | None = None) -> Outcome:
    """Trainable parameters of the question's model, shared modules counted once."""
    try:
        code, origin = question_source(model_code, question_code)
        model = build_model(code, target)
    except UnsupportedCode as exc:
        return Outcome(Status.REVIEW, message=f"cannot rebuild the model: {exc}")
    truth = parameter_count(model)
    layers = flat_layers(model)
    naive = sum(sum(p.numel() for p in layer.parameters()) for layer in layers)
    distinct = {id(layer) for layer in layers}
    evidence = (
        f"torch counts {truth} parameters in {len(distinct)} distinct modules ({len(layers)} layer applications)",
        f"counting every application of a repeated module separately would give {naive}",
    )
    method = f"model rebuilt from {origin} on the meta device; sum of numel over model.parameters()"
    if not answer.answered:
        return Outcome(Status.UNANSWERED, truth, "no answer", method, evidence)
    if unreadable(claim):
        return Outcome(Status.REVIEW, truth, "answered, but no parameter count could be read", method, evidence)
    if claim.value == truth:
        return Outcome(Status.PASS, truth, f"claimed {claim.value}, correct", method, evidence)
    hint = " (counts each repetition of the shared module)" if claim.value == naive != truth else ""
    return Outcome(Status.FAIL, truth, f"claimed {claim.value}, expected {truth}{hint}", method, evidence)
