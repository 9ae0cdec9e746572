"""Answer groups: identical claims together, near-identical text together, splits, the TA's order."""
from __future__ import annotations

from auditor.review.classdata import answer_hash, AnswerItem
from auditor.review.grouping import NEAR_DUPLICATE_JACCARD, grading_actions, group_answers, jaccard, normalise, shingles

PROSE = ("The stride is the step between two positions of the filter, so a larger stride skips positions "
         "and the output gets smaller along each spatial axis by about the stride")


def item(file, text="", status="manual", claimed=None, question="q/1"):
    return AnswerItem(submission=file, file=file, student_id=file, assignment="spec", question=question,
                      status=status, check="answered", claimed=claimed, expected=None, message="", evidence="",
                      excerpt=text, text=text, hash=answer_hash(text), points=0, max_points=1, html=None)


def files(groups):
    return [sorted(g.files) for g in groups]


def test_normalise_is_formatting_invariant():
    a = normalise("**Answer:** The  stride\n is the *step*.")
    assert a == normalise("answer: the stride is the step") == "answer the stride is the step"
    assert normalise("$q = 0.28$") == normalise("q = 0.28")


def test_identical_claims_group_whatever_the_wording():
    groups = group_answers([item("a", "It is 54x54.", "fail", 54), item("b", "r = 54", "fail", 54),
                            item("c", "26", "pass", 26), item("d", "54 pixels", "fail", 54.0)])
    assert files(groups) == [["a", "b", "d"], ["c"]]
    assert groups[0].label == "claimed 54" and groups[0].status == "fail"


def test_near_identical_prose_together_different_prose_apart():
    edited = PROSE.replace("larger", "bigger")            # one word changed
    reformatted = "**Answer:** " + PROSE.upper() + "."      # case and markdown only
    other = "Stride controls downsampling; padding keeps the size. Output = (n + 2p - k) / s + 1."
    groups = group_answers([item("a", PROSE), item("b", edited), item("c", reformatted), item("d", other)])
    assert files(groups) == [["a", "b", "c"], ["d"]]
    assert groups[0].label == "near-identical text"
    assert jaccard(shingles(normalise(PROSE)), shingles(normalise(edited))) >= NEAR_DUPLICATE_JACCARD


def test_threshold_is_the_stated_one():
    words = PROSE.split()
    half = " ".join(words[: len(words) // 2] + ["unrelated"] * (len(words) // 2))
    sim = jaccard(shingles(normalise(PROSE)), shingles(normalise(half)))
    assert sim < NEAR_DUPLICATE_JACCARD
    assert len(group_answers([item("a", PROSE), item("b", half)])) == 2
    assert len(group_answers([item("a", PROSE), item("b", half)], threshold=sim)) == 1


def test_blank_answers_form_one_group_and_come_last():
    groups = group_answers([item("a", "", "unanswered"), item("b", PROSE), item("c", "", "unanswered")])
    assert files(groups) == [["b"], ["a", "c"]]
    assert groups[1].kind == "blank"


def test_order_fail_review_manual_pass():
    groups = group_answers([item("p", "ok", "pass", 26), item("m", PROSE), item("r", "maybe", "review", "hedged"),
                            item("f", "18", "fail", 18)])
    assert [g.status for g in groups] == ["fail", "review", "manual", "pass"]


def test_a_split_makes_its_own_group():
    items = [item("a", PROSE), item("b", PROSE), item("c", PROSE)]
    assert files(group_answers(items)) == [["a", "b", "c"]]
    assert files(group_answers(items, {"b": 1})) == [["a", "c"], ["b"]]
    keys = {g.key for g in group_answers(items, {"b": 1})}
    assert len(keys) == 2


def test_grading_actions_counts_only_manual_and_review():
    items = [item("a", PROSE), item("b", PROSE), item("c", "other text entirely here"),
             item("d", "maybe", "review", "hedged"), item("e", "maybe so", "review", "hedged"),
             item("f", "26", "pass", 26), item("g", "", "unanswered"),
             item("a", PROSE, question="q/2")]
    c = grading_actions(items)
    assert (c.items, c.groups, c.questions) == (6, 4, 2)
    assert round(c.saved, 3) == round(1 - 4 / 6, 3)
