"""Built-in checks, one module per check, each registered as an ``auditor.checks`` entry point.

Shared machinery lives in ``checks.engines`` (rebuilding torch objects from question code,
gradient-flow measurement, safe formula/loss parsing, judging against a key) and the computed
demonstrations behind true/false keys in ``checks.demonstrations``.
"""
