"""The whole audit on notebooks built in code (a small assignment in our own words)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.models import ExitCode, Status
from auditor.pipeline import audit
from auditor.report.result_json import result_to_dict
from auditor.assignment.spec import parse_spec
from auditor.assignment.fingerprint import fingerprint_notebook, template_table_toml
from auditor.load.notebook import load_notebook
from tests.notebook_factory import error, stream, write_nb

CNN = """import torch.nn as nn
net = nn.Sequential(
    nn.Conv2d(1, 2, kernel_size=3),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(2, 2, kernel_size=3),
)"""
DROP = """import torch.nn as nn
p1, p2 = 0.5, 0.5
layers = nn.Sequential(nn.Dropout(p=p1), nn.Dropout(p=p2))"""

BLANK = [
    "# Mini assignment", "### Vision",
    "1. A tiny convolutional net is given:", ("code", CNN),
    "How many input pixels wide is the receptive field of a single output value?",
    "### Regularisation",
    "1. Two dropout layers follow each other:", ("code", DROP),
    "Give the single drop probability `q` that has the same effect, in terms of p1 and p2.",
    "2. **True or false**: dropout is active at evaluation time.",
]

SPEC = '''
[assignment]
id = "mini-pipeline"
[[sections]]
heading = "Vision"
[[sections]]
heading = "Regularisation"
[[questions]]
id = "vision/1"
phrases = ["tiny convolutional net is given"]
claim = "number"
check = "receptive_field"
points = 2
[questions.params]
model_code = """%s"""
[questions.canonical]
model_code = """%s"""
[[questions]]
id = "regularisation/1"
phrases = ["Two dropout layers follow each other"]
claim = "probability"
check = "dropout_composition"
points = 1
[questions.params]
p1 = 0.5
p2 = 0.5
[[questions]]
id = "regularisation/2"
phrases = ["dropout is active at evaluation time"]
claim = "verdict"
check = "true_false"
key = "false"
points = 1
''' % (CNN, CNN)


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec")
    blank = write_nb(d / "blank.ipynb", BLANK)
    table = fingerprint_notebook(load_notebook(blank))
    p = d / "mini.toml"
    p.write_text(SPEC + "\n" + template_table_toml(table))
    return p


def _submission(tmp_path, answers: dict[int, str], extra=()):
    cells = list(BLANK)
    for after in sorted(answers, reverse=True):
        cells.insert(after + 1, answers[after])
    cells.extend(extra)
    return write_nb(tmp_path / "student.ipynb", cells)


def _q(result, qid):
    return next(q for q in result.questions if q.id == qid)


def test_right_answers_pass(tmp_path, spec_path):
    # truth: conv3 (3) -> pool2 (4, jump 2) -> conv3 (8)
    p = _submission(tmp_path, {4: "**Answer:** each output value sees an 8x8 patch.",
                               8: "**Answer:** q = 1-(1-p1)(1-p2) = 0.75",
                               9: "**Answer:** False, dropout is switched off in eval mode."})
    r = audit(p, assignment=str(spec_path), execute=False)
    assert [q.status for q in r.questions] == [Status.PASS, Status.PASS, Status.PASS]
    assert _q(r, "vision/1").claimed == 8 and _q(r, "vision/1").expected == 8
    assert sum(q.points for q in r.questions) == 4
    assert r.execution.status.value == "skipped"


def test_mistakes_are_findings_with_the_truth_beside_them(tmp_path, spec_path):
    p = _submission(tmp_path, {4: "**Answer:** 3+3 = 6, so 6x6.",
                               8: "**Answer:** q = p1 + p2(1-p1) = 0.5 + 0.5*0.5*0.5 = 0.625"})
    r = audit(p, assignment=str(spec_path), execute=False)
    rf = _q(r, "vision/1")
    assert (rf.status, rf.claimed, rf.expected) == (Status.FAIL, 6, 8)
    assert rf.method and rf.computed_evidence
    assert "6x6" in rf.evidence
    dq = _q(r, "regularisation/1")
    assert dq.status == Status.FAIL and dq.details["formula_ok"] is True
    assert _q(r, "regularisation/2").status == Status.UNANSWERED
    d = result_to_dict(r)
    assert {q["id"] for q in d["questions"]} == {"vision/1", "regularisation/1", "regularisation/2"}
    json.dumps(d)  # plain JSON


def test_tampered_cnn_is_reported_and_judged_against_the_canonical_one(tmp_path, spec_path):
    cells = [("code", CNN.replace("kernel_size=3),\n)", "kernel_size=5),\n)")) if c == ("code", CNN) else c
             for c in BLANK]
    cells.insert(5, "**Answer:** 8")
    p = write_nb(tmp_path / "edited.ipynb", cells)
    r = audit(p, assignment=str(spec_path), execute=False)
    assert any(f.kind == "tampered" and f.question == "vision/1" for f in r.findings)
    assert _q(r, "vision/1").status == Status.PASS  # truth from the canonical CNN, not the edited one


def test_the_submission_is_never_modified(tmp_path, spec_path):
    p = _submission(tmp_path, {4: "**Answer:** 8"})
    before = p.read_bytes()
    audit(p, assignment=str(spec_path), execute=False)
    assert p.read_bytes() == before


def test_unreadable_input_is_an_input_error_not_a_crash(tmp_path):
    p = tmp_path / "broken.ipynb"
    p.write_text("{ nope")
    r = audit(p)
    # the could-not-be-audited result names the file and, apart, the problem
    assert r.error_kind == "input" and r.notebook == "broken.ipynb" and "invalid JSON" in r.error


def test_internal_errors_are_ours_not_the_students(tmp_path, spec_path, monkeypatch):
    import auditor.pipeline as pipeline

    def boom(*a, **k):
        raise RuntimeError("bug in extraction")

    monkeypatch.setattr(pipeline, "extract", boom)
    p = _submission(tmp_path, {4: "**Answer:** 8"})
    r = audit(p, assignment=str(spec_path), execute=False)
    assert r.error_kind == "internal" and "bug in extraction" in r.error


def test_cli_exit_codes_and_reports(tmp_path, spec_path, capsys):
    good = _submission(tmp_path, {4: "**Answer:** 8", 8: "q = 0.75", 9: "False."})
    out = tmp_path / "out"
    code = main(["audit", str(good), "--assignment", str(spec_path), "--no-execute", "--out-dir", str(out)])
    assert code == ExitCode.OK
    data = json.loads((out / "student.json").read_text())
    assert data["assignment"]["id"] == "mini-pipeline"
    html = (out / "student.html").read_text()
    assert "Content-Security-Policy" in html and "vision/1" in html

    bad = write_nb(tmp_path / "bad.ipynb", BLANK)
    assert main(["audit", str(bad), "--assignment", str(spec_path), "--no-execute", "--out-dir", str(out)]) == ExitCode.FINDINGS

    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(b"")
    assert main(["audit", str(broken), "--no-execute", "--out-dir", str(out)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "broken.ipynb" in err and "empty file" in err and "Traceback" not in err
    assert main(["audit", str(good), "--assignment", str(tmp_path / "missing.toml")]) == ExitCode.USAGE
    assert main(["audit", str(good), "--fail-on", "nonsense"]) == ExitCode.USAGE


@pytest.mark.slow
def test_execution_errors_and_stale_outputs(tmp_path, spec_path):
    extra = [("code", "value = 1 + 1\nprint(value)", [error("NameError", "name 'value' is not defined")]),
             ("code", "raise ValueError('boom')"),
             ("code", "!pip install somepackage\nprint('after pip')")]
    p = _submission(tmp_path, {4: "**Answer:** 8"}, extra)
    r = audit(p, assignment=str(spec_path), timeout_cell=30, timeout_total=120)
    assert r.execution.status.value == "errors"
    assert [(e.ename, e.cell) for e in r.execution.errors] == [("ValueError", 12)]
    assert [e.cell for e in r.execution.stale_errors] == [11]
    kinds = {f.kind for f in r.findings}
    assert "stale-output" in kinds and "skipped-cell" in kinds
    assert r.execution.isolation


def test_a_spec_naming_an_unknown_check_or_missing_params_is_a_usage_error(tmp_path, spec_path):
    from auditor.assignment.spec import SpecError

    bad = tmp_path / "bad.toml"
    bad.write_text(spec_path.read_text().replace('check = "receptive_field"', 'check = "no_such_check"')
                   .replace("p1 = 0.5\n", ""))
    p = _submission(tmp_path, {4: "8"})
    with pytest.raises(SpecError) as exc:
        audit(p, assignment=str(bad), execute=False)
    assert "no_such_check" in str(exc.value) and "p1" in str(exc.value) and "bad.toml" in str(exc.value)
    assert main(["audit", str(p), "--assignment", str(bad), "--no-execute"]) == ExitCode.USAGE


@pytest.mark.corpus
def test_every_key_with_a_demonstration_shows_it(tmp_path):
    from corpus_paths import seed_notebook

    r = audit(seed_notebook(), execute=False)
    spec = r.assignment.spec
    with_demo = {q.id for q in spec.questions if q.demonstration}
    assert len(with_demo) >= 8
    for q in r.questions:
        if q.id in with_demo:
            assert q.computed_evidence, f"{q.id} ({q.status.value}) shows no demonstration"


GRAD_TEMPLATE = """import torch
N, d = 6, 3
X = torch.rand(N, d, dtype=torch.float64)
W = torch.rand(d, d, requires_grad=True, dtype=torch.float64)
b = torch.rand(d, requires_grad=True, dtype=torch.float64)
def foo(W, b):
    return torch.mean(X @ W + b)
# TODO: grad_W = ...
# TODO: grad_b = ..."""
GRAD_ANSWER = """eps = 1e-6
with torch.no_grad():
    grad_W = torch.zeros_like(W)
    for i in range(d):
        for j in range(d):
            Wp = W.clone(); Wp[i, j] += eps
            Wm = W.clone(); Wm[i, j] -= eps
            grad_W[i, j] = (foo(Wp, b) - foo(Wm, b)) / (2 * eps)
    grad_b = torch.zeros_like(b)
    for j in range(d):
        bp = b.clone(); bp[j] += eps
        bm = b.clone(); bm[j] -= eps
        grad_b[j] = (foo(W, bp) - foo(W, bm)) / (2 * eps)"""


@pytest.mark.slow
def test_kernel_values_are_read_right_after_the_question_not_at_the_end(tmp_path):
    blank = ["### Gradients", "1. Compute the gradients of the loss numerically:", ("code", GRAD_TEMPLATE),
             "### Embeddings", "1. What is the shape of `X` below?", ("code", "X = torch.zeros(4, 7)\nprint(X.shape)")]
    table = fingerprint_notebook(load_notebook(write_nb(tmp_path / "blank.ipynb", blank)))
    spec = tmp_path / "grad.toml"
    spec.write_text('''[assignment]
id = "grad"
[[sections]]
heading = "Gradients"
[[sections]]
heading = "Embeddings"
[[questions]]
id = "gradients/1"
phrases = ["gradients of the loss numerically"]
claim = "code"
check = "numerical_gradient"
fetch = ["X", "W", "b", "grad_W", "grad_b"]
[[questions]]
id = "embeddings/1"
phrases = ["shape of `X` below"]
''' + template_table_toml(table))
    cells = list(blank)
    cells.insert(3, ("code", GRAD_ANSWER))
    r = audit(write_nb(tmp_path / "s.ipynb", cells), assignment=str(spec), timeout_cell=60, timeout_total=180)
    q = _q(r, "gradients/1")
    assert q.status == Status.PASS, q.message  # the later `X = torch.zeros(4, 7)` does not leak in
