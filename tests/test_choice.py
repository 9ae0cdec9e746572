"""The selection claim kind ("choice") and its check (choice_selection), on phrasings written here."""
import pytest

from auditor.claims.choice_options import options_from_text, parse_option
from auditor.claims.read import read_claim
from auditor.judge.registry import get_check, run_check
from auditor.models import Answer, QuestionSpec, Segment, Status, freeze

NUM3 = ["1. Tanh", "2. Softplus", "3. Hard tanh"]
NUM4 = [1, 2, 3, "4. None of the above."]
LET = ["a", "b", "c", "d"]
ROM = ["(i) 2.5", "(ii) 7.5", "(iii) 12.5", "(iv) 20.5"]


def question(options=None, key=None, contested=False, **params):
    if options is not None:
        params["options"] = options
    return QuestionSpec(id="s/1", section="s", number=1, claim="choice", check="choice_selection",
                        params=freeze(params), key=key, contested=contested, points=2.0)


def answer(text, answered=True):
    return Answer("s/1", answered, (Segment(4, text, "markdown"),) if answered else ())


def read(text, q):
    return read_claim("choice", answer(text), q)


@pytest.mark.parametrize("text, options, value", [
    ("1, 2, 3", NUM4, [1, 2, 3]),
    ("No.1 No.2 No.3", NUM4, [1, 2, 3]),
    ("- 1, 2, 3", NUM4, [1, 2, 3]),
    ("(a) and (c)", LET, ["a", "c"]),
    ("ii, iv", ROM, ["ii", "iv"]),
    ("2 and 4 are true", [1, 2, 3, 4], [2, 4]),
    ("[1 3]", NUM4, [1, 3]),
    ("(iii)(iv)", ROM, ["iii", "iv"]),
    ("My answer: b", LET, ["b"]),
    ("I choose (ii) & (iii) because the bound holds", ROM, ["ii", "iii"]),
    ("only 2. The others keep a gradient.", NUM3, [2]),
    ("The answer is c.", LET, ["c"]),
    ("3\nExplanation: 1 and 2 add capacity", NUM4, [3]),
    ("1, 3 reduce it.\nReason: 2. would add capacity", NUM4, [1, 3]),
    ("1 and 2, not 3", NUM4, [1, 2]),
    ("all of the above", ["a", "b", "c"], ["a", "b", "c"]),
    ("all except 2", [1, 2, 3, 4], [1, 3, 4]),
    ("none", NUM4, [4]),            # the "None of the above" option
    ("None.", NUM3, []),            # no such option: the empty selection
    ("None.", [1, 2, 3], None),     # no option's words known: one of them may say "none": review
    ("Tanh and Hard tanh saturate.", NUM3, [1, 3]),   # longest name first: "Hard tanh" is not "tanh"
    ("Softplus, but not Tanh.", NUM3, [2]),
    ("Tanh saturates while Softplus keeps a gradient.", NUM3, None),  # names not joined in one list: review
    ("7.5", ROM, ["ii"]),           # the option's value
    ("Tanh和Hard tanh会饱和，Softplus不会。", NUM3, [1, 3]),          # no spaces between sentences; 不 negates
    ("Tanh and Softplus saturate.For Tanh, large |x| does it.", NUM3, [1, 2]),   # no space after the stop
    ("Write your answer in this cell: (iii)", ROM, ["iii"]),        # a kept placeholder, then the selection
    ("37%", ["(i) is equal to ____", "(ii) cannot be found"], ["i"]),  # the option with a blank, filled in
    ("cannot be found", ["(i) is equal to ____", "(ii) cannot be found"], ["ii"]),
    ("1. True 2. False 3. True 4. False", [1, 2, 3, 4], [1, 3]),      # verdicts on one line
    ("1 is true, 2 is false, 3 is true", [1, 2, 3, 4], [1, 3]),
    ("a) correct b) wrong c) correct", LET, ["a", "c"]),
    ("The correct answers are 2 and 4.", [1, 2, 3, 4], [2, 4]),
    ("Both (i) and (iii)", ROM, ["i", "iii"]),
    ("3 is false", NUM4, None),                                       # says what is NOT selected only
    ("1, 3\n1. more data helps\n2. more units add capacity\n3. decay helps", NUM4, [1, 3]),  # list, then reasons
    ("1.2. both add capacity", NUM4, None),                          # a dotted number is not two labels
    ("3.\n1. adds data\n2. adds capacity", NUM4, [3]),
    ("1.\n3.", NUM4, [1, 3]),                                       # bare labels, one per line
    ("I think (iii).", ROM, ["iii"]),
    ("Ans. 3", NUM4, [3]),
    ("2 & 4 are correct, 1 is wrong", [1, 2, 3, 4], [2, 4]),
    ("1-3", [1, 2, 3, 4], [1, 2, 3]),
    ("(a) to (c)", LET, ["a", "b", "c"]),
    ("2-layer nets are enough", NUM4, None),                        # a compound word, not a label
    ("[x] 1\n[ ] 2\n[x] 3", [1, 2, 3], [1, 3]),                      # ticked boxes
    ("- [x] Tanh\n- [ ] Softplus\n- [x] Hard tanh", NUM3, [1, 3]),
])
def test_selections_as_written(text, options, value):
    claim = read(text, question(options))
    assert (claim.value if claim.readable else None) == value, claim


@pytest.mark.parametrize("variant", [
    "1,3", " 1 , 3 ", "**1, 3**", "*1 and 3*", "1 & 3", "$1, 3$", "1; 3", "Answer: 1, 3", "1 and 3.", "1/3",
])
def test_formatting_does_not_change_the_reading(variant):
    assert read(variant, question(NUM4)).value == [1, 3]


def test_labels_outside_the_options_are_not_selections():
    assert not read("7 and 9", question(NUM4)).readable
    assert read("e", question(LET)).readable is False


def test_a_word_is_not_a_letter_label():
    assert not read("a larger dataset helps", question(LET)).readable
    assert not read("I think so", question(["g", "h", "i"])).readable


def test_per_option_verdict_list_uses_the_selected_wording():
    text = "1. will not change\n2. may change - the mean moves\n3. will not change\n4. may change"
    assert read(text, question([1, 2, 3, 4], selected_verdict="may change")).value == [2, 4]
    assert read(text, question([1, 2, 3, 4], selected_verdict="will not change")).value == [1, 3]
    assert read("a) true\nb) false\nc) True, since ...", question(["a", "b", "c"])).value == ["a", "c"]


def test_a_verdict_list_without_the_selected_wording_is_review():
    text = "1. will not change\n2. may change\n3. will not change\n4. may change"
    for q in (question([1, 2, 3, 4]), question(key=[2, 4])):
        claim = read(text, q)
        assert not claim.readable and "selected_verdict" in claim.notes[0]


def test_numbered_explanations_select_their_labels_unless_they_cover_every_option():
    assert read("1. saturates for large |x|\n2. dies for x < 0", question(NUM3)).value == [1, 2]
    claim = read("1. saturates\n2. dies\n3. small slope", question(NUM3))
    assert not claim.readable and "every option" in claim.notes[0]


def test_negation_after_a_name_excludes_it():
    assert read("Tanh and Hard tanh saturate, Softplus does not.", question(NUM3)).value == [1, 3]


@pytest.mark.parametrize("text", ["not sure, maybe 1 and 3", "either 1 or 3", "1 or 3?", "1 and 3?"])
def test_hedges_go_to_review_with_the_reason(text):
    q = question(NUM4, key=[1, 3])
    claim = read(text, q)
    out = run_check(get_check("choice_selection"), question=q, answer=answer(text), claim=claim)
    assert out.status == Status.REVIEW
    assert "hedge" in out.message or "hedge" in " ".join(claim.notes)


def test_options_from_question_text():
    text = "Which of these saturate? Select all that apply.\n1. Tanh\n2. Softplus\n3. Hard tanh\n\nAnswer:"
    assert [o.label for o in options_from_text(text)] == [1, 2, 3]
    assert options_from_text("(i) is equal to ___\n\n(ii) cannot be found")[1].text == "cannot be found"
    assert [o.label for o in options_from_text("a) one\nb) two\nc) three")] == ["a", "b", "c"]
    assert options_from_text("1. only one line") == ()
    assert parse_option("(iii) greater than 0.9").label == "iii" and parse_option(2).label == 2


def judge(text, key, answered=True, **params):
    q = question(params.pop("options", NUM4), key=key, contested=params.pop("contested", False), **params)
    a = answer(text, answered)
    claim = read_claim("choice", a, q) if answered else None
    return run_check(get_check("choice_selection"), question=q, answer=a, claim=claim)


def test_check_reports_missing_and_extra_options():
    assert judge("1, 3", [1, 3]).status == Status.PASS
    out = judge("1, 2", [1, 3])
    assert out.status == Status.FAIL and out.details["missing"] == [3] and out.details["extra"] == [2]
    assert "missing [3]" in out.message and "extra [2]" in out.message
    assert judge("1, 2", [1, 3], contested=True).status == Status.REVIEW
    assert judge("", [1, 3], answered=False).status == Status.UNANSWERED
    assert judge("the first two", [1, 3]).status == Status.REVIEW
    assert judge("1, 3", None).status == Status.REVIEW
    assert judge("1, 3", "TODO").status == Status.REVIEW


def test_single_choice_and_keys_written_as_one_label():
    assert judge("(ii)", "ii", options=ROM, select="one").status == Status.PASS
    out = judge("(ii) and (iii)", "ii", options=ROM, select="one")
    assert out.status == Status.FAIL and "asks for one" in out.message
    assert judge("(ii) and (iii)", ["ii", "iii"], options=ROM, select="one").status == Status.PASS  # the key decides


def test_partial_credit_is_the_specs_choice():
    assert "credit" not in judge("1", [1, 3]).details
    assert judge("1", [1, 3], partial_credit="proportional").details["credit"] == 0.5
    assert judge("1, 2", [1, 3], partial_credit="proportional").details["credit"] == 0.0
    assert judge("1, 3", [1, 3], partial_credit="proportional").status == Status.PASS


def test_spec_errors_are_errors_not_the_students_fault():
    assert judge("1", [1], select="some").status == Status.ERROR
    assert judge("a", ["a"], options=NUM4).status == Status.ERROR


@pytest.mark.parametrize("blank", ["______", "\\_\\_\\_\\_", "___ percent", "__________________________."])
def test_init_keeps_the_option_with_a_blank_so_a_filled_in_value_selects_it(blank):
    from auditor.assignment.proposals import propose_for_text

    long = "cannot be found with the information given in the article above"
    text = f"Pick one of the options (i) and (ii); if (i), fill in the blank.\n\n(i) is equal to {blank}\n\n(ii) {long}."
    got = propose_for_text(text)
    assert got.claim == "choice" and got.params["options"][1] == "ii"
    assert got.params["options"][0].startswith("i. is equal to ___")
    q = QuestionSpec(id="q/2", section="q", number=2, claim="choice", params=got.params)
    for answer, picked in (("56%", ["i"]), ("$ 56\\% $", ["i"]), ("(ii)", ["ii"])):
        claim = read_claim("choice", Answer("q/2", True, (Segment(3, answer, "markdown"),), "own-cell"), q)
        assert claim.readable and claim.value == picked, answer


_FOUR = ["1. Train on a larger dataset.", "2. Add more hidden units.", "3. Increase the regularization strength.",
         "4. None of the above."]


def _pick(text: str):
    q = QuestionSpec(id="inline/3", section="inline", number=3, claim="choice",
                     params=freeze({"options": _FOUR, "select": "many"}))
    c = read_claim("choice", Answer("inline/3", True, (Segment(5, text, "markdown"),), "own-cell"), q)
    return c.value if c.readable and not (c.extra or {}).get("hedged") else None


@pytest.mark.parametrize("text", [
    "1, 3", "1 3", "1 & 3", "[1, 3]", "(1)(3)", "No.1 No.3", "- 1, 3", "Statements 1 and 3 are correct.",
    "1，3", "1、3", "（1）（3）", "①③", "① ③", "1. True\n2. False\n3. True\n4. False",
    "1 ✓ 2 ✗ 3 ✓ 4 ✗", "1 ✓\n2 ✗\n3 ✓\n4 ✗", "1. Train on a larger dataset ✓\n2. Add more hidden units ✗\n"
    "3. Increase the regularization strength ✓", "- [x] 1\n- [ ] 2\n- [x] 3\n- [ ] 4", "☑ 1 ☐ 2 ☑ 3 ☐ 4",
])
def test_selection_formats_read_the_same(text):
    assert _pick(text) == [1, 3]


@pytest.mark.parametrize("text", [
    "1 ✓ 2 ✗ 3 ✓ ✓",              # a tick with no option of its own
    "✓ 1. Sigmoid ✓",             # a tick on each side of one option
    "1 or 3", "Not sure, maybe 1 and 3",
])
def test_tick_marks_or_hedges_that_cannot_be_told_go_to_review(text):
    assert _pick(text) is None


@pytest.mark.parametrize("wording,verdict", [
    ("Which of these changes will change the final output?", "will change"),
    ("Which of the following **will not change** the loss?", "will not change"),
    ("Which of these\ndoes not reduce overfitting?", "does not reduce"),
    ("Which activation functions can suffer from this problem?", "can suffer"),
    ("Which of the following is true?", None),
    ("Which of the following statements are true?", None),
    ("Which options will be the same?", None),
])
def test_init_proposes_what_a_selected_option_does(wording, verdict):
    from auditor.assignment.proposals import propose_for_text

    got = propose_for_text(f"{wording} Select all that apply.\n\n1. first\n2. second\n3. third\n4. fourth\n")
    assert got.claim == "choice" and got.params.get("selected_verdict") == verdict


def _with_verdict(text: str, verdict: str | None):
    params = {"options": [1, 2, 3, 4], "select": "many"}
    if verdict:
        params["selected_verdict"] = verdict
    q = QuestionSpec(id="inline/2", section="inline", number=2, claim="choice", params=freeze(params))
    c = read_claim("choice", Answer("inline/2", True, (Segment(5, text, "markdown"),), "own-cell"), q)
    return c.value if c.readable else None


@pytest.mark.parametrize("text", [
    "1. will not change\n2. will change\n3. will not change\n4. may change",
    "1 - won't change, 2 - changes, 3 - won't change, 4 - changes",
    "1: doesn't change; 2: changes; 3: no change; 4: changed",
    "1. No\n2. Yes\n3. No\n4. Yes",
])
def test_per_option_predicates_follow_the_asked_verdict(text):
    assert _with_verdict(text, "will change") == [2, 4]
    negated = _with_verdict(text, "will not change")
    # yes/no answer the question itself: the asked verb's negation does not flip them
    assert negated == ([2, 4] if "Yes" in text else [1, 3])


def test_per_option_predicates_without_the_asked_verdict_go_to_review():
    assert _with_verdict("1 - won't change, 2 - changes, 3 - won't change, 4 - changes", None) is None
    assert _with_verdict("1. will not change\n2. will change\n3. will not change\n4. may change", None) is None


@pytest.mark.parametrize("text, asked, value", [
    # a list followed (or preceded) by the opposite of the asked wording names what is NOT selected
    ("2 and 4 will not change it", "will change", [1, 3]),
    ("Options 2, 4 won't change the output.", "will change", [1, 3]),
    ("The ones that stay the same are 2, 4", "will change", None),      # other words: neither wording
    ("Those that will change are 1 and 3", "will change", [1, 3]),
    ("Those that will not change are 1 and 3", "will change", [2, 4]),
    ("1 and 3 will change; 2 and 4 will not", "will change", [1, 3]),
    ("1, 3. They will not change much otherwise", "will change", [1, 3]),  # a new sentence: an explanation
    ("1\n3", "will change", [1, 3]),                                         # one label per line
    ("- 1\n- 3\n4 is close", "will change", [1, 3]),
])
def test_a_list_is_read_against_the_asked_wording(text, asked, value):
    assert _with_verdict(text, asked) == value


def test_the_opposite_wording_on_a_single_choice_is_review():
    q = QuestionSpec(id="inline/2", section="inline", number=2, claim="choice",
                     params=freeze({"options": [1, 2, 3], "select": "one", "selected_verdict": "will change"}))
    c = read_claim("choice", Answer("inline/2", True, (Segment(5, "1 and 2 will not change it", "markdown"),), "own-cell"), q)
    assert not c.readable and "opposite" in c.notes[0]


@pytest.mark.parametrize("text, value", [
    ("选择1，2，3", [1, 2, 3]),
    ("我选2和4", [2, 4]),
    ("答案是1,2,3", [1, 2, 3]),
    ("1, 2, 3 ✓", [1, 2, 3]),            # one mark after a whole list: the list, not option 3 alone
    ("1-F, 2-T, 3-F, 4-T", [2, 4]),
    ("1: T\n2: F\n3: T\n4: F", [1, 3]),
    ("2-layer nets", None),
])
def test_more_ways_to_write_a_selection(text, value):
    assert _with_verdict(text, None) == value


@pytest.mark.parametrize("text, value", [
    ("The second and the fourth", [2, 4]),
    ("second and fourth statements", [2, 4]),
    ("the first one", [1]),
    ("First, I think 2 and 4", None),       # an ordinal in a sentence is not a label
])
def test_a_line_of_ordinals_names_numbered_options(text, value):
    assert _with_verdict(text, None) == value
