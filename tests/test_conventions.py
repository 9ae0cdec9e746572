"""Question discovery by convention (auditor.assignment.conventions), init drafts from it, and the
audit of submissions with those drafts. Fixture notebooks: tests/convention_notebooks.py."""
from __future__ import annotations

import pytest

from auditor.assignment.conventions import discover
from auditor.assignment.conventions.labels import find_labels, question_labels
from auditor.assignment.conventions.slots import has_strong_slot, is_placeholder_only, points_elsewhere, strip_slots
from auditor.assignment.conventions.wording import options_of, propose
from auditor.assignment.draft import draft_spec
from auditor.assignment.spec import parse_spec
from auditor.load.notebook import load_notebook
from auditor.pipeline import audit_parsed
from tests import convention_notebooks as cn


def _load(tmp_path, name, cells):
    return load_notebook(cn.write(tmp_path / f"{name}.ipynb", cells))


def _audit(tmp_path, template_cells, submission_cells, spec_text=None):
    template = _load(tmp_path, "template", template_cells)
    spec = parse_spec(spec_text or draft_spec(template))
    result = audit_parsed(_load(tmp_path, "submission", submission_cells), assignment=spec, execute=False)
    return spec, {q.id: q for q in result.questions}


# --------------------------------------------------------------------------- recognisers

@pytest.mark.parametrize("line, family, name", [
    ("**Inline Question 1**", "inline", "1"),
    ("## Inline Question 2:", "inline", "2"),
    ("### Question 2a ###", "q", "2a"),
    ("### Question 6b (ii) ###", "q", "6bii"),
    ("**Question 1f:** You may have noticed", "q", "1f"),
    ("### 1a) Load the data", "q", "1a"),
    ("### Exercise 3", "exercise", "3"),
    ("**Task 2.** True or false", "task", "2"),
    ("Q3: What is the number", "q", "3"),
    ("**Question 1.b:** Why", "q", "1b"),
    ("### Problem 2(a)", "problem", "2a"),
    ("## Exercise 2.3: Gradients", "exercise", "2-3"),
    ("**Inline Question #1:**", "inline", "1"),
    ("### Question #4", "q", "4"),
    ("**Problem No. 3**", "problem", "3"),
    ("## 📝 Question 1", "q", "1"),
    ("> **Question 3**", "q", "3"),
    ("<h3>Question 5</h3>", "q", "5"),
    ("1. **Question 11**", "q", "11"),
    ("### Pregunta 2", "q", "2"),
    ("**问题 1**", "q", "1"),
    ("## Aufgabe 3: Backprop", "task", "3"),
    ("### Übung 4", "exercise", "4"),
])
def test_printed_labels(tmp_path, line, family, name):
    nb = _load(tmp_path, "x", [line + "\nsome text"])
    [label] = find_labels(nb)
    assert (label.family, label.name) == (family, name)


@pytest.mark.parametrize("line", ["The question 2 of the last homework was easy.", "Questions are welcome",
                                  "We ran 3 tasks in parallel", "1. Sigmoid", "- Question 2",
                                  "1. Question 11 is hard", "Question 2 asks you to compute", "Problems 3"])
def test_prose_is_not_a_label(tmp_path, line):
    assert find_labels(_load(tmp_path, "x", [line])) == []


def test_a_label_that_heads_others_is_a_section(tmp_path):
    nb = _load(tmp_path, "x", ["## Question 1: Calculus ##\n### Question 1a", "### Question 1b",
                               "### Question 2 (i)", "### Question 2 (ii)"])
    assert [lb.name for lb in question_labels(find_labels(nb))] == ["1a", "1b", "2i", "2ii"]


@pytest.mark.parametrize("line, kept", [
    (r"$\color{blue}{\textit Your Answer:}$ *Fill this in*", ""),
    (r"$\color{green}{\textit Your Answer:}$", ""),
    (r"$\color{blue}{\textit Your Answer: 1, 3}$", "1, 3"),
    (r"$\color{blue}{\textit Your Answer:}$*yes*", "*yes*"),
    ("[FILL THIS IN]", ""),
    ("[2 3]", "[2 3]"),
    ("YOUR ANSWER HERE", ""),
    ("_Type your answer here, replacing this text._: (ii)", ": (ii)"),
    ("Write your answer here", ""),
    ("[your answer]", ""),
    ("Double-click to edit.", ""),
])
def test_slot_markers_and_placeholders_are_stripped(line, kept):
    assert strip_slots(line) == kept
    assert is_placeholder_only(line) == (kept == "")


def test_strong_slots_open_a_line_not_a_sentence():
    assert has_strong_slot("Why?\n\n$\\color{blue}{\\textit Your Answer:}$ *Fill this in*")
    assert has_strong_slot("## Answer:\n[FILL THIS IN]")
    assert not has_strong_slot("Put the answer in the cell that says _Type your answer here, replacing this text._")


@pytest.mark.parametrize("text, elsewhere", [("Refer my notebook for answers.", True), ("I did it on paper...", True),
                                             ("See the figure above: the loss decreases.", False),
                                             ("Not in the notebook's data: we cannot tell.", False)])
def test_answers_that_point_elsewhere(text, elsewhere):
    assert points_elsewhere(text) == elsewhere


def test_wording_proposes_the_claim_kind():
    many = propose("Which can reduce the gap? Select all that apply.\n1. More data\n2. More units\n3. Regularise")
    assert (many.claim, many.options, many.select) == ("choice", ("1", "2", "3"), "many")
    one = propose("Record your choice in `q_answer`.\n\n1. larger\n2. smaller\n3. the same")
    assert (one.claim, one.select) == ("choice", "one")
    assert options_of("(i) 1.9\n\n(ii) 4.9\n\n(iii) 10.9") == ("i", "ii", "iii")
    assert propose("**Inline Question 2** - *True or False*\n\nA statement.").claim == "verdict"
    assert propose("How many rows have -1 in `steps`?").claim == "number"
    assert propose("Explain briefly why the loss starts near 2.3.").claim is None


_OPTIONS = "\n\n1. the loss rises\n2. the loss falls\n3. nothing changes"
# the same request in other forms: emphasis, line breaks, capitals, HTML (wording must not matter)
_FORMS = (lambda t: t, lambda t: t.upper(), lambda t: t.replace(" ", "\n", 1),
          lambda t: " ".join(f"**{w}**" if i == 1 else w for i, w in enumerate(t.split(" "))),
          lambda t: " ".join(f"_{w}_" if i == 0 else w for i, w in enumerate(t.split(" "))),
          lambda t: " ".join(f"<b>{w}</b>" if i == 1 else w for i, w in enumerate(t.split(" "))))


@pytest.mark.parametrize("ask", ["Pick all that are true.", "Select all statements that hold.",
                                 "Which of the following are true?", "Which of these changes are harmful?",
                                 "Choose any number of options.", "Tick one or more of the options.",
                                 "Which statement(s) hold?", "Which of the following is/are correct?",
                                 "Mark every option that applies.", "Pick all of the correct options below."])
@pytest.mark.parametrize("form", range(len(_FORMS)))
def test_wording_asking_for_all_options_proposes_many(ask, form):
    w = propose(_FORMS[form](ask) + _OPTIONS)
    assert (w.claim, w.select) == ("choice", "many"), _FORMS[form](ask)


@pytest.mark.parametrize("ask", ["Pick one.", "Which of the following is true?", "Choose any one option.",
                                 "Select the correct answer.", "Which one of these changes is harmful?",
                                 "Pick the option which means the loss is unchanged."])
@pytest.mark.parametrize("form", range(len(_FORMS)))
def test_wording_asking_for_one_option_stays_one(ask, form):
    w = propose(_FORMS[form](ask) + _OPTIONS)
    assert (w.claim, w.select) == ("choice", "one"), _FORMS[form](ask)


# --------------------------------------------------------------------------- discovery per convention

def test_inline_questions(tmp_path):
    found = discover(_load(tmp_path, "t", cn.inline_template()))
    assert [(d.id, d.cell) for d in found] == [("inline/1", 2), ("inline/2", 4), ("inline/3", 5)]
    assert "Fill this in" not in found[0].text and "Your Answer" not in found[0].text


def test_nbgrader_questions_come_from_the_metadata(tmp_path):
    found = discover(_load(tmp_path, "t", cn.nbgrader_template()))
    assert [d.id for d in found] == ["q/1a", "q/1b", "q/2a", "q/2a-2"]
    by = {d.id: d for d in found}
    assert by["q/1b"].points == 2 and by["q/1a"].answer_cell == 3
    assert by["q/2a"].variables == ("has_five", "is_long")
    assert by["q/2a-2"].convention == "nbgrader" and by["q/2a-2"].answer_cell == 12


def test_otter_questions_and_points(tmp_path):
    found = discover(_load(tmp_path, "t", cn.otter_template()))
    assert [d.id for d in found] == ["q/1a", "q/1b", "q/1c"]
    assert [d.points for d in found] == [2.0, 1.0, None]
    assert [d.convention for d in found] == ["otter", "otter", "label"]  # 1c has no name: found by its label


def test_printed_label_families(tmp_path):
    found = discover(_load(tmp_path, "t", cn.labels_template()))
    assert [d.id for d in found] == ["exercise/1", "task/2", "q/3"]


# --------------------------------------------------------------------------- init drafts

def test_init_draft_ids_kinds_and_todo_keys(tmp_path):
    text = draft_spec(_load(tmp_path, "t", cn.nbgrader_template()))
    spec = parse_spec(text)
    by = {q.id: q for q in spec.questions}
    assert set(by) == {"q/1a", "q/1b", "q/2a", "q/2a.1", "q/2a.2", "q/2a-2"}
    assert by["q/1a"].claim == "number" and by["q/1b"].points == 2.0
    assert by["q/2a.1"].claim == "verdict" and by["q/2a.1"].answer_patterns
    assert text.count('key = "TODO"') == 4          # 1a (number), 1b (choice), 2a.1 and 2a.2 (verdicts)
    assert by["q/1a"].reason.startswith("no key yet")
    # "TODO" is no key yet: the check waits, the question is graded by hand
    assert by["q/2a.1"].key is None and by["q/2a.1"].check is None and "TODO" in by["q/2a.1"].reason


def test_todo_key_is_manual_and_a_filled_key_is_judged(tmp_path):
    template = _load(tmp_path, "t", cn.nbgrader_template())
    draft = draft_spec(template)
    _, got = _audit(tmp_path, cn.nbgrader_template(), cn.nbgrader_submission(), draft)
    assert got["q/2a.1"].status.value == "manual" and got["q/2a.1"].claimed == "true"
    from auditor.evaluate.foreign import fill_keys

    keyed = fill_keys(draft, {"q/2a.1": "false", "q/1a": 5})
    _, got = _audit(tmp_path, cn.nbgrader_template(), cn.nbgrader_submission(), keyed)
    assert got["q/2a.1"].status.value == "fail" and got["q/2a.2"].status.value == "manual"
    assert got["q/1a"].status.value == "review"    # computed by code that did not run: never a guess


def test_otter_draft_uses_printed_numbers(tmp_path):
    spec = parse_spec(draft_spec(_load(tmp_path, "t", cn.otter_template())))
    assert [q.id for q in spec.questions] == ["q/1a", "q/1b", "q/1c"]
    assert spec.question("q/1b").claim == "number"


# --------------------------------------------------------------------------- audits with the drafts

def test_inline_answers_after_the_marker_in_the_same_cell(tmp_path):
    _, got = _audit(tmp_path, cn.inline_template(), cn.inline_submission())
    assert got["inline/1"].status.value != "unanswered" and "1/10" in got["inline/1"].answer_text
    assert "best" not in got["inline/1"].answer_text       # the code cell after the question is not its answer
    assert got["inline/2"].status.value != "unanswered"     # a verdict after the explanation marker
    assert got["inline/3"].status.value != "unanswered" and "1, 2" in got["inline/3"].answer_text


def test_untouched_or_recoloured_slots_are_blank(tmp_path):
    _, got = _audit(tmp_path, cn.inline_template(), cn.inline_blank_recoloured())
    assert {q: r.status.value for q, r in got.items()} == {q: "unanswered" for q in got}


def test_nbgrader_answers(tmp_path):
    _, got = _audit(tmp_path, cn.nbgrader_template(), cn.nbgrader_submission())
    assert got["q/1a"].status.value != "unanswered" and got["q/1a"].claimed is None  # computed: not read
    assert got["q/1b"].status.value != "unanswered" and got["q/1b"].cells == (7,)    # the inserted cell below
    assert got["q/2a.1"].claimed == "true" and got["q/2a.2"].claimed == "false"
    assert got["q/2a-2"].status.value == "unanswered"   # YOUR ANSWER HERE kept


def test_nbgrader_stub_kept_is_blank(tmp_path):
    _, got = _audit(tmp_path, cn.nbgrader_template(), cn.nbgrader_template())
    assert {r.status.value for r in got.values()} == {"unanswered"}


def test_otter_answers(tmp_path):
    _, got = _audit(tmp_path, cn.otter_template(), cn.otter_submission())
    assert got["q/1a"].status.value != "unanswered" and "(ii)" in got["q/1a"].answer_text
    assert "Type your answer" not in got["q/1a"].answer_text
    assert got["q/1b"].claimed == 6
    assert got["q/1c"].status.value == "unanswered" and got["q/1c"].placement == "elsewhere"


def test_printed_labels_answers(tmp_path):
    _, got = _audit(tmp_path, cn.labels_template(), cn.labels_submission())
    assert "30x30" in got["exercise/1"].answer_text
    assert got["task/2"].claimed == "false"
    assert got["q/3"].status.value != "unanswered"
    _, blank = _audit(tmp_path, cn.labels_template(), cn.labels_template())
    assert {r.status.value for r in blank.values()} == {"unanswered"}


@pytest.mark.parametrize("make_template, make_submission, expected", [
    (cn.inline_template, cn.inline_submission, {"inline/1", "inline/2", "inline/3"}),
    (cn.nbgrader_template, cn.nbgrader_submission, {"q/1a", "q/1b", "q/2a", "q/2a.1", "q/2a.2", "q/2a-2"}),
    (cn.otter_template, cn.otter_submission, {"q/1a", "q/1b", "q/1c"}),
])
def test_specless_audit_finds_the_convention_questions(tmp_path, make_template, make_submission, expected):
    result = audit_parsed(_load(tmp_path, "s", make_submission()), assignment=None, execute=False)
    got = {q.id: q for q in result.questions}
    assert set(got) == expected
    assert any(q.status.value != "unanswered" for q in got.values())
    assert all(q.status.value != "fail" for q in got.values())   # no key: nothing is failed


# --------------------------------------------------------------------------- code answers' literal values

@pytest.mark.parametrize("code, expected", [
    ("q1f_answer = 3", [("q1f_answer", 3)]),
    ("lm_1 = bool(0.005 <= 0.01)", [("lm_1", True)]),
    ("has_five, is_long = True, False", [("has_five", True), ("is_long", False)]),
    ("u_ice = 0\nfor x in xs:\n    u_ice += 1", []),                 # changed later: computed
    ("age = 75\npred = a * age + b\npred", []),                        # an input of the computation
    ("n = df['x'].sum()", []),                                         # computed from data
    ("x = 1\nx = df.sum()", []),
])
def test_literal_values_of_code_answers(code, expected):
    from auditor.claims.code_value import literal_assignments

    assert [(n, v) for n, v, _ in literal_assignments(code)] == expected


@pytest.mark.parametrize("claimed, key, status", [(463, 463, "pass"), (587, 463, "fail"), (62522.7632, 62522.76, "pass"),
                                                  ([32, 1], [32, 1], "pass"), ([1, 32], [32, 1], "fail"),
                                                  (None, 463, "review"), (12, None, "review")])
def test_keyed_number(claimed, key, status):
    from auditor.models import Answer, Claim, QuestionSpec, Segment
    from checks.keyed_number import check_keyed_number

    q = QuestionSpec(id="q/1", section="q", number=1, claim="number", check="keyed_number", key=key)
    answer = Answer("q/1", True, (Segment(3, "n = ...", "code"),))
    claim = Claim("number", claimed, readable=claimed is not None)
    assert check_keyed_number(q, answer, claim).status.value == status


def test_a_numbered_phrase_does_not_match_a_longer_number():
    from auditor.extract.locate import _contains_phrase

    assert _contains_phrase("inline question 1:", ["inline question 1"])
    assert not _contains_phrase("inline question 12", ["inline question 1"])
    assert not _contains_phrase("question 1a", ["question 1"])


@pytest.mark.parametrize("perturb", ["crlf", "glued", "inside-marker", "inserted-cells", "recoloured"])
def test_inline_answers_survive_perturbations(tmp_path, perturb):
    cells = cn.inline_template()
    answer = "True: a point far past the margin adds nothing to the hinge loss."
    q2 = cells[4]
    if perturb == "crlf":
        q2 = q2.replace(cn.MARK, cn.MARK + "\n" + answer).replace("\n", "\r\n")
    elif perturb == "glued":
        q2 = q2.replace(cn.MARK, cn.MARK + "*" + answer + "*")
    elif perturb == "inside-marker":
        q2 = q2.replace(cn.MARK, cn.MARK.replace("Answer:", "Answer: " + answer))
    elif perturb == "recoloured":
        q2 = q2.replace(cn.MARK, cn.MARK.replace("blue", "red") + " " + answer)
    else:
        q2 = q2.replace(cn.MARK, cn.MARK + " " + answer)
    cells[4] = ("md", q2)
    if perturb == "inserted-cells":
        cells[1:1] = [("code", "!pip install numpy"), "My own notes on the setup."]
    _, got = _audit(tmp_path, cn.inline_template(), cells)
    assert got["inline/2"].claimed == "true", perturb
    assert got["inline/1"].status.value == "unanswered" and got["inline/3"].status.value == "unanswered"


def test_specless_code_stubs_left_as_released_are_blank(tmp_path):
    cells = cn.otter_template()
    cells[4] = ("code", "def die_faces():\n    ...\n\n# do not edit below this line\nq1b = die_faces()\nq1b")
    blank = audit_parsed(_load(tmp_path, "blank", cells), assignment=None, execute=False)
    assert {q.id: q.status.value for q in blank.questions}["q/1b"] == "unanswered"
    cells[4] = ("code", "def die_faces():\n    return 6\n\n# do not edit below this line\nq1b = die_faces()\nq1b")
    filled = audit_parsed(_load(tmp_path, "filled", cells), assignment=None, execute=False)
    got = {q.id: q for q in filled.questions}["q/1b"]
    assert got.status.value != "unanswered" and "return 6" in got.answer_text


def test_points_printed_in_a_label(tmp_path):
    found = discover(_load(tmp_path, "t", ["**Question 1 (2 points):** Why?", "### Exercise 2 - sigmoid [1.5 pts]", "Q3. x"]))
    assert [(d.id, d.points) for d in found] == [("q/1", 2.0), ("exercise/2", 1.5), ("q/3", None)]


def test_a_shape_question_without_code_gets_a_keyed_check_over_its_dimensions():
    from auditor.assignment.proposals import propose_for_text
    from auditor.judge.registry import get_check, run_check
    from auditor.models import Answer, Claim, QuestionSpec, Segment

    got = propose_for_text("What is the output shape of a 3x3 convolution with 16 filters on a (8, 3, 32, 32) input?")
    assert (got.claim, got.check, got.key_example) == ("shape", "keyed_number", "[2, 3]")
    q = QuestionSpec(id="q/3", section="q", number=3, claim="shape", check="keyed_number", key=[8, 16, 30, 30])
    answer = Answer("q/3", True, (Segment(4, "(8, 16, 30, 30)", "markdown"),))
    check = get_check("keyed_number")
    assert run_check(check, question=q, answer=answer, claim=Claim("shape", [8, 16, 30, 30])).status.value == "pass"
    assert run_check(check, question=q, answer=answer, claim=Claim("shape", [16, 30, 30])).status.value == "fail"


def _spanish(answers=("", "", "")):
    return [
        "# Tarea 2: Redes neuronales",
        ("code", "import torch"),
        "### Pregunta 1\n\n¿Qué probabilidad q tiene una capa de dropout equivalente a dos con p1 = 0.1 y p2 = 0.2?"
        f"\n\n**Respuesta:** {answers[0]}",
        "### Pregunta 2\n\nVerdadero o falso: una red con solo activaciones ReLU no sufre gradientes que se desvanecen."
        f"\n\n**Respuesta:** {answers[1]}",
        "### Pregunta 3\n\n¿Cuáles de las siguientes son técnicas de regularización? Seleccione todas las que "
        f"correspondan.\n\n1. Dropout\n2. Adam\n3. Weight decay\n\n**Respuesta:** {answers[2]}",
    ]


def test_a_course_in_another_language(tmp_path):
    spec = parse_spec(draft_spec(_load(tmp_path, "t", _spanish())))
    kinds = {q.id: (q.claim, (q.params or {}).get("select")) for q in spec.questions}
    assert kinds == {"q/1": ("number", None), "q/2": ("verdict", None), "q/3": ("choice", "many")}  # no "Tarea" title
    _, got = _audit(tmp_path, _spanish(), _spanish(("q = 0.28", "Falso, porque una unidad muerta no aprende.", "1 y 3")))
    assert (got["q/1"].claimed, got["q/2"].claimed, got["q/3"].claimed) == (0.28, "false", [1, 3])
    _, blank = _audit(tmp_path, _spanish(), _spanish())
    assert {q: r.status.value for q, r in blank.items()} == {q: "unanswered" for q in blank}
