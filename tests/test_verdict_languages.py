"""Verdict words beyond plain English (auditor.claims.verdict_words), on answers written for these tests.

Each language's true/false/correct/wrong/yes/no words read like the English ones: negation-aware,
in emphasis or glued to a leftover ``$``/LaTeX answer marker, and under every formatting
perturbation of tests/perturb.py.  CJK words are read only where they stand as the answer; a
word inside a sentence, an unlisted negation or a contradicted yes/no is not a verdict (review).
"""
from __future__ import annotations

import re

import pytest

from auditor.claims.confidence import THRESHOLD
from auditor.claims.read import read_claim
from auditor.models import Answer, Claim, QuestionSpec, Segment
from tests.perturb import perturbations

STATEMENT = QuestionSpec(id="s/4.1", section="s", number=4, sub=1, claim="verdict",
                         phrases=("a new training point can leave the total loss unchanged",))
PROPOSAL = QuestionSpec(id="s/5", section="s", number=5, claim="yesno", phrases=("A classmate proposes",))


def ans(text: str, qid: str = STATEMENT.id) -> Answer:
    return Answer(qid, True, (Segment(4, text, "markdown"),))


def read(text: str, q: QuestionSpec = STATEMENT) -> Claim:
    return read_claim(q.claim, ans(text, q.id), q)


READ = [
    # Chinese (simplified and traditional)
    ("对\n解释：新点的正确类分数足够高时，合页损失为零。", "true"),
    ("对，因为合页损失可以为零。", "true"),
    ("对的。合页损失可以为零。", "true"),
    ("正确\n合页损失可以为零。", "true"),
    ("是的，可以不变。", "true"),
    ("错。softmax 损失总是正的。", "false"),
    ("错误：softmax 损失总是正的。", "false"),
    ("不对，softmax 损失总是正的。", "false"),
    ("不正确。损失总是正的。", "false"),
    ("否。", "false"),
    ("錯誤。損失總是正的。", "false"),
    # Japanese, Korean
    ("はい、損失は変わらない。", "true"),
    ("いいえ。", "false"),
    ("네, 맞습니다.", "true"),
    ("틀림. 손실은 항상 양수입니다.", "false"),
    # Spanish, Portuguese, French, German, Italian
    ("Verdadero, porque la pérdida puede ser cero.", "true"),
    ("Falso: la pérdida siempre es positiva.", "false"),
    ("No es cierto, la pérdida siempre es positiva.", "false"),
    ("Sí, es posible.", "true"),
    ("Verdadeiro. A perda pode ser zero.", "true"),
    ("Não é verdade: a perda é sempre positiva.", "false"),
    ("Vrai, la perte peut rester nulle.", "true"),
    ("Ce n'est pas vrai : la perte est toujours positive.", "false"),
    ("Faux.", "false"),
    ("Richtig, der Verlust kann null bleiben.", "true"),
    ("Nicht richtig, der Verlust ist immer positiv.", "false"),
    ("Das ist falsch.", "false"),
    ("Vero, la perdita può restare zero.", "true"),
    ("Non è vero: la perdita è sempre positiva.", "false"),
    # yes / no as the verdict of a true/false question, alone on their line
    ("yes\nExplanation: the hinge loss of a well separated point is zero.", "true"),
    ("No\nbecause the loss of any point is positive.", "false"),
    # a word in the middle of the explanation does not flip the opening verdict
    ("True. 这是因为合页损失可以是零。", "true"),
    ("True, there is no change in the total loss.", "true"),
    ("Falso. No hay forma de que la pérdida sea cero.", "false"),
    ("对。No change in the hinge loss.", "true"),
    ("False: yes, the softmax loss of every point is positive.", "false"),
]


@pytest.mark.parametrize("text, want", READ)
def test_verdict_words_of_other_languages(text, want):
    c = read(text)
    assert (c.readable, c.value) == (True, want), c
    assert c.span is not None and c.span.text in text


# the opening word in emphasis, glued to what is left of a LaTeX answer marker, labelled, upper case
WRAPS = {
    "bold": "**{}**", "italic": "*{}*", "underscore": "_{}_", "html-bold": "<b>{}</b>",
    "dollar": "${}", "dollar-italic": "$*{}*", "brace-dollar": "}}${}",
    "latex-marker": "$\\color{{blue}}{{\\textit Your Answer:}}${}", "latex-text": "$\\text{{{}}}$",
    "answer-marker": "**Answer:** {}", "label": "A. {}", "chinese-marker": "答：{}",
}


def _first_word(text: str) -> tuple[int, int]:
    m = re.match(r"[^\s,.:;，。：、]+", text)
    return m.start(), m.end()


@pytest.mark.parametrize("text, want", READ)
def test_verdict_words_read_in_any_form(text, want):
    a, b = _first_word(text)
    for name, wrap in WRAPS.items():
        changed = text[:a] + wrap.format(text[a:b]) + text[b:]
        c = read(changed)
        assert (c.readable, c.value) == (True, want), (name, changed, c)
    upper = text[:a] + text[a:b].upper() + text[b:]
    assert read(upper).value == want


@pytest.mark.parametrize("text, want", READ)
def test_verdict_words_keep_their_reading_under_every_perturbation(text, want):
    seen = 0
    for name, changed in perturbations(ans(text), STATEMENT):
        c = read_claim("verdict", changed, STATEMENT)
        assert (c.readable, c.value) == (True, want), (name, changed.text)
        seen += 1
    assert seen >= 10


NOT_READ = [
    "这是因为新点的损失是零。",                 # 是 inside a sentence
    "对于 SVM 来说，新点可以不改变损失。",       # 对 as "towards / for"
    "对 SVM 来说可以不改变。",                  # 对 then more words, no stop
    "是因为合页损失可以为零。",                  # 是 opening a longer run
    "不错，损失可以为零。",                      # 不错 ("not bad"): negation not read reliably
    "不完全对。",                               # a negation not in the table
    "正しくない。",
    "맞지 않습니다.",
    "Richtig ist, dass der Verlust null sein kann.",   # an adverb, not a verdict
    "richtig nicht, der Verlust ist positiv",          # a negation after the word
    "No true margin exists for this point.",           # "no" before an English word
    "The loss is no longer positive for this point.",  # "no" in the middle
    "Si la marge est grande, la perte est nulle.",     # "si" = "if"
]


@pytest.mark.parametrize("text", NOT_READ)
def test_words_that_do_not_stand_as_the_answer_are_not_verdicts(text):
    c = read(text)
    assert not c.readable, c
    for name, changed in perturbations(ans(text), STATEMENT):
        assert not read_claim("verdict", changed, STATEMENT).readable, (name, changed.text)


@pytest.mark.parametrize("text", ["No, it is true.", "Yes, it is false for a well separated point.",
                                  "No, but it is true in practice.", "否，这是正确的。", "是，但这是错的。",
                                  "Sí, es falso.", "아니요, 참입니다.", "yes, **False**."])
def test_a_yes_or_no_contradicted_in_its_own_sentence_is_hedged(text):
    assert read(text).value == "hedged"


@pytest.mark.parametrize("text, want", [("No, it is not true.", "false"), ("Yes, it is true.", "true"),
                                        ("不对，这是错的。", "false"), ("Sí, es verdadero.", "true")])
def test_a_yes_or_no_that_agrees_with_its_sentence_stays(text, want):
    assert read(text).value == want


@pytest.mark.parametrize("text", ["是，不一定。", "对，取决于间隔。"])
def test_a_cjk_hedge_after_the_word_goes_to_review(text):
    c = read(text)
    assert c.value == "hedged" or c.confidence < THRESHOLD, c


def test_a_list_of_cjk_verdicts_answers_each_statement_by_order():
    second = QuestionSpec(id="s/4.2", section="s", number=4, sub=2, claim="verdict")
    text = "1. 错，损失总是正的。\n2. 对，因为可以为零。\n3. 否。"
    assert read(text, second).value == "true"
    assert read(text).value == "false"


@pytest.mark.parametrize("text, want", [("Sí, ayuda.", "yes"), ("Oui.", "yes"), ("Nein.", "no"),
                                        ("不对，这样不能解决问题。", "no"), ("네. 도움이 됩니다", "yes")])
def test_yes_no_words_of_other_languages_answer_a_proposal(text, want):
    assert read(text, PROPOSAL).value == want


def test_a_foreign_if_is_no_yes():
    assert not read("si la pente est nulle, rien ne change", PROPOSAL).readable
