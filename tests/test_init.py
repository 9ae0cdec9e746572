"""auditor init: a draft spec from a blank template."""
from __future__ import annotations

import json

import pytest

from auditor.cli import main
from auditor.load.notebook import load_notebook
from auditor.assignment.spec import load_spec, parse_spec
from auditor.assignment.draft import draft_spec
from corpus_paths import LABELS, blank_templates
from tests.notebook_factory import write_nb

#: the variants with a blank template (the corpus README's table names each one's file)
VARIANTS = ("A1", "A2", "B", "C", "D")


@pytest.mark.corpus
@pytest.mark.parametrize("variant", VARIANTS)
def test_draft_of_each_blank_template_has_the_labelling_ids(variant, tmp_path):
    labelled: set[str] = set()
    for p in LABELS.glob("*.json"):
        label = json.loads(p.read_text())
        if label["variant"] == variant:
            labelled |= set(label["items"])
    assert labelled
    out = tmp_path / "draft.toml"
    assert main(["init", str(blank_templates()[variant]), "-o", str(out)]) == 0
    spec = load_spec(out)
    assert {q.id for q in spec.questions} == labelled
    checks = {q.id: q.check for q in spec.questions}
    assert checks["cnns/3"] == "receptive_field"
    tf = [qid for qid, c in checks.items() if c == "true_false"]
    assert len(tf) >= 20
    if variant != "B":
        assert checks["dropout/1"] == "dropout_composition"
        assert checks["backpropagation/3"] == "numerical_gradient"
        assert checks["sequence-models/2.1"] == "tensor_shape"


def test_draft_from_a_template_built_in_code(tmp_path):
    blank = write_nb(tmp_path / "hw.ipynb", [
        "# Homework 9", "### Convolutions",
        "1. What is the receptive field of one output value of this network?",
        ("code", "import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3))"),
        "### Regularisation",
        "1. Decide **true or false**:\n  1. L2 decay pulls weights towards zero.\n  2. Dropout is used at test time.",
        "2. Two dropouts in a row:", ("code", "p1, p2 = 0.3, 0.5\nm = nn.Sequential(nn.Dropout(p=p1), nn.Dropout(p=p2))"),
        "Which single `q` replaces them?",
    ])
    text = draft_spec(load_notebook(blank))
    spec = parse_spec(text)
    by_id = {q.id: q for q in spec.questions}
    assert set(by_id) == {"convolutions/1", "regularisation/1", "regularisation/1.1", "regularisation/1.2",
                          "regularisation/2"}
    assert by_id["convolutions/1"].check == "receptive_field"
    assert "Conv2d" in by_id["convolutions/1"].params["model_code"]
    assert by_id["regularisation/1.2"].check == "true_false" and by_id["regularisation/1.2"].key is None
    assert dict(by_id["regularisation/2"].params) == {"p1": 0.3, "p2": 0.5}
    assert "TODO" in text and spec.template["hashes"]


def test_fingerprint_into_rewrites_only_the_template_table(tmp_path):
    blank = write_nb(tmp_path / "hw.ipynb", ["### Part", "1. Explain overfitting in one sentence."])
    spec = tmp_path / "s.toml"
    spec.write_text('[assignment]\nid = "s"\n[[sections]]\nheading = "Part"\n[[questions]]\nid = "part/1"\n')
    assert main(["init", str(blank), "--fingerprint-into", str(spec)]) == 0
    loaded = load_spec(spec)
    assert loaded.template["hashes"] and loaded.questions[0].id == "part/1"


def test_unreadable_template_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "x.ipynb"
    bad.write_text("nope")
    assert main(["init", str(bad)]) == 2
    assert "x.ipynb" in capsys.readouterr().err
