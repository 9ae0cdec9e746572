"""checks.true_false, checks.yes_no, checks.answered: claims against the key."""
from __future__ import annotations

import pytest

from auditor.models import Answer, Claim, QuestionSpec, Segment, Status, freeze
from checks.answered import check_answered
from checks.true_false import check_true_false
from checks.yes_no import check_yes_no
from test_checks_gradients import PIRATES  # the course's pirates MLP, defined once

ANSWERED = Answer("q/1.1", True, (Segment(20, "False, because ...", "markdown"),))
BLANK = Answer("q/1.1", False)



def _q(key=None, contested=False, demonstration=None, **kw):
    return QuestionSpec(id="q/1.1", section="q", number=1, sub=1, key=key, contested=contested,
                        demonstration=demonstration, **kw)


@pytest.mark.parametrize("key, claimed, contested, status", [
    ("false", "false", False, Status.PASS),
    ("false", "true", False, Status.FAIL),
    ("true", "false", True, Status.REVIEW),
    ("true", "true", True, Status.PASS),
    (False, "false", False, Status.PASS),
    ("false", "hedged", False, Status.REVIEW),
    (None, "true", False, Status.REVIEW),
])
def test_true_false_against_key(key, claimed, contested, status):
    out = check_true_false(_q(key, contested), ANSWERED, Claim("verdict", claimed))
    assert out.status is status


def test_true_false_unreadable_and_unanswered():
    assert check_true_false(_q("true"), ANSWERED, Claim("verdict", None, False)).status is Status.REVIEW
    assert check_true_false(_q("true"), ANSWERED, None).status is Status.REVIEW
    assert check_true_false(_q("true"), BLANK, Claim("verdict", None)).status is Status.UNANSWERED


def test_true_false_shows_demonstration_evidence():
    out = check_true_false(_q("false", demonstration="relu_small_init_vanishing"), ANSWERED, Claim("verdict", "true"))
    assert out.status is Status.FAIL
    assert any("relu_small_init_vanishing" in line for line in out.evidence)
    assert any("gradient vanishes" in line for line in out.evidence)


def test_demonstration_contradicting_the_key_goes_to_review():
    out = check_true_false(_q("true", demonstration="relu_gradient_constant"), ANSWERED, Claim("verdict", "true"))
    assert out.status is Status.REVIEW and "key needs a look" in out.message


def test_unknown_demonstration_raises_for_the_pipeline_to_report():
    with pytest.raises(LookupError, match="unknown demonstration"):
        check_true_false(_q("true", demonstration="nope"), ANSWERED, Claim("verdict", "true"))


def test_yes_no_tanh_swap_is_measured():
    q = _q("no")
    params = dict(model_code=PIRATES, swap={"Sigmoid": "Tanh"})
    out = check_yes_no(q, ANSWERED, Claim("yesno", "no"), None, **params)
    assert out.status is Status.PASS
    assert any("replaced by Tanh" in line for line in out.evidence)
    assert any("-> vanishing" in line for line in out.evidence)
    assert check_yes_no(q, ANSWERED, Claim("yesno", "yes"), None, **params).status is Status.FAIL


def test_yes_no_evidence_against_key_goes_to_review():
    out = check_yes_no(_q("yes"), ANSWERED, Claim("yesno", "yes"), None, model_code=PIRATES, swap={"Sigmoid": "Tanh"})
    assert out.status is Status.REVIEW


def test_yes_no_without_evidence_uses_the_key():
    assert check_yes_no(_q("yes"), ANSWERED, Claim("yesno", "yes"), None).status is Status.PASS
    assert check_yes_no(_q("yes"), ANSWERED, Claim("yesno", "no"), None).status is Status.FAIL


def test_answered():
    assert check_answered(_q(), ANSWERED).status is Status.MANUAL
    assert check_answered(_q(), BLANK).status is Status.UNANSWERED
    out = check_answered(_q(answered_elsewhere=True, params=freeze({})), BLANK)
    assert out.status is Status.MANUAL and "separate file" in out.message
