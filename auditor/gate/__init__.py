"""The CI gate: audit results in, a pass/fail decision and its formats out.

``run`` decides; ``formats`` prints text, JSON, GitHub annotations and JUnit XML;
``exit_policy`` maps findings to exit codes; ``pytest_plugin`` is the thin pytest adapter.
"""
