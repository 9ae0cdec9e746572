"""Tamper detection: formatting-only edits are not tampering; changed facts are, with a short diff."""
from __future__ import annotations

from pathlib import Path

import pytest

from auditor.models import AssignmentSpec, Cell, ParsedNotebook, QuestionSpec
from auditor.judge.tamper import CellFacts, compare_cell, detect_tampering

CNN = """\
import torch
import torch.nn as nn

net = nn.Sequential(
    nn.Conv2d(in_channels=1, out_channels=8, kernel_size=5, padding=2),
    nn.ReLU(),
    nn.MaxPool2d(kernel_size=2),
    nn.Conv2d(in_channels=8, out_channels=16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(in_channels=16, out_channels=16, kernel_size=3, dilation=2, padding=2),
)
print(net(torch.zeros(1, 1, 64, 64)).shape)"""

DROPOUT = """\
p1, p2 = 0.3, 0.4
block = nn.Sequential(nn.Linear(in_features=10, out_features=10), nn.ReLU(), nn.Dropout(p=p1), nn.Dropout(p=p2))"""

SNIPPET = """\
tokens = torch.randint(low=0, high=100, size=(4, 3, 9))
emb = nn.Embedding(num_embeddings=100, embedding_dim=16)
vectors = emb(tokens)"""

CNN_Q = QuestionSpec(id="convolutional-networks/2", section="convolutional-networks", number=2,
                     canonical={"model_code": CNN.split("\n\n", 1)[1].rsplit("\nprint", 1)[0]})
DROPOUT_Q = QuestionSpec(id="dropout/1", section="dropout", number=1, canonical={"p1": 0.3, "p2": 0.4})
DROPOUT_CODE_Q = QuestionSpec(id="dropout/1", section="dropout", number=1,
                              canonical={"code": DROPOUT, "p1": 0.3, "p2": 0.4})
SNIPPET_Q = QuestionSpec(id="embeddings/1", section="embeddings", number=1, canonical={"snippet": SNIPPET})


@pytest.mark.parametrize("edited", [
    CNN,
    CNN.replace("    ", "\t").replace(", ", ",  ") + "\n\n",                    # whitespace
    "# the network\n" + CNN.replace("nn.ReLU(),", "nn.ReLU(),  # activation"),  # comments
    CNN.replace("nn.Conv2d(in_channels=1, out_channels=8, kernel_size=5, padding=2)",
                "nn.Conv2d(1, 8, 5, padding=2,)"),                               # positional, trailing comma
    CNN.replace("kernel_size=5, padding=2", "kernel_size=(5, 5), padding=[2, 2], stride=1, bias=True"),
    CNN.replace("nn.MaxPool2d(kernel_size=2)", "nn.MaxPool2d(2, stride=2)"),   # pooling stride = kernel
    "!pip install torch\n%matplotlib inline\n" + CNN,                          # IPython magics
    CNN.replace("net", "model"),                                                 # renamed variable
    CNN.replace("import torch.nn as nn", "from torch import nn") + "\nprint(model)\nr = 26",  # extra code
    "import torch\nfrom torch.nn import Sequential, Conv2d, ReLU, MaxPool2d\n"
    + CNN.split("\n\n", 1)[1].replace("nn.", ""),                               # bare layer names
])
def test_formatting_only_edits_are_not_tampering(edited):
    assert compare_cell(CNN_Q, edited) is None


@pytest.mark.parametrize("question,edited", [
    (DROPOUT_Q, DROPOUT.replace("p1, p2 = 0.3, 0.4", "p1 = .3\np2 = 4e-1")),
    (DROPOUT_CODE_Q, DROPOUT.replace("nn.Dropout(p=p1)", "nn.Dropout(0.3)")),
    (DROPOUT_CODE_Q, "import torch.nn as nn\n\n" + DROPOUT.replace(", nn.", ",\n    nn.")),
    (SNIPPET_Q, SNIPPET.replace("size=(4, 3, 9)", "size=[4, 3, 9]").replace("emb =", "layer =").replace("emb(", "layer(")),
    (SNIPPET_Q, SNIPPET.replace("num_embeddings=100, embedding_dim=16", "100, 16") + "\nprint(vectors.shape)"),
])
def test_formatting_only_edits_of_values_and_snippets(question, edited):
    assert compare_cell(question, edited) is None


@pytest.mark.parametrize("question,edited,diff_lines", [
    (CNN_Q, CNN.replace("kernel_size=3, dilation=2", "kernel_size=5, dilation=2"),
     ["-  Conv2d(in_channels=16, out_channels=16, kernel_size=3, padding=2, dilation=2)",
      "+  Conv2d(in_channels=16, out_channels=16, kernel_size=5, padding=2, dilation=2)"]),
    (CNN_Q, CNN.replace("    nn.MaxPool2d(kernel_size=2),\n", ""), ["-  MaxPool2d(kernel_size=2)"]),
    (CNN_Q, CNN.replace("padding=2),\n)", "padding=2),\n    nn.MaxPool2d(2),\n)"), ["+  MaxPool2d(kernel_size=2)"]),
    (CNN_Q, CNN.replace("stride=2, padding=1", "stride=1, padding=1"),
     ["+  Conv2d(in_channels=8, out_channels=16, kernel_size=3, padding=1)"]),
    (DROPOUT_Q, DROPOUT.replace("0.3, 0.4", "0.5, 0.4"), ["-p1 = 0.3", "+p1 = 0.5"]),
    (DROPOUT_Q, "p1 = 0.3\nblock = nn.Dropout(p=p1)", ["-p2 = 0.4", "+p2: (missing)"]),
    (DROPOUT_CODE_Q, DROPOUT.replace("nn.Dropout(p=p2)", "nn.Dropout(p=0.1)"),
     ["-  Dropout(p=0.4)", "+  Dropout(p=0.1)"]),
    (SNIPPET_Q, SNIPPET.replace("(4, 3, 9)", "(4, 3, 10)"),
     ["-randint(high=100, low=0, size=(4, 3, 9))", "+randint(high=100, low=0, size=(4, 3, 10))"]),
    (SNIPPET_Q, SNIPPET.replace("embedding_dim=16", "embedding_dim=32"),
     ["+Embedding(num_embeddings=100, embedding_dim=32)"]),
])
def test_changed_facts_are_tampering_with_a_short_diff(question, edited, diff_lines):
    message = compare_cell(question, edited)
    assert message is not None
    assert message.startswith(f"{question.id}: the question's code was changed")
    assert "checks use the assignment's own facts" in message
    lines = message.splitlines()
    for line in diff_lines:
        assert line in lines
    assert len(lines) <= 18


def test_a_cell_that_no_longer_parses_is_tampering():
    message = compare_cell(CNN_Q, CNN.replace("padding=2),\n)", "padding=2),\n"))
    assert message is not None and "no longer parses as Python" in message


@pytest.mark.parametrize("question,unrelated", [
    (SNIPPET_Q, "!pip install torch"),
    (CNN_Q, "import numpy as np\nx = np.zeros(3)"),
    (DROPOUT_Q, "print('hello')"),
    (CNN_Q, "this is prose ("),
])
def test_a_cell_unrelated_to_the_question_is_not_judged(question, unrelated):
    # extraction located some other cell: nothing in it is the question's code, so no accusation
    assert compare_cell(question, unrelated) is None


def test_long_diffs_are_cut():
    edited = CNN
    for old, new in (("in_channels=1,", "in_channels=3,"), ("out_channels=8,", "out_channels=9,"),
                     ("kernel_size=5", "kernel_size=7"), ("stride=2", "stride=3")):
        edited = edited.replace(old, new)
    edited = edited.replace("nn.ReLU(),", "nn.Tanh(),").replace("padding=2),\n)", "padding=2),\n" + "    nn.ReLU(),\n" * 6 + ")")
    message = compare_cell(CNN_Q, edited)
    assert message is not None and "more diff lines)" in message.splitlines()[-1]


def test_facts_are_normalised():
    facts = CellFacts.from_source("import torch.nn as nn\nk = 3\nm = nn.MaxPool2d(k, k)\nn2 = nn.Conv2d(1, 2, (k, k))")
    assert facts.blocks == [("k = 3",), ("MaxPool2d(kernel_size=3)",),
                            ("Conv2d(in_channels=1, out_channels=2, kernel_size=3)",)]
    assert facts.values_of("kernel_size") == [3, 3]


def _notebook(*sources: tuple[str, str]) -> ParsedNotebook:
    cells = tuple(Cell(index=i, cell_type=kind, source=src) for i, (kind, src) in enumerate(sources))
    return ParsedNotebook(path="nb.ipynb", name="nb.ipynb", cells=cells, nbformat=4, original_nbformat=4,
                          kernel_name="python3", language="python", sha256="0" * 64)


def test_detect_tampering_uses_the_located_cells():
    spec = AssignmentSpec(
        id="ex", title="ex", variant=None, path="ex.toml", sections=(),
        questions=(CNN_Q, DROPOUT_Q, SNIPPET_Q,
                   QuestionSpec(id="other/1", section="other", number=1)),
    )
    nb = _notebook(
        ("markdown", "2. What is the receptive field?"),
        ("code", CNN.replace("kernel_size=5", "kernel_size=3")),         # tampered
        ("code", DROPOUT),                                               # untouched
        ("markdown", SNIPPET.replace("16", "32")),                       # not a code cell: not judged
        ("code", "x = 1"),
    )
    located = {"convolutional-networks/2": 1, "dropout/1": 2, "embeddings/1": 3, "other/1": 4}
    findings = detect_tampering(nb, spec, located)
    assert [(f.kind, f.question, f.cell) for f in findings] == [("tampered", "convolutional-networks/2", 1)]
    assert "+  Conv2d(in_channels=1, out_channels=8, kernel_size=3, padding=2)" in findings[0].message
    assert detect_tampering(nb, spec, {}) == ()                         # nothing located, nothing judged
    # a sub-statement's code cell may be located under its parent's id
    sub = QuestionSpec(id="embeddings/1.1", section="embeddings", number=1, sub=1, parent="embeddings/1",
                       canonical={"snippet": SNIPPET})
    spec_sub = AssignmentSpec(id="ex", title="ex", variant=None, path="ex.toml", sections=(), questions=(sub,))
    nb_sub = _notebook(("code", SNIPPET.replace("(4, 3, 9)", "(4, 3, 10)")))
    assert [f.question for f in detect_tampering(nb_sub, spec_sub, {"embeddings/1": 0})] == ["embeddings/1.1"]


def test_shipped_specs_canonical_facts_are_self_consistent():
    from auditor.assignment.spec import load_spec

    specs = sorted((Path(__file__).parent.parent / "auditor" / "specs").glob("*.toml"))
    checked = 0
    for path in specs:
        for q in load_spec(path).questions:
            for key, value in q.canonical.items():
                if key in ("model_code", "snippet", "code"):
                    assert CellFacts.from_source(value).blocks, (path.name, q.id)
                    assert compare_cell(q, value) is None or set(q.canonical) - {key}, (path.name, q.id)
                    checked += 1
                elif key == "text":
                    from auditor.judge.tamper import compare_text

                    assert compare_text(q, value) is None, (path.name, q.id)
    assert checked >= 2


QUESTION_TEXT = """\
2. A block applies two dropout layers, with drop probabilities $p_1=0.3$ and `p2 = 0.4`:
   1. What fraction of units is zeroed?
   2. Give `q` for an input of 10 features."""
TEXT_Q = QuestionSpec(id="dropout/1", section="dropout", number=1, phrases=("two dropout layers",),
                      canonical={"text": QUESTION_TEXT})


@pytest.mark.parametrize("edited", [
    QUESTION_TEXT,
    QUESTION_TEXT.replace("2. A block", "5) A block"),                              # renumbered
    QUESTION_TEXT.replace("   1.", "   -").replace("   2.", "   -"),                 # list style
    QUESTION_TEXT.replace("two dropout layers,", "**two dropout layers**,\n  "),    # emphasis, line break
    QUESTION_TEXT + "\n\n**Answer:** q = 1 - 0.7 * 0.6 = 0.58, so 58% of 10 units",  # answer appended
])
def test_markdown_formatting_is_not_tampering(edited):
    from auditor.judge.tamper import compare_text

    assert compare_text(TEXT_Q, edited) is None


def test_a_changed_number_in_the_question_text_is_tampering():
    from auditor.judge.tamper import compare_text

    message = compare_text(TEXT_Q, QUESTION_TEXT.replace("p2 = 0.4", "p2 = 0.5"))
    assert message is not None and "number(s) 0.4 of the assignment's text" in message
    assert "-0.4" in message.splitlines() and "+0.5" in message.splitlines()
    spec = AssignmentSpec(id="ex", title="ex", variant=None, path="ex.toml", sections=(), questions=(TEXT_Q,))
    nb = _notebook(("markdown", "# Dropout"), ("markdown", QUESTION_TEXT.replace("0.3", "0.1")), ("code", "x"))
    findings = detect_tampering(nb, spec, {})
    assert [(f.question, f.cell) for f in findings] == [("dropout/1", 1)]
    assert "question's text was changed" in findings[0].message
    assert detect_tampering(_notebook(("markdown", QUESTION_TEXT)), spec, {}) == ()
