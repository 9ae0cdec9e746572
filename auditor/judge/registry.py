"""Finding, loading and running checks (the ``auditor.checks`` entry-point group).

Modelled on flake8's plugin finder, in three pure steps with frozen hand-offs:

1. ``find_checks()``   entry points of the group -> ``FoundCheck`` records (nothing imported);
2. ``load_checks()``   import each one and validate its signature -> ``LoadedCheck`` records;
3. ``classify()``      the loaded checks -> a ``Registry`` looked up by name.

Built-in checks (``checks/``) are registered in this project's ``pyproject.toml`` exactly as a
third-party package registers its own, so both go through the same path.

``run_check`` calls a loaded check with the inputs its parameters name (docs/check-api.md) and
turns any exception raised by the check into ``Outcome(Status.ERROR, ...)``: a crash of a
check is an internal error, never the student's fault.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
import traceback
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from auditor.models import (
    EMPTY, Answer, Claim, ExecutionResult, Outcome, ParsedNotebook, QuestionSpec, Status, freeze,
)

GROUP = "auditor.checks"

#: positional-or-keyword parameter names a check may declare, and what each receives
INJECTABLE: Mapping[str, str] = freeze({
    "question": "QuestionSpec: the spec entry (id, key, contested, params, canonical facts)",
    "answer": "Answer: the student's answer (segments with cell indexes)",
    "claim": "Claim: what the student stated, normalised (may be unreadable)",
    "params": "Mapping: the spec's params table for this question",
    "key": "the instructor's key (question.key)",
    "contested": "bool: whether the key is contested",
    "notebook": "ParsedNotebook: the parsed submission (read-only)",
    "question_code": "str | None: source of the question's code cell in the submission",
    "execution": "ExecutionResult: what happened in the kernel",
    "kernel_values": "Mapping: values fetched from the kernel as plain data",
})


class CheckLoadError(Exception):
    """A check that cannot be used: it does not import, is not callable, or asks for unknown inputs."""


class UnknownCheckError(LookupError):
    """No installed check has this name."""

    def __init__(self, name: str, known: Iterable[str]):
        self.name = name
        self.known = tuple(sorted(known))
        super().__init__(f"unknown check {name!r} (installed: {', '.join(self.known) or 'none'})")

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class FoundCheck:
    """An entry point of the ``auditor.checks`` group, not imported yet."""

    name: str
    value: str                      # "module:function"
    distribution: str | None        # the package that registered it
    version: str | None


@dataclass(frozen=True)
class LoadedCheck:
    """An imported, validated check."""

    found: FoundCheck
    func: Callable[..., Outcome]
    signature: str
    injected: tuple[str, ...]       # positional-or-keyword parameters (from INJECTABLE)
    required_params: tuple[str, ...]  # keyword-only without default: must be in the spec's params
    optional_params: tuple[str, ...]  # keyword-only with a default

    @property
    def name(self) -> str:
        return self.found.name

    @property
    def module_doc(self) -> str:
        module = inspect.getmodule(self.func)
        return inspect.cleandoc(module.__doc__ or "") if module else ""

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def summary(self) -> str:
        """One line: the first line of the function's (else the module's) docstring."""
        for text in (self.doc, self.module_doc):
            if text.strip():
                return text.strip().splitlines()[0].strip()
        return "(no description)"

    @property
    def recomputes(self) -> str:
        """What the check recomputes: the first sentence of the docstring's 'Ground truth:' part."""
        for text in (self.module_doc, self.doc):
            for paragraph in text.split("\n\n"):
                stripped = paragraph.strip()
                if stripped.lower().startswith("ground truth:"):
                    body = " ".join(stripped.split(":", 1)[1].split())
                    sentence = re.split(r"(?<=[.;])\s+(?=[A-Z(`])", body)[0].rstrip(".")
                    return sentence if len(sentence) <= 120 else sentence[:119] + "\u2026"
        return "-"


@dataclass(frozen=True)
class Registry:
    """Loaded checks by name."""

    checks: Mapping[str, LoadedCheck]

    def get(self, name: str) -> LoadedCheck:
        try:
            return self.checks[name]
        except KeyError:
            raise UnknownCheckError(name, self.checks) from None

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.checks))

    def __contains__(self, name: object) -> bool:
        return name in self.checks


# --------------------------------------------------------------------------- step 1: find

def find_checks(group: str = GROUP) -> tuple[FoundCheck, ...]:
    """Every entry point of ``group``, sorted by name; duplicates of one registration collapse."""
    seen: dict[tuple[str, str], FoundCheck] = {}
    for ep in importlib.metadata.entry_points(group=group):
        dist = getattr(ep, "dist", None)
        record = FoundCheck(
            name=ep.name,
            value=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
        )
        seen.setdefault((record.name, record.value), record)
    return tuple(sorted(seen.values(), key=lambda f: (f.name, f.value)))


# --------------------------------------------------------------------------- step 2: load

def _import(found: FoundCheck) -> Callable[..., Any]:
    module_name, _, attr = found.value.partition(":")
    origin = f"check {found.name!r} ({found.value}" + (
        f", from {found.distribution})" if found.distribution else ")")
    try:
        obj: Any = importlib.import_module(module_name.strip())
        for part in attr.strip().split(".") if attr.strip() else ():
            obj = getattr(obj, part)
    except Exception as exc:  # noqa: BLE001 - any import failure is reported the same way
        raise CheckLoadError(f"{origin} cannot be imported: {type(exc).__name__}: {exc}") from exc
    if not callable(obj):
        raise CheckLoadError(f"{origin} is not callable")
    return obj


def validate_signature(name: str, func: Callable[..., Any]) -> LoadedCheck:
    """Check ``func``'s parameters against docs/check-api.md; raise ``CheckLoadError`` naming both."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise CheckLoadError(f"check {name!r}: its signature cannot be read ({exc})") from None
    qualname = getattr(func, "__qualname__", type(func).__qualname__)
    problems: list[str] = []
    injected: list[str] = []
    required: list[str] = []
    optional: list[str] = []
    for p in sig.parameters.values():
        if p.kind is p.POSITIONAL_OR_KEYWORD:
            if p.name in INJECTABLE:
                injected.append(p.name)
            else:
                problems.append(f"parameter {p.name!r} is not an input the auditor provides")
        elif p.kind is p.KEYWORD_ONLY:
            (required if p.default is p.empty else optional).append(p.name)
        elif p.kind is p.POSITIONAL_ONLY:
            problems.append(f"parameter {p.name!r} is positional-only (inputs are passed by name)")
        else:
            star = "*" if p.kind is p.VAR_POSITIONAL else "**"
            problems.append(f"{star}{p.name} is not allowed (declare each input by name)")
    if problems:
        raise CheckLoadError(
            f"check {name!r}: invalid signature {qualname}{sig}: " + "; ".join(problems)
            + f". Positional parameters must be among: {', '.join(INJECTABLE)}; "
            "spec parameters go after '*' as keyword-only parameters.")
    return LoadedCheck(
        found=FoundCheck(name, f"{getattr(func, '__module__', '?')}:{qualname}", None, None),
        func=func,
        signature=f"{getattr(func, '__name__', qualname)}{sig}",
        injected=tuple(injected),
        required_params=tuple(required),
        optional_params=tuple(optional),
    )


def load_check(found: FoundCheck) -> LoadedCheck:
    return replace(validate_signature(found.name, _import(found)), found=found)


def load_checks(found: Iterable[FoundCheck]) -> tuple[LoadedCheck, ...]:
    """Import and validate every found check; the first bad one raises ``CheckLoadError``."""
    return tuple(load_check(f) for f in found)


# --------------------------------------------------------------------------- step 3: classify

def classify(loaded: Iterable[LoadedCheck]) -> Registry:
    """A registry by name; two different checks under one name is an error naming both."""
    by_name: dict[str, LoadedCheck] = {}
    for check in loaded:
        other = by_name.get(check.name)
        if other is not None and other.found.value != check.found.value:
            raise CheckLoadError(
                f"check name {check.name!r} is registered twice: {other.found.value} "
                f"({other.found.distribution}) and {check.found.value} ({check.found.distribution})")
        by_name[check.name] = check
    return Registry(freeze(by_name))


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """Every installed check, loaded once per process."""
    return classify(load_checks(find_checks()))


def get_check(name: str) -> LoadedCheck:
    """The installed check called ``name`` (``UnknownCheckError`` lists the installed ones)."""
    return default_registry().get(name)


# --------------------------------------------------------------------------- spec validation

def missing_spec_params(loaded: LoadedCheck, params: Mapping[str, Any]) -> list[str]:
    """Required keyword-only parameters of the check that ``params`` does not provide."""
    return [name for name in loaded.required_params if name not in params]


def unknown_spec_params(loaded: LoadedCheck, params: Mapping[str, Any]) -> list[str]:
    """Spec params the check does not declare (likely typos; ``run_check`` ignores them)."""
    declared = set(loaded.required_params) | set(loaded.optional_params)
    return sorted(name for name in params if name not in declared)


# --------------------------------------------------------------------------- running

def _internal_error(name: str, text: str, details: Mapping[str, Any] = EMPTY) -> Outcome:
    return Outcome(Status.ERROR, message=f"internal error in check {name}: {text}",
                   details=freeze(dict(details)))


def run_check(
    loaded: LoadedCheck,
    *,
    question: QuestionSpec,
    answer: Answer,
    claim: Claim | None,
    notebook: ParsedNotebook | None = None,
    question_code: str | None = None,
    execution: ExecutionResult | None = None,
    kernel_values: Mapping[str, Any] | None = None,
) -> Outcome:
    """Call ``loaded`` with the inputs it names; never raises.

    ``kernel_values`` defaults to ``execution.values``. A missing spec parameter, an exception
    in the check, or a return value that is not an ``Outcome`` gives ``Status.ERROR``.
    """
    if kernel_values is None:
        kernel_values = execution.values if execution is not None else EMPTY
    available = {
        "question": question, "answer": answer, "claim": claim, "params": question.params,
        "key": question.key, "contested": question.contested, "notebook": notebook,
        "question_code": question_code, "execution": execution, "kernel_values": kernel_values,
    }
    missing = missing_spec_params(loaded, question.params)
    if missing:
        return _internal_error(
            loaded.name, f"the spec of question {question.id} lacks parameter(s) {', '.join(missing)} "
            f"required by {loaded.signature}")
    kwargs = {name: available[name] for name in loaded.injected}
    for name in loaded.required_params + loaded.optional_params:
        if name in question.params:
            kwargs[name] = question.params[name]
    try:
        outcome = loaded.func(**kwargs)
    except Exception as exc:  # noqa: BLE001 - a crashing check is our error, not the student's
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return _internal_error(loaded.name, f"{type(exc).__name__}: {exc}",
                               {"traceback": "".join(frames[-3:])})
    if not isinstance(outcome, Outcome):
        return _internal_error(loaded.name, f"returned {type(outcome).__name__}, not an Outcome")
    if not isinstance(outcome.status, Status):
        try:
            status = Status(outcome.status)
        except ValueError:
            return _internal_error(loaded.name, f"returned an unknown status {outcome.status!r}")
        outcome = Outcome(status, outcome.expected, outcome.message, outcome.method,
                          tuple(outcome.evidence), outcome.details)
    return outcome
