"""Computed demonstrations behind true/false keys (see ``registry``).

Importing this package registers every demonstration; look them up with ``run_demonstration``.
"""
from checks.demonstrations import dropout_relu, optimization, relu_gradients, sequences_and_vaes  # noqa: F401
from checks.demonstrations.registry import (
    Demonstration, UnknownDemonstrationError, demonstration, explanation, names, run_demonstration,
    statement, summary,
)

__all__ = [
    "Demonstration", "UnknownDemonstrationError", "demonstration", "explanation", "names",
    "run_demonstration", "statement", "summary",
]
