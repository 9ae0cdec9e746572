"""Hand-built AuditResult objects for the report tests (no pipeline, no kernel).

``sample_result()`` covers every status, a contested key, points, findings, execution errors,
stale outputs, skipped pip lines and isolation facts.  ``hostile_result(url)`` puts XSS payloads
(script tags, event handlers, javascript: links, remote images pointing at ``url``) in every
place student-controlled text can reach: answers, evidence, outputs, error messages, the file
name, messages and details.
"""
from __future__ import annotations

from auditor.models import (
    AssignmentSpec,
    AuditResult,
    CellError,
    ExecStatus,
    ExecutionResult,
    Finding,
    QuestionResult,
    SectionSpec,
    SpecMatch,
    Status,
    freeze,
)

VERSION = "9.9.9-test"

_SPEC = AssignmentSpec(
    id="example",
    title="Deep learning practice questions",
    variant=None,
    path="auditor/specs/example.toml",
    sections=(SectionSpec("convolutional-networks", "Convolutional networks"),),
    questions=(),
)


def _isolation() -> dict:
    return {
        "level": "namespaces",
        "network": "off (unshare -n)",
        "rlimits": {"as_bytes": 4294967296, "nproc": 256, "cpu_s": 600},
        "scrubbed_env": True,
    }


def sample_result() -> AuditResult:
    questions = (
        QuestionResult(
            id="convolutional-networks/2", status=Status.FAIL, check="receptive_field",
            claimed=22, expected=26,
            message="states 22; the receptive field is 26 x 26",
            evidence="so each output pixel sees 22x22 input pixels",
            cells=(6,),
            method="analytic recurrence over kernel/stride/dilation and empirical backprop agree: 26",
            computed_evidence=("analytic: r = 5, 6, 10, 26 (jump 4)", "empirical: support 26 x 26"),
            answer_excerpt="**Answer:** r grows 5, 6, 10 ...\nso each output pixel sees 22x22 input pixels",
            placement="own-cell", points=0.0, max_points=2.0,
        ),
        QuestionResult(
            id="dropout/1", status=Status.FAIL, check="dropout_composition",
            claimed=0.52, expected=0.58,
            message="formula right, arithmetic wrong: 1-(1-p1)(1-p2) = 0.58, not 0.52",
            evidence="q = 1-(1-p1)(1-p2) = 1 - 0.48 = 0.52", cells=(10,),
            method="q = 1-(1-p1)(1-p2) with p1=0.3, p2=0.4; Monte Carlo with torch dropout agrees",
            computed_evidence=("exact: 0.58", "monte carlo (200000 draws): 0.5801"),
            details=freeze({"formula": "1-(1-p1)*(1-p2)", "formula_ok": True}),
            answer_excerpt="q = 1-(1-p1)(1-p2) = 1 - 0.48 = 0.52", placement="inline",
            points=0.5, max_points=1.0,
        ),
        QuestionResult(
            id="dropout/2.1", status=Status.PASS, check="true_false", claimed="false", expected="false",
            message="matches the key", evidence="False: at test time", cells=(12,),
            key_reason="dropout is switched off in eval mode; inverted dropout already rescales",
            answer_excerpt="1. False: at test time the layer is the identity.", placement="grouped",
            points=1.0, max_points=1.0,
        ),
        QuestionResult(
            id="activation-functions/1.2", status=Status.REVIEW, check="true_false", claimed="true",
            expected="false", message="contested key and the claim disagrees: a person decides",
            evidence="True, ReLU never saturates", cells=(15,), contested=True,
            key_reason="deep ReLU net with small init: first-layer gradient is ~0",
            answer_excerpt="True, ReLU never saturates", placement="interleaved",
        ),
        QuestionResult(
            id="embeddings/1", status=Status.PASS, check="tensor_shape", claimed=[4, 3, 9, 16],
            expected=[4, 3, 9, 16], message="shape matches", evidence="(4, 3, 9, 16)", cells=(20,),
            method="ran the question's snippet in the auditor on its own code: torch.Size([4, 3, 9, 16])",
            answer_excerpt="The output has shape (4, 3, 9, 16).", placement="own-cell",
        ),
        QuestionResult(
            id="numerical-gradients/1", status=Status.UNANSWERED, check="numerical_gradient",
            claimed=False, message="the TODOs are still there", cells=(24,), placement="code",
        ),
        QuestionResult(
            id="convolutional-networks/1", status=Status.MANUAL, check="answered",
            message="answered; graded by hand", cells=(4,), placement="own-cell",
            answer_excerpt="Stride skips positions, so the output map is smaller.\n\n* it also grows the field",
        ),
        QuestionResult(
            id="activation-functions/2", status=Status.ERROR, check="answered",
            message="internal error in check 'answered': KeyError('x')", cells=(17,),
        ),
    )
    execution = ExecutionResult(
        status=ExecStatus.ERRORS,
        errors=(CellError(27, "NameError", "name 'undefined_helper' is not defined"),),
        stale_errors=(CellError(9, "ZeroDivisionError", "division by zero"),),
        skipped=((1, "!pip install not run"),),
        isolation=freeze(_isolation()),
        duration_s=3.25,
        message="1 cell raised an error",
    )
    return AuditResult(
        notebook="notebooks/submissions/typical_mistakes.ipynb",
        sha256="0" * 64,
        assignment=SpecMatch(_SPEC, 0.93, "7 of 8 signature phrases found",
                             (("example", 0.93), ("dl-summary-D", 0.21))),
        questions=questions,
        execution=execution,
        findings=(
            Finding("stale-output", "saved ZeroDivisionError does not reproduce", cell=9),
            Finding("tampered", "the CNN in the question cell was edited", cell=5,
                    question="convolutional-networks/2"),
            Finding("pip-skipped", "!pip install not run", cell=1),
            Finding("internal-error", "check 'answered' raised KeyError", question="activation-functions/2"),
        ),
        auditor_version=VERSION,
    )


def payloads(url: str) -> list[str]:
    """Hostile strings: each tries to run a script or load ``url`` (a server the test watches)."""
    return [
        f"<script>document.title='PWNED';fetch('{url}/script')</script>",
        f"<img src=x onerror=\"document.title='PWNED';fetch('{url}/onerror')\">",
        f"<img src=\"{url}/img.png\">",
        f"[click me](javascript:document.title='PWNED')",
        f"![remote]({url}/md-image.png)",
        f"<a href=\"javascript:alert(1)\">js link</a>",
        f"<svg onload=\"fetch('{url}/svg')\"></svg>",
        f"<iframe src=\"{url}/iframe\"></iframe>",
        f"<link rel=stylesheet href=\"{url}/style.css\">",
        f"<div style=\"background:url({url}/css-bg.png)\">bg</div>",
        f"</pre></blockquote><script>fetch('{url}/breakout')</script>",
        f"\"><script>fetch('{url}/attr')</script>",
        f"<meta http-equiv=\"refresh\" content=\"0;url={url}/refresh\">",
    ]


def hostile_result(url: str) -> AuditResult:
    text = "\n\n".join(payloads(url))
    p = payloads(url)
    questions = (
        QuestionResult(
            id="cnns/3", status=Status.FAIL, check="receptive_field", claimed=p[0], expected=112,
            message=p[1], evidence=p[0], cells=(6,), method=p[2], computed_evidence=tuple(p[3:6]),
            details=freeze({p[6]: p[7], "output": p[8]}), answer_excerpt=text, placement="own-cell",
            key_reason=p[9],
        ),
        QuestionResult(
            id=f"x/<script>fetch('{url}/id')</script>", status=Status.MANUAL, check="answered",
            message=p[10], evidence=p[11], cells=(7,), answer_excerpt=text + "\n\n" + p[12],
        ),
    )
    execution = ExecutionResult(
        status=ExecStatus.ERRORS,
        errors=(CellError(3, p[0], p[1]),),
        stale_errors=(CellError(4, p[2], p[10]),),
        skipped=((5, p[11]),),
        isolation=freeze({"level": p[0]}),
        message=p[12],
    )
    spec = AssignmentSpec(id=p[0], title=p[1], variant=p[2], path="x", sections=(), questions=())
    return AuditResult(
        notebook=f"<script>fetch('{url}/filename')</script><img src=x onerror=fetch('{url}/fn')>.ipynb",
        sha256=p[0],
        assignment=SpecMatch(spec, 0.5, p[3], ((p[4], 0.5),)),
        questions=questions,
        execution=execution,
        findings=(Finding(p[5], p[6], cell=1, question=p[7]),),
        auditor_version=p[8],
    )
