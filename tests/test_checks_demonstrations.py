"""Computed demonstrations: each agrees with the course's key for the statement it backs."""
from __future__ import annotations

import pytest

from checks.demonstrations import explanation, names, run_demonstration, statement
from checks.engines.keyed_answer import normalise_key

# KEY.md: which statement each demonstration backs, and the course's key for it
COURSE_KEY = {
    "dropout_commutes_with_relu": ("dropout/2", "false"),
    "relu_small_init_vanishing": ("losses-and-activation-functions/4.1", "false"),
    "relu_gradient_constant": ("losses-and-activation-functions/4.2", "false"),
    "dead_relu_unit": ("losses-and-activation-functions/4.3", "true"),
    "sgd_gradient_variance": ("optimization/4.2", "false"),
    "double_well_noise_escape": ("optimization/4.3", "true"),
    "newton_vs_momentum_ravine": ("optimization/4.6", "false"),
    "tbptt_zero_gradient": ("sequence-models/3.3", "true"),
    "vae_reconstructions_differ": ("unsupervised-learning/2.2", "false"),
}


def test_every_demonstration_is_keyed_here():
    assert set(names()) == set(COURSE_KEY)


@pytest.mark.parametrize("name", sorted(COURSE_KEY))
def test_demonstration_agrees_with_key(name):
    demo = run_demonstration(name)
    assert demo.key == COURSE_KEY[name][1], demo.lines
    assert demo.lines and all(isinstance(line, str) and line for line in demo.lines)
    assert statement(name) == demo.statement


def test_demonstrations_are_memoised_and_deterministic():
    assert run_demonstration("double_well_noise_escape") is run_demonstration("double_well_noise_escape")
    fresh = run_demonstration.__wrapped__("double_well_noise_escape")
    assert fresh.lines == run_demonstration("double_well_noise_escape").lines


@pytest.mark.parametrize("name", sorted(COURSE_KEY))
def test_printed_source_reruns_to_the_same_verdict(name):
    text = explanation(name)
    source = text.split("Rerun it yourself (plain Python + torch):\n\n", 1)[1]
    namespace: dict = {}
    exec(compile(source.replace("print(", "(lambda *a, **k: None)("), name, "exec"), namespace)  # our own code
    assert namespace["verdict"] == run_demonstration(name).verdict


def test_shipped_specs_keys_agree_with_their_demonstrations():
    from auditor.assignment.spec import shipped_specs

    checked = 0
    for spec in shipped_specs():
        for q in spec.questions:
            if q.demonstration:
                assert run_demonstration(q.demonstration).key == normalise_key(q.key), (spec.id, q.id)
                checked += 1
    assert checked, "no shipped spec names a demonstration"
