"""Copied answers: word 8-gram overlap per question, template phrases ignored."""
from __future__ import annotations

from auditor.batch.copies import answers_from_results, find_copied_pairs, shingles, words

BASE = ("the discriminator learns to tell real images from generated ones while the generator learns to fool "
        "it so the two losses pull against each other and training can oscillate")
OTHER = ("mode collapse happens when the generator maps many latent codes to a handful of outputs that "
         "already fool the current discriminator well enough")
TEMPLATE = "explain in your own words why training generative adversarial networks is considered hard and unstable"


def test_words_and_shingles():
    assert words("Hello, World! x_1 2.5") == ["hello", "world", "x", "1", "2", "5"]
    assert len(shingles("a b c d e f g h i")) == 2
    assert shingles("too short") == frozenset()


def test_pair_found_with_questions_involved():
    answers = {
        "s1": {"gan/1": BASE, "gan/2": OTHER},
        "s2": {"gan/1": BASE.replace("oscillate", "diverge"), "gan/2": OTHER},
        "s3": {"gan/1": "a short different answer about something else entirely here", "gan/2": "no idea at all"},
    }
    pairs = find_copied_pairs(answers)
    assert len(pairs) == 1
    p = pairs[0]
    assert (p.a, p.b) == ("s1", "s2")
    assert 0.9 < p.overlap < 1.0 and p.containment > 0.9
    assert {q.question for q in p.questions} == {"gan/1", "gan/2"}
    assert next(q for q in p.questions if q.question == "gan/2").overlap == 1.0


def test_same_text_under_different_questions_does_not_match():
    pairs = find_copied_pairs({"s1": {"gan/1": BASE}, "s2": {"gan/2": BASE}})
    assert pairs == []


def test_phrases_most_of_the_class_shares_are_ignored():
    # everyone pasted the question's text; only the real answers differ
    answers = {f"s{i}": {"gan/1": TEMPLATE + f" answer number {i} " + " ".join(f"w{i}x{j}" for j in range(12))}
               for i in range(10)}
    assert find_copied_pairs(answers) == []
    answers["s0"]["gan/1"] = answers["s1"]["gan/1"]  # a real copy on top of the template
    pairs = find_copied_pairs(answers)
    assert [(p.a, p.b) for p in pairs] == [("s0", "s1")]


def test_short_answers_are_not_flagged():
    assert find_copied_pairs({"s1": {"q": "the answer is clearly true because of it"},
                              "s2": {"q": "the answer is clearly true because of it"}}) == []


def test_answers_from_results_prefers_full_text():
    res = {"questions": [{"id": "q1", "answer_excerpt": "short", "answer_text": "the full text"},
                         {"id": "q2", "answer_excerpt": "only excerpt"}, {"id": "q3", "answer_excerpt": ""}]}
    assert answers_from_results([("s", res)]) == {"s": {"q1": "the full text", "q2": "only excerpt"}}


def _brute_force_shared(answers, n=8):
    """Reference: shared shingles per pair, by set intersection per question (no index)."""
    sh = {sid: {q: shingles(t, n) for q, t in qs.items()} for sid, qs in answers.items()}
    out = {}
    ids = sorted(sh)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            total = sum(len(sh[a][q] & sh[b].get(q, frozenset())) for q in sh[a])
            if total:
                out[(a, b)] = total
    return out


def test_shared_counts_match_a_brute_force_count_with_several_copies_of_one_text():
    # three exact copies, one partial copy, one unrelated: shingles held by the same submissions
    # are counted together; the counts must equal plain set intersections
    partial = " ".join(words(BASE)[:14]) + " then something else follows in this answer of its own making"
    answers = {
        "a": {"gan/1": BASE, "gan/2": OTHER},
        "b": {"gan/1": BASE, "gan/2": OTHER},
        "c": {"gan/1": BASE, "gan/2": OTHER},
        "d": {"gan/1": partial, "gan/2": "nothing copied here at all, this is written by the student alone"},
        "e": {"gan/1": TEMPLATE, "gan/2": OTHER[::-1]},
    }
    expected = _brute_force_shared(answers)
    got = {(p.a, p.b): p.shared for p in find_copied_pairs(answers, min_containment=0.0, min_shared=1,
                                                             max_share=1.0, min_common=10)}
    assert got == expected
    assert got[("a", "b")] == got[("a", "c")] == got[("b", "c")] == len(shingles(BASE)) + len(shingles(OTHER))
    assert ("a", "d") in got and got[("a", "d")] == len(shingles(BASE) & shingles(partial))


def test_prepare_computes_a_results_shingles_ahead_and_changes_nothing():
    result = {"questions": [{"id": "gan/1", "answer_text": BASE + " prepared ahead"},
                            {"id": "gan/2", "answer_excerpt": OTHER + " prepared too"}, {"id": "gan/3"}]}
    shingles.cache_clear()
    from auditor.batch.copies import prepare

    prepare(result)
    assert shingles.cache_info().currsize == 2
    before = shingles.cache_info().hits
    answers = answers_from_results([("s1", result), ("s2", result)])
    pairs = find_copied_pairs(answers)
    assert shingles.cache_info().hits >= before + 4      # both submissions' texts came from the memo
    assert [(p.a, p.b, p.overlap) for p in pairs] == [("s1", "s2", 1.0)]
