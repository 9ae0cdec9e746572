"""The frozen objects that the pipeline's stages hand to each other.

load -> ParsedNotebook; spec -> AssignmentSpec; extract -> Answer per question;
claims -> Claim per answer; execute -> ExecutionResult; checks -> Outcome;
assemble -> QuestionResult, Finding, AuditResult.

Nothing here is mutated after construction.  Mappings are wrapped with
``freeze`` (a read-only ``MappingProxyType`` over a private copy), sequences are
tuples.  The submission itself is never modified: stages read a ParsedNotebook
and produce new objects.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping


def freeze(value: Any) -> Any:
    """Deep read-only copy: dicts -> MappingProxyType, lists/sets -> tuples."""
    if isinstance(value, MappingProxyType):
        return value
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain JSON-able copy of a frozen value (MappingProxyType -> dict, tuple -> list)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    if isinstance(value, frozenset):
        return sorted(thaw(v) for v in value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


EMPTY: Mapping[str, Any] = MappingProxyType({})


class Status(str, enum.Enum):
    """Per-question verdict. ``manual`` and ``review`` never fail a gate."""

    PASS = "pass"
    FAIL = "fail"
    REVIEW = "review"          # a human must look: unreadable claim, contested key, check undecided
    UNANSWERED = "unanswered"
    MANUAL = "manual"          # answered, no automatic check applies
    ERROR = "error"            # our own code failed (internal error); never the student's fault

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


class ExitCode(enum.IntEnum):
    OK = 0          # nothing fails, nothing unanswered, the notebook runs
    FINDINGS = 1    # fail, unanswered or execution errors
    USAGE = 2       # bad usage or unreadable input
    INTERNAL = 3    # a bug of ours


class ExecStatus(str, enum.Enum):
    OK = "ok"
    ERRORS = "errors"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    SKIPPED = "skipped"


# --------------------------------------------------------------------------- notebook

@dataclass(frozen=True)
class SavedError:
    """An error output stored in the submitted notebook (before we ran anything)."""

    cell: int
    ename: str
    evalue: str


@dataclass(frozen=True)
class Cell:
    index: int                      # 0-based position in the submitted notebook
    cell_type: str                  # "markdown" | "code" | "raw"
    source: str
    outputs_text: str = ""          # text of stream / execute_result / display text/plain outputs
    saved_errors: tuple[SavedError, ...] = ()
    has_image_output: bool = False
    # the grading conventions' cell metadata only (untrusted): ``nbgrader`` and ``tags``
    metadata: Mapping[str, Any] = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True)
class ParsedNotebook:
    path: str                       # as given by the user
    name: str                       # file name (untrusted text)
    cells: tuple[Cell, ...]
    nbformat: int                   # major version after upgrade (always 4)
    original_nbformat: int          # as stored in the file
    kernel_name: str | None         # what the file asks for (we ignore it when executing)
    language: str
    sha256: str                     # of the file's bytes
    metadata: Mapping[str, Any] = field(default_factory=lambda: EMPTY)   # untrusted

    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.cell_type == "code")


# --------------------------------------------------------------------------- assignment spec

@dataclass(frozen=True)
class SectionSpec:
    slug: str                       # e.g. "cnns"
    heading: str                    # template heading text, e.g. "CNNs"
    aliases: tuple[str, ...] = ()   # other headings students or variants use


@dataclass(frozen=True)
class QuestionSpec:
    """One question or one sub-statement of a question.

    id: ``<section>/<n>`` or ``<section>/<n>.<k>`` (order in the template, see LABELING.md).
    phrases: short phrases that recognise the question's text (any one, case/space-insensitive).
    claim: which kind of claim to read from the answer (see auditor.claims.read):
        "number" | "probability" | "verdict" | "shape" | "cause" | "yesno" | "code" | None.
    check: entry-point name of the check that judges it ("answered" when None).
    params: the check's parameters (facts from the question, e.g. p1/p2, the CNN's code).
    key: the instructor's expected answer (None when not keyed), contested: see KEY.md.
    """

    id: str
    section: str
    number: int
    sub: int | None = None
    phrases: tuple[str, ...] = ()
    claim: str | None = None
    check: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    key: Any = None
    contested: bool = False
    reason: str = ""                # why the key is what it is
    demonstration: str | None = None  # name of a computed demonstration backing the key
    points: float = 0.0
    answered_elsewhere: bool = False  # e.g. variant B backpropagation/2
    fetch: tuple[str, ...] = ()     # kernel variable names the check needs
    canonical: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # canonical facts for tamper detection
    parent: str | None = None       # for sub-statements: the question id
    answer_patterns: tuple[str, ...] = ()  # regexes: a code answer holds this part when a student code line matches
    answer_names: tuple[str, ...] = ()  # variables holding the claim of a code answer (literal: read; computed: kernel)

    @property
    def is_statement(self) -> bool:
        return self.sub is not None


@dataclass(frozen=True)
class AssignmentSpec:
    id: str
    title: str
    variant: str | None
    path: str                       # where the spec was loaded from
    sections: tuple[SectionSpec, ...]
    questions: tuple[QuestionSpec, ...]
    signature: Mapping[str, float] = field(default_factory=lambda: EMPTY)   # phrase -> weight, used by --assignment auto
    description: str = ""
    template: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # fingerprint of the blank template text

    def question(self, qid: str) -> QuestionSpec:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


@dataclass(frozen=True)
class SpecMatch:
    spec: AssignmentSpec | None
    score: float                    # 0..1, how well the notebook fits the chosen spec
    explanation: str                # which phrases matched, runner-up, threshold
    candidates: tuple[tuple[str, float], ...] = ()


# --------------------------------------------------------------------------- answers and claims

@dataclass(frozen=True)
class Segment:
    """A piece of the student's answer: where it is and its text."""

    cell: int
    text: str                       # plain text (markdown rendered to text, comments dropped)
    source: str                     # "markdown" | "code" | "output"


@dataclass(frozen=True)
class Answer:
    question_id: str
    answered: bool
    segments: tuple[Segment, ...] = ()
    placement: str = "none"         # own-cell | inline | interleaved | grouped | code | output | elsewhere | none
    note: str = ""

    @property
    def text(self) -> str:
        return "\n".join(s.text for s in self.segments)

    @property
    def cells(self) -> tuple[int, ...]:
        seen: list[int] = []
        for s in self.segments:
            if s.cell not in seen:
                seen.append(s.cell)
        return tuple(seen)


@dataclass(frozen=True)
class Span:
    """The exact text a claim was read from."""

    cell: int
    text: str


@dataclass(frozen=True)
class Claim:
    """What the student stated, normalised as in LABELING.md.

    value: int (receptive field side), float (q), "true"/"false"/"hedged", list[int] (shape),
           "vanishing"/"exploding"/"other", "yes"/"no", bool (code filled) - or None.
    readable: False when an answer exists but no claim of the wanted kind can be read
              (the check must then say ``review``, never guess).
    """

    kind: str
    value: Any = None
    readable: bool = True
    span: Span | None = None
    notes: tuple[str, ...] = ()     # e.g. "final value contradicts working (112)", "stated as an area"
    extra: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # e.g. {"formula": "1-(1-p1)*(1-p2)"}
    confidence: float = 1.0         # how sure the reader is (0-1); below the claims stage's threshold -> review
    reason: str = ""                # why it is less than sure (shown with the review)


# --------------------------------------------------------------------------- execution

@dataclass(frozen=True)
class CellError:
    cell: int
    ename: str
    evalue: str


@dataclass(frozen=True)
class ExecutionResult:
    status: ExecStatus
    errors: tuple[CellError, ...] = ()
    stale_errors: tuple[CellError, ...] = ()     # saved errors that did not reproduce
    skipped: tuple[tuple[int, str], ...] = ()    # (cell, why) e.g. "!pip install not run"
    values: Mapping[str, Any] = field(default_factory=lambda: EMPTY)            # kernel values fetched as plain data
    isolation: Mapping[str, Any] = field(default_factory=lambda: EMPTY)         # which protections were active
    duration_s: float = 0.0
    message: str = ""
    cell_seconds: tuple[float, ...] = ()         # each executed code cell's own time (nbclient timing)


# --------------------------------------------------------------------------- judging

@dataclass(frozen=True)
class Outcome:
    """What a check returns."""

    status: Status
    expected: Any = None
    message: str = ""
    method: str = ""                # how the truth was computed, in a sentence
    evidence: tuple[str, ...] = ()  # computed evidence lines (analytic, empirical, demonstration)
    details: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # e.g. {"formula_ok": True}


@dataclass(frozen=True)
class Finding:
    """Something about the notebook as a whole (not one question)."""

    kind: str                       # "stale-output" | "tampered" | "pip-skipped" | "internal-error" | ...
    message: str
    cell: int | None = None
    question: str | None = None


@dataclass(frozen=True)
class QuestionResult:
    id: str
    status: Status
    check: str
    claimed: Any = None
    expected: Any = None
    message: str = ""
    evidence: str = ""              # the exact quote the claim was read from
    cells: tuple[int, ...] = ()
    method: str = ""
    computed_evidence: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    answer_excerpt: str = ""
    answer_text: str = ""           # the whole answer (copy detection compares these)
    placement: str = "none"
    points: float = 0.0             # awarded
    max_points: float = 0.0
    key_reason: str = ""
    contested: bool = False


@dataclass(frozen=True)
class AuditResult:
    notebook: str
    sha256: str
    assignment: SpecMatch
    questions: tuple[QuestionResult, ...]
    execution: ExecutionResult
    findings: tuple[Finding, ...] = ()
    auditor_version: str = ""
    error: str | None = None        # set when the notebook could not be audited at all
    error_kind: str | None = None   # "input" (unreadable/bad file: exit 2) | "internal" (our bug: exit 3)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for q in self.questions:
            out[q.status.value] += 1
        return out
