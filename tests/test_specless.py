"""Spec-less audits: a notebook of an assignment no shipped spec knows."""
from __future__ import annotations

from auditor.models import Status
from auditor.pipeline import audit
from tests.notebook_factory import write_nb

CNN = "import torch.nn as nn\nmodel = nn.Sequential(nn.Conv2d(1, 4, kernel_size=5), nn.MaxPool2d(2), nn.Conv2d(4, 4, kernel_size=3))"
DROPS = "import torch.nn as nn\np1, p2 = 0.5, 0.2\nm = nn.Sequential(nn.Dropout(p=p1), nn.Dropout(p=p2))"


def test_unknown_assignment_is_audited_from_its_structure(tmp_path):
    p = write_nb(tmp_path / "quiz7.ipynb", [
        "# Quiz 7 (not a shipped assignment)",
        "## Convolutions",
        "1. Look at this model:", ("code", CNN),
        "What is the receptive field of one output pixel?",
        "**Answer:** 10x10",
        "2. Why do we pad?",
        "## Regularisation",
        "1. Two dropouts follow each other:", ("code", DROPS),
        "Which `q` of a single dropout is equivalent?",
        "**Answer:** q = 1-(1-p1)(1-p2) = 0.6",
        "2. State **true or false**:\n   1. Dropout scales activations at training time.\n   2. Dropout is a kind of data augmentation.",
        "1. True\n2. False",
    ])
    r = audit(p, execute=False)
    assert r.assignment.spec is None and "spec-less" in r.assignment.explanation
    by_id = {q.id: q for q in r.questions}
    # conv5 (5) -> pool2 (6, jump 2) -> conv3 (10)
    rf = by_id["convolutions/1"]
    assert (rf.check, rf.status, rf.claimed, rf.expected) == ("receptive_field", Status.PASS, 10, 10)
    assert by_id["convolutions/2"].status == Status.UNANSWERED
    dq = by_id["regularisation/1"]
    assert dq.check == "dropout_composition" and dq.status == Status.PASS and dq.expected == 0.6
    tf = by_id["regularisation/2.1"]
    assert tf.claimed == "true" and tf.status == Status.MANUAL  # no key: read, not judged
    assert by_id["regularisation/2.2"].claimed == "false"


def test_a_notebook_without_any_structure_does_not_crash(tmp_path):
    p = write_nb(tmp_path / "free.ipynb", ["just some notes", ("code", "x = 1")])
    r = audit(p, execute=False)
    assert r.error is None and r.questions == ()


def test_a_formula_in_other_variable_names_is_review_never_a_guess(tmp_path):
    code = "import torch.nn as nn\npa, pb = 0.5, 0.2\nm = nn.Sequential(nn.Dropout(p=pa), nn.Dropout(p=pb))"
    p = write_nb(tmp_path / "quiz8.ipynb", [
        "## Regularisation", "1. Two dropouts follow each other:", ("code", code),
        "Which `q` of a single dropout is equivalent?", "**Answer:** q = 1-(1-pa)(1-pb)",
    ])
    q = next(q for q in audit(p, execute=False).questions if q.id == "regularisation/1")
    assert q.check == "dropout_composition" and q.status == Status.REVIEW
