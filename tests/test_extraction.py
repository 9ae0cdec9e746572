"""Extraction on notebooks built in code: every answer placement the real class uses."""
from __future__ import annotations

import pytest

from auditor.extract.answers import extract, extract_answers
from auditor.load.notebook import parse_notebook_bytes
from auditor.assignment.spec import parse_spec
from auditor.assignment.fingerprint import fingerprint_notebook, template_table_toml
from tests.notebook_factory import make_nb, stream

import nbformat

Q_CONV1 = "1. What does a pooling layer do to the spatial size of a feature map?"
Q_CONV2 = "2. A small network is defined below:"
CODE = "net = nn.Sequential(nn.Conv2d(1, 1, kernel_size=3), nn.Conv2d(1, 1, kernel_size=3))"
FOLLOW = "How wide is the receptive field of one output pixel?"
Q_TF = ("1. Decide whether each statement is **true or false** and explain:\n"
        "  1. Weight decay shrinks the parameters towards zero.\n"
        "  1. Early stopping always improves the final test loss.\n"
        "  1. Batch normalisation layers have no learnable parameters.")
Q_WHY = "2. Explain why dropout reduces co-adaptation of hidden units."

BLANK = ["# Homework", "### Convolutions", Q_CONV1, Q_CONV2, ("code", CODE), FOLLOW,
         "### Regularisation", Q_TF, Q_WHY]

SPEC = '''
[assignment]
id = "mini"
[[sections]]
heading = "Convolutions"
[[sections]]
heading = "Regularisation"
[[questions]]
id = "convolutions/1"
phrases = ["pooling layer do to the spatial size"]
[[questions]]
id = "convolutions/2"
phrases = ["small network is defined below"]
claim = "number"
[[questions]]
id = "regularisation/1"
phrases = ["Decide whether each statement"]
[[questions]]
id = "regularisation/1.1"
phrases = ["Weight decay shrinks the parameters"]
claim = "verdict"
[[questions]]
id = "regularisation/1.2"
phrases = ["Early stopping always improves"]
claim = "verdict"
[[questions]]
id = "regularisation/1.3"
phrases = ["have no learnable parameters"]
claim = "verdict"
[[questions]]
id = "regularisation/2"
phrases = ["why dropout reduces co-adaptation"]
'''


def _nb(cells):
    return parse_notebook_bytes(nbformat.writes(make_nb(cells)).encode(), "sub.ipynb")


@pytest.fixture(scope="module")
def spec():
    table = fingerprint_notebook(_nb(BLANK))
    return parse_spec(SPEC + "\n" + template_table_toml(table), "mini.toml")


def _answers(spec, cells):
    return extract_answers(_nb(cells), spec)


def test_blank_template_has_no_answers(spec):
    a = _answers(spec, BLANK)
    assert not any(x.answered for x in a.values())


def test_own_cell_after_question_and_marker_without_content(spec):
    cells = list(BLANK)
    cells.insert(3, "**Answer:** It halves each side with a 2x2 window.")
    cells.insert(cells.index(FOLLOW) + 1, "**Answer:**")
    a = _answers(spec, cells)
    assert a["convolutions/1"].answered and a["convolutions/1"].placement == "own-cell"
    assert a["convolutions/1"].cells == (3,)
    assert not a["convolutions/2"].answered


def test_answer_appended_inside_question_cell(spec):
    cells = [c if c != Q_WHY else Q_WHY + "\n\n**Answer**: units cannot rely on a specific partner." for c in BLANK]
    a = _answers(spec, cells)
    assert a["regularisation/2"].answered and a["regularisation/2"].placement == "inline"
    assert "partner" in a["regularisation/2"].text


def test_interleaved_statements_inside_question_cell(spec):
    q = ("1. Decide whether each statement is **true or false** and explain:\n"
         "  1. Weight decay shrinks the parameters towards zero.\n\n     **True**, the penalty pulls them down.\n"
         "  1. Early stopping always improves the final test loss.\n\n     **False**: not always.\n"
         "  1. Batch normalisation layers have no learnable parameters.\n")
    a = _answers(spec, [c if c != Q_TF else q for c in BLANK])
    assert "penalty" in a["regularisation/1.1"].text
    assert "not always" in a["regularisation/1.2"].text and "penalty" not in a["regularisation/1.2"].text
    assert not a["regularisation/1.3"].answered
    assert a["regularisation/1"].answered


def test_statement_copies_with_verdicts_in_answer_cell(spec):
    ans = ("1. Weight decay shrinks the parameters towards zero. T.\n"
           "2. Early stopping always improves the final test loss. F.\n"
           "3. Batch normalisation layers have no learnable parameters. F.")
    cells = list(BLANK)
    cells.insert(cells.index(Q_TF) + 1, ans)
    a = _answers(spec, cells)
    assert a["regularisation/1.1"].text.endswith("T.")
    assert a["regularisation/1.3"].text.endswith("F.")


@pytest.mark.parametrize("labels", [("4.", "5.", "6."), ("a)", "b)", "c)"), ("(i)", "(ii)", "(iii)"), ("A.", "B.", "C.")])
def test_labelled_items_map_by_order(spec, labels):
    ans = "**Answers:**\n\n" + "\n".join(f"{lab} {v} because reason {i}" for i, (lab, v) in
                                         enumerate(zip(labels, ["True", "False", "False"])))
    cells = list(BLANK)
    cells.insert(cells.index(Q_TF) + 1, ans)
    a = _answers(spec, cells)
    assert "reason 0" in a["regularisation/1.1"].text and "reason 1" not in a["regularisation/1.1"].text
    assert "reason 2" in a["regularisation/1.3"].text


def test_grouped_section_answers_are_split_by_labels(spec):
    grouped = "### Convolutions answers\n\n**Answers:**\n\n1. It halves the width and height.\n\n2. The field is 5 pixels wide."
    cells = list(BLANK)
    cells.insert(cells.index(FOLLOW) + 1, grouped)
    a = _answers(spec, cells)
    assert "halves" in a["convolutions/1"].text and "5 pixels" not in a["convolutions/1"].text
    assert "5 pixels" in a["convolutions/2"].text


def test_html_comment_is_not_an_answer(spec):
    cells = list(BLANK)
    cells.insert(3, "<!-- TODO: It halves each side -->")
    assert not _answers(spec, cells)["convolutions/1"].answered


def test_answer_in_code_cell_and_its_output(spec):
    cells = list(BLANK)
    cells.insert(cells.index(FOLLOW) + 1, ("code", "print('receptive field:', 3 + 2)", [stream("receptive field: 5\n")]))
    a = _answers(spec, cells)["convolutions/2"]
    assert a.answered and a.placement == "code"
    assert "receptive field: 5" in a.text


def test_untouched_template_code_output_is_not_an_answer(spec):
    cells = [c if c != ("code", CODE) else ("code", CODE, [stream("Sequential(...)\n")]) for c in BLANK]
    assert not _answers(spec, cells)["convolutions/2"].answered


def test_bare_number_after_marker_is_an_answer(spec):
    cells = list(BLANK)
    cells.insert(cells.index(FOLLOW) + 1, "Answer: 5")
    assert _answers(spec, cells)["convolutions/2"].answered


def test_code_cell_of_question_is_located(spec):
    ext = extract(_nb(BLANK), spec)
    assert ext.code_cells["convolutions/2"] == 4
    assert ext.anchor_cells["regularisation/1"] == 7
