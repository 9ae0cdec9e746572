"""Warm-up of a batch's fork server: what every audit worker would otherwise do on its own.

Imported once (``auditor.batch.local_pool.FORKSERVER_PRELOAD``) by the fork server that multiprocessing
forks the batch's workers from, after torch and the pipeline are imported.  Each step below is
work the first audits of *every* worker repeated, done here once per batch and inherited by
every worker through the fork:

- math libraries limited to one thread (the workers' setting; torch's thread pool is never
  started before the fork);
- the installed checks found and loaded, the shipped specs parsed;
- the submission-independent demonstrations run (their verdicts are the same in every worker);
- nbformat's schema validators compiled for every v4 minor version (about 50 ms each);
- the lazy imports: sympy's simplification, torch's symbolic shapes, the markdown parsers,
  the report template and the pipeline stages imported on first use;
- last, everything the fork server now holds moved to the garbage collector's permanent
  generation (``gc.freeze``): a worker's full collections then walk only what the worker made
  since, not the few hundred thousand objects of torch, sympy and the pipeline (a full
  collection in a worker took 162 ms before, 42 ms after), and they no longer copy the fork
  server's pages into every worker by touching them.

A step that fails is skipped (the worker then does it itself, as without the warm-up): an
exception here would kill the fork server and, with it, the batch.  No submission is read here.
"""
from __future__ import annotations


def _steps() -> list:
    def threads() -> None:
        import torch

        torch.set_num_threads(1)

    def checks() -> None:
        from auditor.judge.registry import default_registry
        from auditor.assignment.spec import shipped_specs

        default_registry()
        shipped_specs()

    def demonstrations() -> None:
        from checks.demonstrations import registry

        for name in registry.names():
            registry.run_demonstration(name)

    def validators() -> None:
        from nbformat.validator import get_validator

        for minor in range(6):
            get_validator(version=4, version_minor=minor)

    def lazy_imports() -> None:
        import sympy
        # torch imports this at its first torch._check, which most meta-device shapes run
        import torch.fx.experimental.symbolic_shapes  # noqa: F401

        # the pipeline's stages that it imports only when first needed
        import auditor.report.writer  # noqa: F401
        import auditor.report.result_json  # noqa: F401
        import auditor.assignment.specless  # noqa: F401
        import auditor.assignment.structure  # noqa: F401
        import auditor.judge.tamper  # noqa: F401
        from auditor.load.markdown_blocks import parse_blocks
        from auditor.report.environment import environment
        from auditor.report.markdown import render_markdown_safe

        p, q = sympy.symbols("p q")
        sympy.simplify((1 - p) * (1 - q) - (1 - p - q + p * q))
        parse_blocks("# warm-up\n\n1. item *text*")
        render_markdown_safe("warm-up *text*")
        environment().get_template("report.html.j2")

    def freeze_heap() -> None:
        import gc

        gc.collect()
        gc.freeze()

    return [threads, checks, demonstrations, validators, lazy_imports, freeze_heap]


def warm_up() -> list[str]:
    """Run every step; returns the ones that failed, each with its error (for tests and logs)."""
    failed = []
    for step in _steps():
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - best effort, see the module docstring
            failed.append(f"{step.__name__}: {type(exc).__name__}: {exc}")
    return failed


FAILED = warm_up()
