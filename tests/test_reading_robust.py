"""Robust reading, one class of failure at a time, on phrasings written for these tests.

Item labels in any style, emphasis and LaTeX around the verdict, a verdict judged from a
proposal, hedges, shapes relative to the input, numbers inside derivations, confidence
discipline, and the formatting perturbations of tests/perturb.py applied to all of them.
"""
from __future__ import annotations

import pytest

from auditor.claims.confidence import THRESHOLD, gate
from auditor.claims.read import read_claim
from auditor.models import Answer, Claim, Outcome, QuestionSpec, Segment, Status
from tests.perturb import perturbations, relabel, LABEL_STYLES

STATEMENT = QuestionSpec(id="s/2.1", section="s", number=2, sub=1, claim="verdict",
                         phrases=("momentum always converges faster than plain gradient descent",))
SECOND = QuestionSpec(id="s/2.2", section="s", number=2, sub=2, claim="verdict", phrases=("a wider layer never overfits",))
PROPOSAL = QuestionSpec(id="s/3", section="s", number=3, claim="yesno", phrases=("A classmate proposes",))
SHAPE = QuestionSpec(id="s/4", section="s", number=4, claim="shape",
                     params={"snippet": "idx = torch.randint(0, 9, size=(3, 4, 5))\nemb = nn.Embedding(9, embedding_dim=300)\n"})
SHAPE_UNKNOWN = QuestionSpec(id="s/4", section="s", number=4, claim="shape")
NUMBER = QuestionSpec(id="s/5", section="s", number=5, claim="number")


def ans(text: str, qid: str = "s/1") -> Answer:
    return Answer(qid, True, (Segment(3, text, "markdown"),))


def read(q: QuestionSpec, text: str) -> Claim:
    return read_claim(q.claim, ans(text, q.id), q)


# ----------------------------------------------------------------- item labels, emphasis, LaTeX
@pytest.mark.parametrize("text, want", [
    ("2.A False, the step size matters as well.", "false"),
    ("A - True, with a well tuned step.", "true"),
    ("a) true", "true"),
    ("(a) False: not on every surface.", "false"),
    ("**A.** true", "true"),
    ("A: FALSE - it can oscillate.", "false"),
    ("$\\text{True}$", "true"),
    ("\\textbf{False}, an ill-conditioned bowl slows it down.", "false"),
    ("- *false*, see the counter-example below", "false"),
    ("F - the step size matters.", "false"),
    ("2.A. **TRUE**", "true"),
    ("This is a false statement, since momentum can overshoot.", "false"),
    ("Statement is False.", "false"),
    ("The answer would be true.", "true"),
    ("~~True~~ False", "false"),
    ("\u2717 False", "false"),
    ("(False) momentum overshoots.", "false"),
    ("[True] a tuned step wins.", "true"),
    ("<span style=\"color:red\">False</span>", "false"),
    ("**Explanation:** momentum overshoots.\n**Verdict:** False", "false"),
    ("Because momentum overshoots, I would say it's false.", "false"),
    ("Momentum overshoots in a ravine; false.", "false"),
    ("Momentum overshoots, which makes the claim false.", "false"),
    ("The claim does not hold: momentum overshoots.", "false"),
    ("The statement holds on a round bowl.", "true"),
    ("The statement is true in general but false for ill-conditioned problems.", "hedged"),
    ("\\textbf{$\\text{False}$}, it can oscillate.", "false"),
    ("**Answer:** 2.A False, it can oscillate.", "false"),
    ("B.\n**Answer:** A. True", "true"),
    ("therefore, ***false***.", "false"),
    ("**1**. true, it converges.", "true"),
    ("2.\r\n **False**, it can oscillate.\r\n", "false"),
    ("A.\u00a0True", "true"),
    ("Answer: F (momentum overshoots)", "false"),
])
def test_verdict_after_a_label_in_any_style(text, want):
    assert read(STATEMENT, text).value == want


def test_a_function_name_is_no_verdict_letter():
    assert not read(STATEMENT, "F (x) is convex on the whole domain.").readable


def test_a_list_of_labelled_verdicts_answers_each_statement_by_order():
    text = "A - False, it can oscillate.\nB - True, it memorises the data.\nC - True."
    assert read(SECOND, text).value == "true"
    assert read(STATEMENT, text).value == "false"


def test_a_restated_statement_before_the_verdict_is_not_the_verdict():
    text = "Momentum always converges faster than plain gradient descent.\n\nFalse, it can oscillate."
    assert read(STATEMENT, text).value == "false"
    inline = "Momentum always converges faster than plain gradient descent - False, it can oscillate."
    assert read(STATEMENT, inline).value == "false"
    assert read(STATEMENT, inline.replace(" - ", ": ")).value == "false"


def test_a_restated_statement_with_a_contradicted_verdict_goes_to_review():
    text = "Momentum always converges faster than plain gradient descent - this is true only on some surfaces.\n\nFalse."
    c = read(STATEMENT, text)
    assert c.value == "false" or c.confidence < THRESHOLD


# ----------------------------------------------------------------- judging a proposal
@pytest.mark.parametrize("text, want", [
    ("The classmate is not correct: the new activation saturates as well.", "no"),
    ("It can help a little, but it will not solve the problem.", "no"),
    ("It won't.", "no"),
    ("Although the change helps somewhat, it does not fix the flat loss.", "no"),
    ("Swapping the activation doesn't really help here.", "no"),
    ("I think the suggestion is wrong.", "no"),
    ("Yes, the swap will solve the problem because the slope stays large.", "yes"),
    ("The proposal is right: it fixes the flat loss.", "yes"),
    ("It would fix it. Other tricks, such as a new optimiser, would not solve it.", "yes"),
])
def test_yes_no_decided_by_negation_and_contrast(text, want):
    assert read(PROPOSAL, text).value == want


SWITCH = QuestionSpec(id="s/6", section="s", number=6, claim="yesno", phrases=("switch the sigmoid units to softsign",))


@pytest.mark.parametrize("text, want", [
    ("Not at all; the same flat gradient appears.", "no"),
    ("Incorrect.", "no"),
    ("Correct, softsign solves it.", "yes"),
    ("The change would not make a difference.", "no"),
    ("Softsign is not a solution, the problem remains.", "no"),
    ("I disagree with the friend.", "no"),
    ("I agree with the friend: it solves the flat loss.", "yes"),
    ("It will not.", "no"),
])
def test_yes_no_more_judgements(text, want):
    assert read(SWITCH, text).value == want


def test_a_remedy_judged_for_something_else_is_no_cue():
    assert not read(SWITCH, "A residual layer would be the solution.").readable
    assert not read(SWITCH, "Other activations, such as a rectifier, would solve it.").readable


def test_an_answer_turned_round_in_its_own_sentence_is_unsure():
    c = read(PROPOSAL, "Yes, but it will not solve the problem.")
    assert c.confidence < THRESHOLD and c.reason


def test_no_opinion_is_unreadable():
    assert not read(PROPOSAL, "Maybe, we would have to try it.").readable
    assert not read(PROPOSAL, "Yes and no.").readable


# ----------------------------------------------------------------- hedges
def test_a_verdict_qualified_by_its_opposite_is_hedged():
    c = read(STATEMENT, "False (it can also be true, see the explanation).")
    assert c.value == "hedged" and "also be true" in c.notes[0]


@pytest.mark.parametrize("text", ["True, arguably.", "False, depending on the step size.", "It is partially true.",
                                  "Mostly true, but it depends on the surface."])
def test_a_verdict_qualified_by_depends_or_arguably_goes_to_review(text):
    c = read(STATEMENT, text)
    assert c.value in ("true", "false") and c.confidence < THRESHOLD and "hedged" in c.reason


def test_an_exception_explained_after_the_verdict_is_review_not_a_second_verdict():
    c = read(STATEMENT, "False, it can be true only if the surface is a round bowl.")
    assert c.value == "false" and c.confidence < THRESHOLD
    assert read(STATEMENT, "True, though it could also be false.").value == "hedged"


def test_an_agreeing_or_unrelated_could_is_no_hedge():
    assert read(STATEMENT, "False. It could be slower on a ravine.").confidence == 1.0
    assert read(STATEMENT, "False, but the true gradient is noisy.").confidence == 1.0
    assert read(STATEMENT, "False, it may be a true minimum.").confidence == 1.0
    assert read(STATEMENT, "It overshoots. Therefore the answer is false, since the true minimum is missed.").value == "false"
    assert read(STATEMENT, "False. The order can also be swapped.").value == "false"


# ----------------------------------------------------------------- relative shapes
@pytest.mark.parametrize("text", [
    "The output has idx's shape with an extra dimension of 300.",
    "Its shape is the shape of X plus an extra dimension of size 300.",
    "out.shape == (*X.shape, 300)",
    "dim(X) x 300",
    "X.shape + (300,)",
    "The output keeps the input shape (3, 4, 5) with 300 appended.",
])
def test_shape_relative_to_the_input_resolves_against_the_question(text):
    text = text.replace("idx's", "X's")
    assert read(SHAPE, text).value == [3, 4, 5, 300]


def test_relative_shape_without_a_known_input_goes_to_review():
    c = read(SHAPE_UNKNOWN, "The output has X's shape with an extra dimension of 300.")
    assert not c.readable and "unknown" in c.notes[0]


def test_a_shape_ruled_out_is_not_the_claim():
    assert read(SHAPE, "The output is (3, 4, 5, 300), not (3, 4, 5).").value == [3, 4, 5, 300]


def test_an_explicit_output_shape_still_wins():
    assert read(SHAPE, "X has shape (3, 4, 5); the output is (3, 4, 5, 300).").value == [3, 4, 5, 300]


# ----------------------------------------------------------------- numbers in derivations
@pytest.mark.parametrize("text, want", [
    ("The field covers 21x21=441 pixels.", 441),
    ("21 x 21 = 1,441", 1441),
    ("so each output sees 3,025 inputs", 3025),
    ("$21\\times21=441$", 441),
    ("_21x21=441_", 441),
    ("The field is 21, found with jumps 1, 2, 4.", 21),
    ("The field grows 3, 5, 9, 21", 21),
    ("The field is 21, not 30.", 21),
    ("The field is 21 rather than 30", 21),
])
def test_number_of_a_derivation_is_read_whole(text, want):
    assert read(NUMBER, text).value == want


# ----------------------------------------------------------------- confidence discipline
def test_gate_turns_pass_and_fail_on_an_unsure_claim_into_review():
    unsure = Claim("verdict", "true", confidence=0.3, reason="hedged: 'it depends'")
    out = gate(Outcome(Status.PASS, expected="true", message="claimed 'true', as the key"), unsure)
    assert out.status is Status.REVIEW and "it depends" in out.message
    assert out.details["would_have_been"] == "pass"
    assert gate(Outcome(Status.FAIL), unsure).status is Status.REVIEW
    assert gate(Outcome(Status.UNANSWERED), unsure).status is Status.UNANSWERED
    sure = Claim("verdict", "true")
    assert gate(Outcome(Status.FAIL), sure).status is Status.FAIL


def test_readers_unsure_notes_lower_confidence():
    c = read(PROPOSAL, "He is right, it will fix it. However it will not fix it for deep nets, he is wrong.")
    assert c.confidence < THRESHOLD


# ----------------------------------------------------------------- the perturbation generator itself
def test_relabel_keeps_ordinals_and_labels_unlabelled_answers():
    assert relabel("1. True\n2. False", LABEL_STYLES["label-dash"], None, 2) == "A - True\nB - False"
    assert relabel("True", LABEL_STYLES["label-qualified"], 3, 2) == "2.C True"


@pytest.mark.parametrize("q, text", [
    (STATEMENT, "False. On an ill-conditioned bowl the momentum term overshoots."),
    (STATEMENT, "1. True, a well tuned step makes it faster."),
    (PROPOSAL, "No, the classmate is wrong: the swap will not fix the flat loss."),
    (PROPOSAL, "It can help a little, but it will not solve the problem."),
    (SHAPE, "The output has X's shape with an extra dimension of 300."),
    (SHAPE, "The output is (3, 4, 5, 300)."),
    (NUMBER, "The field is 21x21=441 pixels."),
])
def test_every_perturbation_keeps_the_claim(q, text):
    base = read(q, text)
    seen = 0
    for name, changed in perturbations(ans(text, q.id), q):
        got = read_claim(q.claim, changed, q)
        assert (got.readable, got.value) == (base.readable, base.value), (name, changed.text)
        seen += 1
    assert seen >= 10


# ----------------------------------------------------------------- probabilities
PROB = QuestionSpec(id="s/7", section="s", number=7, claim="probability")


@pytest.mark.parametrize("text, want", [
    ("q=35%", 0.35),
    ("q = 0.35 (35%)", 0.35),
    ("q ≈ 0.35", 0.35),
    ("$q \\approx 0.35$", 0.35),
    ("A. q = 0.35", 0.35),
    ("The equivalent dropout probability is 0.35.", 0.35),
    ("$$q = **1** - (1-p_1)(1-p_2) = **1** - **0.5** * **0.9** = 0.55$$", 0.55),
])
def test_probability_value_in_any_notation(text, want):
    assert read(PROB, text).value == pytest.approx(want)


def test_a_probability_that_is_not_q_is_not_read():
    assert not read(PROB, "The first probability is 0.1").readable


@pytest.mark.parametrize("text", ["T, F, F", "True; False; False.", "a) T b) F c) F", "**T**, **F**, **F**"])
def test_a_run_of_verdicts_on_one_line_answers_each_statement_by_order(text):
    assert read(STATEMENT, text).value == "true"
    assert read(SECOND, text).value == "false"
    third = QuestionSpec(id="s/2.3", section="s", number=2, sub=3, claim="verdict")
    assert read(third, "True, False").readable is False


def test_a_verdict_then_prose_is_no_run():
    assert read(SECOND, "False, true only when the step is small.").value == "false"


@pytest.mark.parametrize("text", ["Yes, partially.", "It depends on the depth, it will not fix deep nets."])
def test_a_hedged_yes_no_goes_to_review(text):
    c = read(PROPOSAL, text)
    assert c.readable and c.confidence < THRESHOLD and "hedged" in c.reason


def test_a_table_of_verdicts_answers_each_statement_by_row():
    table = "| Statement | Answer |\n|---|---|\n| 1 | True |\n| 2 | **False** |\n| 3 | F |"
    assert read(STATEMENT, table).value == "true"
    assert read(SECOND, table).value == "false"
    assert "in a table" in read(SECOND, table).notes[0]


# ----------------------------------------------------------------- causes: negation-aware
CAUSE = QuestionSpec(id="s/8", section="s", number=8, claim="cause")


@pytest.mark.parametrize("text, want", [
    ("The plateau is not caused by vanishing gradients but by a too high learning rate.", "other"),
    ("It is not exploding gradients; the gradients vanish through the squashing layers.", "vanishing"),
    ("The cause is NOT exploding gradients, it is vanishing gradients.", "vanishing"),
    ("No vanishing here, the gradients explode.", "exploding"),
])
def test_a_cause_ruled_out_is_no_cause(text, want):
    assert read(CAUSE, text).value == want
