"""The audit of one notebook, stage by stage in the order of :data:`STAGES`.

Each stage hands frozen objects to the next; the submission is never modified. A student's
mistake becomes a question status or a finding; an exception in our own code becomes
status ``error`` (or ``AuditResult.error`` with kind ``internal``), never the student's fault.
"""
from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, replace
from typing import Any, Sequence

from auditor import __version__
from auditor.extract.answers import Extraction, extract
from auditor.load.notebook import InputError, load_notebook
from auditor.models import (
    Answer,
    AssignmentSpec,
    AuditResult,
    Claim,
    ExecStatus,
    ExecutionResult,
    Finding,
    Outcome,
    ParsedNotebook,
    QuestionResult,
    QuestionSpec,
    SpecMatch,
    Status,
    freeze,
)
from auditor.assignment.spec import SPECS_DIR, SpecError, shipped_specs, spec_from_argument
from auditor.assignment.match import match_spec
from auditor.session import INPUT, INTERNAL, NotAudited


@dataclass(frozen=True)
class Stage:
    """One stage of the audit: its name, the package that does it, what it takes and gives."""

    name: str
    package: str
    takes: str
    gives: str


#: the order of the stages, written once (README's "The pipeline" list matches it, tested)
STAGES: tuple[Stage, ...] = (
    Stage("load", "auditor.load", "a notebook file", "ParsedNotebook"),
    Stage("assignment", "auditor.assignment", "ParsedNotebook, --assignment", "SpecMatch (a spec or spec-less)"),
    Stage("extract", "auditor.extract", "ParsedNotebook, AssignmentSpec", "an Answer per question"),
    Stage("claims", "auditor.claims", "Answer, QuestionSpec", "Claim"),
    Stage("execute", "auditor.execute", "ParsedNotebook, values to fetch", "ExecutionResult"),
    Stage("judge", "auditor.judge", "Claim, ExecutionResult, the check", "Outcome, findings"),
    Stage("report", "auditor.report", "AuditResult", "HTML, JSON, terminal table"),
)

EXCERPT_CHARS = 600


def resolve_assignment(nb: ParsedNotebook, assignment: Any, specs: Sequence[AssignmentSpec] | None,
                       spec_dirs: Sequence[str] = ()) -> SpecMatch:
    """``assignment``: "auto", a spec path or id, an AssignmentSpec, or None (spec-less);
    ``spec_dirs``: more spec folders for "auto" and ids (as ``--specs``)."""
    if isinstance(assignment, AssignmentSpec):
        return SpecMatch(assignment, 1.0, f"spec given: {assignment.id}")
    if assignment in (None, "none"):
        return SpecMatch(None, 0.0, "spec-less audit (asked for)")
    if assignment == "auto":
        match = match_spec(nb, specs if specs is not None else shipped_specs(spec_dirs=tuple(spec_dirs)))
        if match.spec is not None and not match.spec.path.startswith(str(SPECS_DIR)):
            validate_spec(match.spec)  # a course's own spec: checked like one given by path
        return match
    spec = spec_from_argument(assignment, spec_dirs=tuple(spec_dirs))
    validate_spec(spec)
    return SpecMatch(spec, 1.0, f"spec given: {spec.id} ({os.path.basename(str(assignment))})")


def _read_claim(q: QuestionSpec, answer: Answer, parent: Answer | None = None) -> Claim | None:
    if not q.claim or not answer.answered:
        return None
    from auditor.claims.read import read_claim

    claim = read_claim(q.claim, answer, q)
    if not claim.readable and parent is not None and parent.answered and "paragraphs" in answer.note:
        # a split by paragraphs is the weakest guess of which part answers what: read the whole answer
        whole = read_claim(q.claim, parent, q)
        if whole.readable:
            from auditor.claims.confidence import assess

            return assess(replace(whole, notes=whole.notes + (f"read from the whole answer to {q.parent}",)))
    return claim


def _excerpt(answer: Answer) -> str:
    text = answer.text
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "\u2026"


def _claimed_value(claim: Claim | None) -> Any:
    if claim is None or not claim.readable:
        return None
    return claim.value


def _judge(q: QuestionSpec, answer: Answer, claim: Claim | None, nb: ParsedNotebook,
           ext: Extraction, execution: ExecutionResult) -> tuple[str, Outcome]:
    from auditor.judge.registry import get_check, run_check

    name = q.check or "answered"
    code_cell = ext.code_cells.get(q.parent or q.id)
    question_code = nb.cells[code_cell].source if code_cell is not None else None
    if not answer.answered and q.claim != "code":
        if q.answered_elsewhere:
            return name, Outcome(Status.MANUAL, message="answered in a separate file: grade it by hand")
        unanswered = Outcome(Status.UNANSWERED, message=answer.note or "no answer found")
        if not q.demonstration:
            return name, unanswered
        # the key's computed demonstration is shown even where the student wrote nothing
        shown = run_check(get_check(name), question=q, answer=answer, claim=claim, notebook=nb,
                          question_code=question_code, execution=execution)
        if shown.status == Status.ERROR:
            return name, shown
        return name, Outcome(Status.UNANSWERED, shown.expected, unanswered.message, shown.method,
                             shown.evidence, shown.details)
    from auditor.claims.confidence import gate

    loaded = get_check(name)
    return name, gate(run_check(loaded, question=q, answer=answer, claim=claim, notebook=nb,
                                question_code=question_code, execution=execution,
                                kernel_values=kernel_values_for(q, ext, execution)), claim)


def validate_spec(spec: AssignmentSpec) -> None:
    """Every question's check exists and gets the parameters it needs; demonstrations exist.
    Raises SpecError naming the spec, the question and the problem."""
    from auditor.judge.registry import UnknownCheckError, get_check, missing_spec_params, unknown_spec_params
    from checks.demonstrations.registry import names as demonstration_names

    problems: list[str] = []
    for q in spec.questions:
        name = q.check or "answered"
        try:
            loaded = get_check(name)
        except UnknownCheckError as exc:
            problems.append(f"{q.id}: {exc}")
            continue
        missing = missing_spec_params(loaded, q.params)
        if missing:
            problems.append(f"{q.id}: check {name} needs parameter(s) {', '.join(missing)} ({loaded.signature})")
        unknown = unknown_spec_params(loaded, q.params) if q.check else ()  # no check: params serve the reader
        if unknown:
            problems.append(f"{q.id}: check {name} takes no parameter(s) {', '.join(unknown)} ({loaded.signature})")
        if q.demonstration and q.demonstration not in demonstration_names():
            problems.append(f"{q.id}: unknown demonstration {q.demonstration!r}")
    from auditor.assignment.schema import param_type_problems

    problems.extend(param_type_problems(spec))
    if problems:
        raise SpecError(f"{spec.path}: " + "; ".join(problems))


def _question_result(q: QuestionSpec, answer: Answer, claim: Claim | None, check: str, out: Outcome) -> QuestionResult:
    details = dict(out.details)
    if claim is not None:
        if claim.extra:
            details.setdefault("claim", dict(claim.extra))
        if claim.notes:
            details.setdefault("claim_notes", list(claim.notes))
        if not claim.readable:
            details.setdefault("claim_unreadable", True)
    if answer.note:
        details.setdefault("answer_note", answer.note)
    message = out.message
    if claim is not None and claim.notes:
        extra = "; ".join(n for n in claim.notes if n not in message)
        if extra:
            message = f"{message} ({extra})" if message else extra
    return QuestionResult(
        id=q.id,
        status=out.status,
        check=check,
        claimed=_claimed_value(claim),
        expected=out.expected if out.expected is not None else q.key,
        message=message,
        evidence=claim.span.text if claim and claim.span else "",
        cells=answer.cells,
        method=out.method,
        computed_evidence=tuple(out.evidence),
        details=freeze(details),
        answer_excerpt=_excerpt(answer),
        answer_text=answer.text,
        placement=answer.placement,
        points=q.points if out.status == Status.PASS else round(q.points * float(out.details.get("credit", 0.0)), 4),
        max_points=q.points,
        key_reason=q.reason,
        contested=q.contested,
    )


def fetch_points(spec: AssignmentSpec, ext: Extraction,
                 computed: dict[str, tuple[str, ...]] | None = None) -> dict[int, list[str]]:
    """{cell: names}: each question's kernel values are read right after its last cell has run
    (a later cell may reuse the name: the embedding snippet's `X` is not the gradient question's).
    ``computed``: {question id: answer variables} whose claim is the kernel's value."""
    points: dict[int, list[str]] = {}
    for q in spec.questions:
        wanted = (*q.fetch, *(computed or {}).get(q.id, ()))
        if not wanted:
            continue
        cell = ext.last_cells.get(q.parent or q.id)
        if cell is None:
            continue
        names = points.setdefault(cell, [])
        names.extend(n for n in wanted if n not in names)
    return points


def _kernel_claims(spec: AssignmentSpec, ext: Extraction, claims: dict[str, Claim | None],
                   computed: dict[str, tuple[str, ...]], execution: ExecutionResult) -> dict[str, Claim]:
    """The claims of code answers whose values the student's code computed, from the kernel."""
    from auditor.claims import kernel_value

    out: dict[str, Claim] = {}
    for q in spec.questions:
        names = computed.get(q.id)
        if not names:
            continue
        if execution.status == ExecStatus.SKIPPED:
            answers = [a for a in (ext.answers.get(q.parent or ""), ext.answers.get(q.id)) if a is not None]
            out[q.id] = kernel_value.not_run(q, names, execution.message or "not executed", claims[q.id], answers)
            continue
        cell = ext.last_cells.get(q.parent or q.id)
        values = {n: execution.values[f"{n}@{cell}"] for n in names if f"{n}@{cell}" in execution.values}
        out[q.id] = kernel_value.from_kernel(q, names, values, cell, execution.errors, execution.message,
                                             claims[q.id])
    return out


def kernel_values_for(q: QuestionSpec, ext: Extraction, execution: ExecutionResult) -> dict[str, Any]:
    cell = ext.last_cells.get(q.parent or q.id)
    return {name: execution.values[f"{name}@{cell}"] for name in q.fetch if f"{name}@{cell}" in execution.values}


def _execute(nb: ParsedNotebook, spec: AssignmentSpec | None, ext: Extraction, *, timeout_cell: float,
             timeout_total: float, sandbox: bool, computed: dict[str, tuple[str, ...]] | None = None,
             data_dir: str | None = None, kernel_python: str | None = None) -> ExecutionResult:
    from auditor.execute.run import execute_notebook
    from auditor.execute.sandbox import SandboxPolicy

    fetch = fetch_points(spec, ext, computed) if spec else {}
    policy = sandbox_policy(spec.path if spec else None, data_dir) if sandbox else \
        SandboxPolicy(enabled=False, data_dir=data_dir)
    return execute_notebook(nb, fetch=fetch, timeout_cell=timeout_cell, timeout_total=timeout_total, sandbox=policy,
                            python=kernel_python)


def sandbox_policy(spec_path: str | None, data_dir: str | None = None) -> "SandboxPolicy":
    """The sandbox an audit runs a submission in: the default limits, the spec file hidden, the
    course's data files (``data_dir``) copied into the kernel's working directory.
    (A batch starts its shared warm-kernel zygote for exactly this policy.)"""
    from auditor.execute.sandbox import SandboxPolicy

    from auditor.assignment.spec import spec_files

    hidden = spec_files(spec_path) if spec_path else ()  # the spec and the specs it extends
    return SandboxPolicy(hide_paths=hidden, data_dir=data_dir)


def audit(path: str | os.PathLike, **options: Any) -> AuditResult:
    """Audit one notebook file; ``options`` are those of :func:`audit_parsed`.

    Never raises for a bad submission: an unreadable file gives ``AuditResult.error`` (kind
    ``input``). A spec that cannot be read or used (``assignment=PATH``) raises ``SpecError``:
    that is the caller's usage error, not the submission's.
    """
    try:
        nb = load_notebook(path)
    except InputError as exc:
        return NotAudited(os.path.basename(str(path)), exc.problem, INPUT).result()
    return audit_parsed(nb, **options)


def audit_parsed(
    nb: ParsedNotebook,
    *,
    assignment: Any = "auto",
    execute: bool = True,
    timeout_cell: float = 60,
    timeout_total: float = 600,
    sandbox: bool = True,
    specs: Sequence[AssignmentSpec] | None = None,
    spec_dirs: Sequence[str] = (),
    data_dir: str | None = None,
    kernel_python: str | None = None,
) -> AuditResult:
    """Audit a parsed notebook.

    assignment: "auto" (the shipped spec that fits, else spec-less), a spec path, an
    AssignmentSpec, or None/"none" (spec-less). execute: run the notebook in a kernel.
    timeout_cell / timeout_total: seconds. sandbox: isolate the kernel (on by default).
    data_dir: the course's data files, copied into the kernel's working directory (``--data``).
    kernel_python: the interpreter of the course's environment for the kernel (``--kernel-python``;
    default: the auditor's own).
    specs: the candidate specs for "auto" (default: the shipped ones and those of ``spec_dirs`` and
    AUDITOR_SPECS). spec_dirs: more spec folders (``--specs``).
    """
    match = resolve_assignment(nb, assignment, specs, spec_dirs)
    try:
        return _audit(nb, match, execute=execute, timeout_cell=timeout_cell, timeout_total=timeout_total,
                      sandbox=sandbox, data_dir=data_dir, kernel_python=kernel_python)
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - our bug: reported, never blamed on the student
        tb = traceback.format_exc(limit=-4)
        problem = f"internal error: {type(exc).__name__}: {exc}"
        result = NotAudited(os.path.basename(nb.path), problem, INTERNAL, nb.sha256).result()
        return AuditResult(**{**result.__dict__, "findings": (Finding("internal-error", tb),)})


def _audit(nb: ParsedNotebook, match: SpecMatch, *, execute: bool, timeout_cell: float, timeout_total: float,
           sandbox: bool, data_dir: str | None = None, kernel_python: str | None = None) -> AuditResult:
    spec = match.spec
    if spec is None:
        from auditor.assignment.specless import infer_spec

        spec = infer_spec(nb)
    ext = extract(nb, spec)
    claims = {q.id: _read_claim(q, ext.answers[q.id], ext.answers.get(q.parent) if q.parent else None)
              for q in spec.questions}
    from auditor.claims.kernel_value import wanted

    computed = {q.id: names for q in spec.questions if (names := wanted(q, ext.answers[q.id], claims[q.id]))}

    findings: list[Finding] = []
    if execute:
        execution = _execute(nb, spec, ext, timeout_cell=timeout_cell, timeout_total=timeout_total, sandbox=sandbox,
                             computed=computed, data_dir=data_dir, kernel_python=kernel_python)
    else:
        execution = ExecutionResult(ExecStatus.SKIPPED, message="execution skipped (--no-execute)")
    claims.update(_kernel_claims(spec, ext, claims, computed, execution))
    for cell, why in execution.skipped:
        findings.append(Finding("skipped-cell", why, cell=cell))
    for e in execution.stale_errors:
        findings.append(Finding(
            "stale-output",
            f"the saved notebook shows {e.ename}: {e.evalue} in cell {e.cell}, but it does not happen when the "
            "notebook is run from the top: the saved output is stale",
            cell=e.cell,
        ))
    if match.spec is not None:
        from auditor.judge.tamper import detect_tampering

        findings.extend(detect_tampering(nb, spec, ext.code_cells))

    results: list[QuestionResult] = []
    for q in spec.questions:
        answer = ext.answers[q.id]
        claim = claims[q.id]
        check, outcome = _judge(q, answer, claim, nb, ext, execution)
        results.append(_question_result(q, answer, claim, check, outcome))
        if outcome.status == Status.ERROR:
            findings.append(Finding("internal-error", outcome.message, question=q.id))
    return AuditResult(
        notebook=nb.name,
        sha256=nb.sha256,
        assignment=match,
        questions=tuple(results),
        execution=execution,
        findings=tuple(findings),
        auditor_version=__version__,
    )
