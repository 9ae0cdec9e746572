"""What sits in an answer slot is the student's, even in the question's own words: the template's
fingerprint records the lines its slots hold (``after_slot``), and a select-all question worded
"which ... will not change" is read against that wording. Notebooks written here."""
from __future__ import annotations

import pytest

from auditor.assignment.draft import draft_spec
from auditor.assignment.fingerprint import TemplateIndex, fingerprint_table
from auditor.assignment.spec import parse_spec
from auditor.evaluate.foreign import fill_keys
from auditor.load.notebook import load_notebook
from auditor.pipeline import audit_parsed
from tests import convention_notebooks as cn

ASK = ("**Inline Question 2**\n\nWe rescale every image before a nearest-neighbour classifier with L1 distance.\n"
       "Which of the following preprocessing steps will not change its accuracy? Select all that apply.\n"
       "1. Subtracting the mean of all pixels over all images from every pixel.\n"
       "2. Subtracting each pixel's own mean over all images from that pixel.\n"
       "3. Subtracting the global mean and dividing by the global standard deviation.\n"
       "4. Subtracting each pixel's mean and dividing by that pixel's standard deviation.\n5. None of the above.\n\n")


def template(slot_extra: str = ""):
    return [
        ("code", "import numpy as np"),
        "**Inline Question 1**\n\nWhy are some rows of the distance matrix bright?\n\n" f"{cn.MARK} *fill this in.*\n",
        ASK + f"{cn.MARK}{slot_extra}\n\n{cn.WHY}\n",
        ("code", "print('end')"),
    ]


def submission(answer: str, slot_extra: str = "", why: str = " shifts cancel in differences."):
    cells = template(slot_extra)
    cells[2] = ("md", ASK + f"{cn.MARK} {answer}{slot_extra}\n\n{cn.WHY}{why}\n")
    return cells


def audit(tmp_path, answer, key=(1, 2, 3), slot_extra="", why=" shifts cancel in differences."):
    tpl = load_notebook(cn.write(tmp_path / "template.ipynb", template(slot_extra)))
    spec = parse_spec(fill_keys(draft_spec(tpl), {"inline/2": list(key)}))
    nb = load_notebook(cn.write(tmp_path / "s.ipynb", submission(answer, slot_extra, why)))
    return {q.id: q for q in audit_parsed(nb, assignment=spec, execute=False).questions}["inline/2"]


def test_init_keeps_the_wording_of_selected_and_the_none_option(tmp_path):
    tpl = load_notebook(cn.write(tmp_path / "template.ipynb", template()))
    q = parse_spec(draft_spec(tpl)).question("inline/2")
    assert q.claim == "choice" and q.params["select"] == "many"
    assert q.params["selected_verdict"] == "will not change"
    assert list(q.params["options"]) == [1, 2, 3, 4, "5. None of the above"]


@pytest.mark.parametrize("answer, value, status", [
    # every word of these lines is the question's: in the slot they are still the student's
    ("\n1. will not change\n2. will not change\n3. will not change\n4. will change\n5. will change", [1, 2, 3], "pass"),
    ("\n1. Will NOT change\n2. won't change\n3. doesn't change\n4. changes\n5. changes", [1, 2, 3], "pass"),
    ("\n1. will not change\n2. will change\n3. will change\n4. will change\n5. will change", [1], "fail"),
    ("None of the above", [5], "fail"),
    ("\n- 1\n- 2\n- 3", [1, 2, 3], "pass"),
    ("\n* 1\n* 2", [1, 2], "fail"),
    # the opposite of the asked wording lists what is NOT selected
    ("4 and 5 will change the accuracy.", [1, 2, 3], "pass"),
    ("Steps 4 and 5 change it", [1, 2, 3], "pass"),
    ("The ones that won't change are 1, 2 and 3", [1, 2, 3], "pass"),
    ("The ones that change: 3, 4 and 5", [1, 2], "fail"),
    ("1, 2 and 3 will not change it; 4 and 5 do", [1, 2, 3], "pass"),
])
def test_answers_in_the_slot_in_the_questions_own_words(tmp_path, answer, value, status):
    got = audit(tmp_path, answer)
    assert (got.claimed, got.status.value) == (value, status), got.message


def test_template_text_inside_a_slot_stays_the_templates(tmp_path):
    hint = "\n\nHint: the accuracy will not change for some of them."
    blank = audit(tmp_path, "", slot_extra=hint, why="")
    assert blank.status.value == "unanswered", blank.answer_text
    got = audit(tmp_path, "1, 2, 3", slot_extra=hint)
    assert got.claimed == [1, 2, 3] and got.status.value == "pass"


def test_an_untouched_template_is_blank_everywhere(tmp_path):
    tpl = load_notebook(cn.write(tmp_path / "template.ipynb", template()))
    spec = parse_spec(draft_spec(tpl))
    result = audit_parsed(tpl, assignment=spec, execute=False)
    assert {q.id: q.status.value for q in result.questions} == {"inline/1": "unanswered", "inline/2": "unanswered"}


def test_a_fingerprint_made_before_slot_lines_reads_as_before():
    cells = [("markdown", "Which steps will not change it?\n1. A\n2. B\n\nAnswer:\n\n", "")]
    table = fingerprint_table(cells)
    old = TemplateIndex.from_spec_table({"ngram": table["ngram"], "hashes": table["hashes"]})
    new = TemplateIndex.from_spec_table(table)
    assert old.slot_line_is_template("will not change") is None            # not known: trigrams decide
    assert new.slot_line_is_template("will not change") is False
    assert new.slot_line_is_template("Answer:") is True                     # nothing left once the marker goes


def test_a_statement_copied_into_the_slot_stays_the_questions(tmp_path):
    copied = "\n\nWhich of the following preprocessing steps will not change its accuracy?\n\n"
    got = audit(tmp_path, copied + "1, 2, 3")
    assert got.claimed == [1, 2, 3] and "preprocessing" not in got.answer_text


@pytest.mark.parametrize("filler", ["1. Answers below", "Answer:", "- Answer here"])
def test_a_slot_holding_only_markers_is_blank(tmp_path, filler):
    got = audit(tmp_path, "\n\n" + filler, why="")
    assert got.status.value == "unanswered", got.answer_text


def test_tick_marks_put_after_the_questions_option_lines(tmp_path):
    tpl = load_notebook(cn.write(tmp_path / "template.ipynb", template()))
    spec = parse_spec(fill_keys(draft_spec(tpl), {"inline/2": [1, 2, 3]}))
    cells = template()
    ticked = cells[2].replace("from every pixel.", "from every pixel. ✓").replace("from that pixel.", "from that pixel. ✔")
    cells[2] = ("md", ticked)
    nb = load_notebook(cn.write(tmp_path / "s.ipynb", cells))
    got = {q.id: q for q in audit_parsed(nb, assignment=spec, execute=False).questions}["inline/2"]
    assert got.claimed == [1, 2] and got.status.value == "fail"


@pytest.mark.parametrize("answer, value", [
    ("1-T, 2-T, 3-T, 4-F, 5-F", [1, 2, 3]),     # T / F answer the question: T is selected
    ("答：1，2，3", [1, 2, 3]),
    ("\n\n1 ✓\n2 ✓\n3 ✓\n4 ✗\n5 ✗", [1, 2, 3]),
])
def test_other_ways_of_writing_a_selection(tmp_path, answer, value):
    assert audit(tmp_path, answer).claimed == value


def test_labels_written_with_a_number_sign_are_found_again_in_the_submission(tmp_path):
    def numbered(cells):
        return [c.replace("**Inline Question 1**", "**Inline Question #1:**").replace("**Inline Question 2**",
                "**Inline Question #2:**") if isinstance(c, str) else (c[0], c[1].replace("**Inline Question 2**",
                "**Inline Question #2:**")) for c in cells]
    tpl = load_notebook(cn.write(tmp_path / "template.ipynb", numbered(template())))
    spec = parse_spec(fill_keys(draft_spec(tpl), {"inline/2": [1, 2, 3]}))
    assert [q.id for q in spec.questions] == ["inline/1", "inline/2"]
    nb = load_notebook(cn.write(tmp_path / "s.ipynb", numbered(submission("1, 2, 3"))))
    got = {q.id: q for q in audit_parsed(nb, assignment=spec, execute=False).questions}
    assert got["inline/2"].claimed == [1, 2, 3] and got["inline/2"].status.value == "pass"
    assert got["inline/1"].status.value == "unanswered"


def test_a_label_the_student_retyped_without_its_colon_is_found(tmp_path):
    def labelled(cells, label):
        return [c.replace("**Inline Question 2**", label) if isinstance(c, str) else
                (c[0], c[1].replace("**Inline Question 2**", label)) for c in cells]
    tpl = load_notebook(cn.write(tmp_path / "template.ipynb", labelled(template(), "**Inline Question 2:**")))
    spec = parse_spec(fill_keys(draft_spec(tpl), {"inline/2": [1, 2, 3]}))
    nb = load_notebook(cn.write(tmp_path / "s.ipynb", labelled(submission("1, 2, 3"), "## Inline Question 2")))
    got = {q.id: q for q in audit_parsed(nb, assignment=spec, execute=False).questions}
    assert got["inline/2"].claimed == [1, 2, 3]


def test_options_copied_into_the_slot_with_their_numbers_select_them(tmp_path):
    copied = ("\n\n1. Subtracting the mean of all pixels over all images from every pixel.\n"
              "2. Subtracting each pixel's own mean over all images from that pixel.\n")
    got = audit(tmp_path, copied)
    assert got.claimed == [1, 2] and got.status.value == "fail"


def test_an_option_copied_into_the_slot_without_its_number_is_an_answer(tmp_path):
    got = audit(tmp_path, "Subtracting each pixel's own mean over all images from that pixel.", why="")
    assert got.status.value == "review" and got.claimed is None   # answered; which option it names: a person
