"""Claim readers on made-up answers (our own wording): one test per rule, pass and tricky cases."""
from __future__ import annotations

import pytest
import sympy

from auditor.claims.read import KINDS, parse_formula, read_claim
from auditor.models import Answer, QuestionSpec, Segment

STATEMENT = QuestionSpec(id="s/1.1", section="s", number=1, sub=1, claim="verdict",
                         phrases=("no gradient can ever be zero", "weights never change sign"))
PLAIN = QuestionSpec(id="q/1", section="q", number=1)
SNIPPET = QuestionSpec(id="seq/2.1", section="seq", number=2, sub=1, claim="shape",
                       params={"code": "X = torch.randint(0, 9, size=(2, 3, 4))\nE = nn.Embedding(9, embedding_dim=50)\n"})


def ans(*texts: str, source: str = "markdown", cell: int = 7) -> Answer:
    return Answer(question_id="x", answered=True, segments=tuple(Segment(cell, t, source) for t in texts))


def verdict(text: str, q: QuestionSpec = STATEMENT):
    return read_claim("verdict", ans(text), q)


# ----------------------------------------------------------------- verdicts
@pytest.mark.parametrize("text, want", [
    ("True. Because the weights are shared.", "true"),
    ("**FALSE**\n\nThe opposite holds.", "false"),
    ("A. **True**, since ...", "true"),
    ("c) false - it can happen", "false"),
    ("T.", "true"),
    ("Answer: F, because a counterexample exists.", "false"),
    ("**Answer:**\nflase", "false"),
    ("Ture, this is what we saw in class", "true"),
    ("Correct. The bound is tight enough.", "true"),
    ("Incorrect: the opposite is the case.", "false"),
    ("Wrong - both can fail.", "false"),
    ("The answer is F. It is the other way around.", "false"),
    ("This is not true: consider a single layer.", "false"),
    ("This statement is generally true, but it depends on the data.", "true"),
    ("3.2 True, as shown in the tutorial", "true"),
    ("F.\n  True. Ordering matters here.", "true"),          # F. is the list label here
    ("Depends on the setup. With a bounded activation it fails, therefore, false.", "false"),
])
def test_verdict_forms(text, want):
    c = verdict(text)
    assert c.readable and c.value == want, c
    assert c.span is not None and c.span.cell == 7 and c.span.text in text and len(c.span.text) < 120


def test_copied_statement_is_not_a_verdict():
    # the statement itself contains "no" and "never"; the verdict comes after it
    c = verdict("1. In this model no gradient can ever be zero: F.\nbecause a dead unit has zero gradient.")
    assert c.value == "false"
    c = verdict("In this model the weights never change sign. T.\nSince the update keeps the sign.")
    assert c.value == "true"


def test_statement_echoed_after_verdict_keeps_verdict():
    c = verdict("True, the weights never change sign because the update is positive.")
    assert c.value == "true"


def test_true_or_false_header_is_not_a_verdict():
    c = verdict("State whether **true or false**: no gradient can ever be zero.\n\nIt depends on the init.")
    assert c.value == "hedged"


def test_both_verdicts_is_hedged():
    c = verdict("False, in theory. So the answer is technically false but in practice true.")
    assert c.value == "hedged"
    c = verdict("False: the slope is constant. If we ignore zero then the answer is True.")
    assert c.value == "hedged"


def test_verdict_contradicted_by_its_explanation_keeps_word_and_notes():
    c = verdict("True. The slope is constant, so the statement is false.")
    assert c.value == "true"
    assert any("contradicts" in n for n in c.notes)


def test_no_verdict_is_unreadable():
    c = verdict("The gradient is constant for positive inputs.")
    assert not c.readable and c.value is None


def test_words_inside_explanations_are_not_verdicts():
    c = verdict("Nothing here is right-hand side dependent; the true loss is unknown.")
    assert not c.readable


def test_verdict_after_answer_marker_following_copied_question():
    text = ("5. Some question text that the student copied.\n=====\n**ANSWER:**\n\nFalse. It is not needed.")
    assert verdict(text, PLAIN).value == "false"


# ----------------------------------------------------------------- numbers
@pytest.mark.parametrize("text, want", [
    ("So the receptive field is 54x54.", 54),
    ("$$\\boxed{125 \\times 125}$$", 125),
    ("**Answer**: 13", 13),
    ("r_3 = 10 + (7-1)*4 = 34", 34),
    ("first 9=5+4, then 17=9+2*4 pixels.", 17),
    ("Step 1: field 3. Step 2: field 6.\nIn the end the field is 20 pixels.", 20),
])
def test_number_forms(text, want):
    c = read_claim("number", ans(text), PLAIN)
    assert c.value == want, c


def test_number_ignores_distractors():
    text = ("The dilated kernel has size 13. The network output is torch.Size([1, 32, 122, 122]) and conv1 has "
            "112 parameters.\nThe receptive field of each output pixel is 40x40.")
    c = read_claim("number", ans(text), PLAIN)
    assert c.value == 40
    text = "Each layer: kernel size = 5, stride = 2, padding = 2.\nTherefore RF = 21."
    assert read_claim("number", ans(text), PLAIN).value == 21


def test_last_concluded_value_wins_over_working():
    text = "Layer 1: receptive field 3x3.\nLayer 2: receptive field 7x7.\nLayer 3: receptive field 15x15."
    assert read_claim("number", ans(text), PLAIN).value == 15


def test_final_value_contradicting_working_is_noted():
    text = "r_2 = 4 + (5-1)*2 = 12\nr_3 = 12 + (9-1)*4 = 44\nIn conclusion, the receptive field is 50x50."
    c = read_claim("number", ans(text), PLAIN)
    assert c.value == 50
    assert any("44" in n and "contradicts" in n for n in c.notes)


def test_area_stays_area_with_note():
    text = "Finally (2*7+1)x(2*7+1) = 15x15 = 225 pixels.\nSo each output pixel sees 225 input pixels."
    c = read_claim("number", ans(text), PLAIN)
    assert c.value == 225
    assert any("area" in n for n in c.notes)


def test_number_from_printed_output_only():
    a = Answer("x", True, (Segment(3, "print('field', rf(layers))", "code"), Segment(3, "field 77\n", "output")))
    c = read_claim("number", a, PLAIN)
    assert c.value == 77 and c.span.cell == 3


def test_number_unreadable_without_number():
    c = read_claim("number", ans("It grows with every layer."), PLAIN)
    assert not c.readable and c.value is None


# ----------------------------------------------------------------- probability / formula
@pytest.mark.parametrize("text", [
    "1-(1-p1)(1-p2)", "1 - (1-p_1)\\cdot(1-p_2)", "1-(1-P1)∙(1-P2)", "1-(1-p_{1})·(1-p_{2})",
    "\\left(1-(1-p_1)\\times(1-p_2)\\right)", "p1 + p2 - p1p2", "p_1 + p_2 - p_1 p_2", "1−(1−p1)×(1−p2)",
])
def test_parse_formula_equivalent_forms(text):
    p1, p2 = sympy.symbols("p1 p2")
    expr = parse_formula(text)
    assert expr is not None, text
    assert sympy.simplify(expr - (1 - (1 - p1) * (1 - p2))) == 0


def test_parse_formula_rejects_other_symbols_and_garbage():
    assert parse_formula("1 - keep_prob") is None
    assert parse_formula("the product of both") is None
    assert parse_formula("((1-p1)") is None


def test_probability_formula_and_wrong_arithmetic():
    c = read_claim("probability", ans("q=p_1+p_2∙(1-p_1 )=0.1+0.2∙0.1= 0.12"), PLAIN)
    assert c.value == pytest.approx(0.12)
    assert c.extra["formula"] == "p1 + p2*(1 - p1)"
    assert "formula_ok" not in c.extra


def test_probability_formula_only_and_solved_for_q():
    c = read_claim("probability", ans("$1-q=(1-p_1)(1-p_2)$"), PLAIN)
    assert c.value is None and c.readable
    assert sympy.simplify(parse_formula(c.extra["formula"]) - parse_formula("1-(1-p1)(1-p2)")) == 0


def test_probability_keep_first_corrected_later():
    text = "q = (1-p1)(1-p2) = 0.72.\nOops, that keeps a unit; dropping: q = 0.28"
    c = read_claim("probability", ans(text), PLAIN)
    assert c.value == pytest.approx(0.28)


def test_probability_value_only():
    c = read_claim("probability", ans("Stay with 0.9*0.8 = 0.72.\nSo: $q = 0.28$"), PLAIN)
    assert c.value == pytest.approx(0.28) and c.extra["formula"] is None


def test_probability_unreadable():
    assert not read_claim("probability", ans("It is higher than both."), PLAIN).readable


# ----------------------------------------------------------------- shapes
@pytest.mark.parametrize("text", [
    "Y has shape (2,3,4,50).", "Its shape is [2, 3, 4, 50]", "Y: 2x3x4x50", "the shape is 2 X 3 X 4 X 50",
    "Y.shape == torch.Size([2, 3, 4, 50])",
    "X, which is of shape (2, 3, 4), becomes Y with shape (2, 3, 4, 50)",
    "Y is (2, 3, 4, 50) since X's shape is (2, 3, 4).",
])
def test_shape_forms(text):
    assert read_claim("shape", ans(text), SNIPPET).value == [2, 3, 4, 50]


def test_shape_relative_to_input_uses_snippet():
    c = read_claim("shape", ans("The first 3 dims are the same as X and the last dim is the embedding."), SNIPPET)
    assert c.value == [2, 3, 4, 50]


def test_shape_not_stated_is_unreadable():
    for text in ("X's shape is (2, 3, 4); each value gets a vector of size 50.",
                 "There are 2 * 3 * 4 = 24 items, each embedded.", "values in the range (0, 8)"):
        c = read_claim("shape", ans(text), SNIPPET)
        assert not c.readable and c.value is None, text


# ----------------------------------------------------------------- cause / yes-no
@pytest.mark.parametrize("text, want", [
    ("Most likely vanishing gradients: sigmoid saturates.", "vanishing"),
    ("The gradients of the first layers approach zero.", "vanishing"),
    ("It is stuck in a local minimum because gradients are tiny (vanishing gradients).", "vanishing"),
    ("The gradients explode through the depth.", "exploding"),
    ("The learning rate is too high.", "other"),
])
def test_cause(text, want):
    assert read_claim("cause", ans(text), PLAIN).value == want


def test_cause_alternatives_without_choice_unreadable():
    text = "One possible reason is a local minimum.\nAnother possible reason is vanishing gradients."
    assert not read_claim("cause", ans(text), PLAIN).readable


FRIEND = QuestionSpec(id="l/3", section="l", number=3, claim="yesno", phrases=("A colleague proposes",))


@pytest.mark.parametrize("text, want", [
    ("He is a bad friend. His suggestion won't help us.", "no"),
    ("No, tanh saturates as well.", "no"),
    ("Yes - it is centred at zero, which solves it.", "yes"),
    ("He is incorrect.", "no"),
    ("The swap may or may not solve it; in the end it may not be sufficient.", "no"),
    ("A colleague proposes that swapping will solve it. We think this would not fix the issue.", "no"),
    ("Both squash their input, so the same vanishing gradient problem appears!", "no"),
])
def test_yesno(text, want):
    assert read_claim("yesno", ans(text), FRIEND).value == want


# ----------------------------------------------------------------- code
def test_code_filled_true_and_span():
    code = ("loss = f(W, b)\n# TODO: grad_W = ...\nfor i in range(3):\n"
            "    Wp = W.clone(); Wp[i] += h\n    gW[i] = (f(Wp, b) - loss) / h\n")
    c = read_claim("code", ans(code, source="code", cell=5), PLAIN)
    assert c.value is True and c.span.text == "gW[i] = (f(Wp, b) - loss) / h" and c.span.cell == 5


def test_code_todos_only_is_false():
    code = "loss = f(W, b)\n# TODO: grad_W = (f(W + h) - f(W)) / h\n# assert torch.allclose(grad_W, auto)\n"
    assert read_claim("code", ans(code, source="code"), PLAIN).value is False


def test_code_with_syntax_error_still_read():
    code = "%time\ngrad = (f(W + eps) - f(W - eps)) / (2 * eps\nprint(grad"
    assert read_claim("code", ans(code, source="code"), PLAIN).value is True


def test_code_template_lines_not_counted():
    tmpl = "slope = (a - b) / c\nprint(slope)\n"
    q = QuestionSpec(id="b/3", section="b", number=3, params={"code": tmpl})
    assert read_claim("code", ans(tmpl, source="code"), q).value is False


# ----------------------------------------------------------------- dispatch
def test_unknown_kind_and_unanswered():
    with pytest.raises(ValueError):
        read_claim("colour", ans("x"), PLAIN)
    for kind in KINDS:
        c = read_claim(kind, Answer("x", False), PLAIN)
        assert c.kind == kind
        assert (c.value is False) if kind == "code" else (not c.readable and c.value is None)


def test_claim_extra_is_frozen():
    c = read_claim("probability", ans("q = 0.3"), PLAIN)
    with pytest.raises(TypeError):
        c.extra["formula"] = "x"


# ----------------------------------------------------------------- verdict lists and look-alikes
def test_opening_words_that_are_not_verdicts():
    assert not verdict("No gradient flows through a unit whose input is negative.", PLAIN).readable
    assert not verdict("Correct gradients need the whole batch.", PLAIN).readable
    assert verdict("No, the gradient flows anyway.", PLAIN).value == "false"
    assert verdict("Correct - the bound holds.", PLAIN).value == "true"


def test_whole_list_given_takes_kth_verdict_by_order():
    text = "4. Answers below\n5. False, because ...\n6. True, since ...\n7. False: as shown."
    q2 = QuestionSpec(id="s/4.2", section="s", number=4, sub=2, claim="verdict")
    c = read_claim("verdict", ans(text), q2)
    assert c.value == "true" and c.span.text == "6. True, since ..." and any("by order" in n for n in c.notes)


def test_list_restarting_uses_last_run():
    text = "A. False. copied from before\nB. False.\nA. True, first\nB. True, second\nC. False, third"
    q = QuestionSpec(id="s/3.3", section="s", number=3, sub=3, claim="verdict")
    assert read_claim("verdict", ans(text), q).value == "false"


def test_list_without_statement_index_is_not_guessed():
    c = read_claim("verdict", ans("1. True, a\n2. False, b"), PLAIN)
    assert not c.readable and c.value is None


def test_shape_ignores_call_arguments():
    text = "Y keeps X's dims and adds 50: the first 3 dims are the same as X.\nE.g. nn.Linear(420, 42) would do it."
    assert read_claim("shape", ans(text), SNIPPET).value == [2, 3, 4, 50]


@pytest.mark.parametrize("text, want", [
    ("I believe this is false, because ...", "false"),
    ("The answer: false", "false"),
    ("True/False: **False**", "false"),
    ("(T) the update uses one sample", "true"),
    ("**T**\nbecause of the definition", "true"),
    ("Not true. Consider a deep net.", "false"),
])
def test_more_verdict_forms(text, want):
    assert verdict(text, PLAIN).value == want


@pytest.mark.parametrize("text, want", [
    ("The field is $112 \\times 112$.", 112),
    ("It covers 30 by 30 input pixels.", 30),
    ("r = 1\\cdot 2\\cdot 2 +\n 3 = 7", 7),
])
def test_more_number_forms(text, want):
    assert read_claim("number", ans(text), PLAIN).value == want


def test_cause_saturation_and_small_derivatives_read_as_vanishing():
    assert read_claim("cause", ans("The sigmoids saturate after a few steps."), PLAIN).value == "vanishing"
    assert read_claim("cause", ans("Hence the derivative becomes small."), PLAIN).value == "vanishing"


def test_yesno_more_forms():
    assert read_claim("yesno", ans("Not really, tanh is a shifted sigmoid."), FRIEND).value == "no"
    assert not read_claim("yesno", ans("Yes and no: it depends on the inputs."), FRIEND).readable
    assert read_claim("yesno", ans("Your friend is right: it does help here."), FRIEND).value == "yes"


def test_code_difference_through_a_variable():
    code = "for i in range(n):\n    d = f(W + e[i]) - f(W)\n    g[i] = d / h\n"
    c = read_claim("code", ans(code, source="code"), PLAIN)
    assert c.value is True and c.span.text == "g[i] = d / h"


def test_code_autograd_only_is_not_numerical():
    code = "loss.backward()\ngW = W.grad\nassert torch.allclose(gW, gW)\n"
    assert read_claim("code", ans(code, source="code"), PLAIN).value is False


def test_shape_input_named_after_the_tuple_is_skipped():
    q = QuestionSpec(id="e/1", section="e", number=1, claim="shape",
                     params={"target": "vecs", "snippet": "t = torch.randint(0, 9, size=(2, 3))\ne = nn.Embedding(9, embedding_dim=4)\n"})
    text = "vecs.shape == (2, 3, 4): every token of the (2, 3) input becomes a 4-vector."
    assert read_claim("shape", ans(text), q).value == [2, 3, 4]


def test_a_line_repeating_the_question_is_not_read_as_the_answer():
    from auditor.claims.read import read_claim
    from auditor.models import Answer, QuestionSpec, Segment

    q = QuestionSpec(id="inline/2", section="inline", number=2, claim="verdict",
                     phrases=("Inline Question 2 - True or False",))
    for text, value in (('"Inline Question 2 - True or False."\n\ntrue, the loss can stay the same', "true"),
                        ("**Inline Question 2 - True or False**\nFalse.", "false"), ("true", "true")):
        got = read_claim("verdict", Answer("inline/2", True, (Segment(3, text, "markdown"),)), q)
        assert got.readable and got.value == value, text
