"""Registry of computed demonstrations behind true/false keys.

A demonstration is a small, seeded, self-contained function that computes the truth value of
one statement of an assignment and returns ``(verdict, evidence_lines)``. Specs name it with
``demonstration = "<name>"``; the ``true_false`` check shows its lines next to the verdict and
says ``review`` if the computed verdict ever contradicts the key.

Results are memoised per process, so a batch computes each demonstration once.
``auditor checks explain <name>`` prints the function's source so a student can rerun it.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

DemoFunction = Callable[[], "tuple[bool, list[str]]"]


@dataclass(frozen=True)
class Demonstration:
    name: str
    statement: str              # the statement whose truth value is computed
    verdict: bool               # the computed truth value of the statement
    lines: tuple[str, ...]      # evidence lines

    @property
    def key(self) -> str:
        return "true" if self.verdict else "false"


@dataclass(frozen=True)
class _Entry:
    func: DemoFunction
    statement: str


_REGISTRY: dict[str, _Entry] = {}


class UnknownDemonstrationError(LookupError):
    def __init__(self, name: str):
        super().__init__(f"unknown demonstration {name!r} (known: {', '.join(names())})")


def demonstration(name: str, *, statement: str) -> Callable[[DemoFunction], DemoFunction]:
    """Register ``func`` as the demonstration ``name`` for ``statement``."""
    def register(func: DemoFunction) -> DemoFunction:
        if name in _REGISTRY:
            raise ValueError(f"demonstration {name!r} registered twice")
        _REGISTRY[name] = _Entry(func, statement)
        return func
    return register


def names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def _entry(name: str) -> _Entry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownDemonstrationError(name) from None


@lru_cache(maxsize=None)
def run_demonstration(name: str) -> Demonstration:
    """Run (once per process) and return the demonstration ``name``."""
    entry = _entry(name)
    verdict, lines = entry.func()
    return Demonstration(name, entry.statement, bool(verdict), tuple(lines))


def statement(name: str) -> str:
    return _entry(name).statement


def summary(name: str) -> str:
    doc = inspect.getdoc(_entry(name).func) or ""
    return doc.splitlines()[0] if doc else "(no description)"


def explanation(name: str) -> str:
    """Docstring, statement and rerunnable source of the demonstration ``name``."""
    entry = _entry(name)
    source = inspect.getsource(entry.func)
    body = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("@demonstration"))
    return (
        f"{name}: computed truth value of the statement\n  \"{entry.statement}\"\n\n"
        f"{inspect.getdoc(entry.func) or ''}\n\n"
        f"Rerun it yourself (plain Python + torch):\n\n{body.rstrip()}\n\n"
        f"verdict, lines = {entry.func.__name__}()\nprint(verdict, *lines, sep='\\n')\n"
    )
