"""Other courses' notebooks (../shared/corpus-foreign), measured the way `auditor evaluate` does:
each set from its blank template alone. Skips when the corpus is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.evaluate.foreign import evaluate_set, find_sets, key_value, read_keys
from tests.corpus_paths import SHARED

pytestmark = pytest.mark.corpus
FOREIGN = Path(os.environ.get("AUDITOR_SHARED", SHARED)) / "corpus-foreign"


def _sets():
    if not FOREIGN.is_dir():
        pytest.skip("../shared/corpus-foreign is not present")
    return find_sets(FOREIGN)


def test_every_labelled_question_is_found_and_no_key_passes_a_wrong_answer():
    for folder in _sets():
        fig = evaluate_set(folder)
        assert fig.items and fig.errors == 0, fig.line()
        assert fig.found == fig.items, fig.line()
        assert fig.answered_agree >= 0.98 * fig.items, fig.line()
        assert fig.false_passes == 0 and fig.misread_fails == 0, fig.line()


def test_specless_audits_find_every_question_too():
    for folder in _sets():
        fig = evaluate_set(folder, spec_less=True)
        assert fig.found == fig.items and fig.answered_agree >= 0.95 * fig.items, fig.line()


def test_keys_of_key_md_are_read():
    keys = {}
    for folder in _sets():
        keys.update(read_keys(folder / "key.md"))
    assert keys, "no key table read"
    assert all(isinstance(v, (str, int, float, list)) for v in keys.values())


def test_evaluate_cli_detects_a_folder_of_sets(capsys):
    _sets()
    assert main(["evaluate", str(FOREIGN)]) == 0
    assert "all sets: found 100.0%" in capsys.readouterr().out


@pytest.mark.parametrize("cell, value", [("**True** (p = 0.0164)", "true"), ("**[1, 3]**", [1, 3]),
                                         ("**(ii)** - the article", ["ii"]), ("**(ii) 4.9** - sqrt", ["ii"]),
                                         ("**6** - some ids", 6), ("**'steps'** (r = -0.28)", "steps"),
                                         ("rank 2. **Debatable**: full rank", None), ("sigma = **4.9**", 4.9),
                                         ("a_hat = **5.9**, b_hat = **0.1**", None)])
def test_key_cells(cell, value):
    assert key_value(cell) == value


def test_every_read_claim_of_other_courses_is_invariant_to_formatting():
    """Every verdict, selection and number read from another course's submission reads the same
    after formatting perturbations (emphasis, casing, punctuation, line breaks, bullets, a restated
    question line). Label-style perturbations are left out: on a choice question a prefixed "1)" is
    an option, not a label."""
    from auditor.pipeline import _read_claim
    from tests.perturb import LABEL_STYLES, foreign_labelled_answers, perturbations

    _sets()
    claims, cases, failures = 0, 0, []
    for name, q, answer, parent in foreign_labelled_answers(FOREIGN):
        base = _read_claim(q, answer, parent)
        if base is None or not base.readable:
            continue
        claims += 1
        for what, changed in perturbations(answer, q):
            if what in LABEL_STYLES:
                continue
            cases += 1
            got = _read_claim(q, changed, parent)
            if got is None or (got.readable, got.value) != (True, base.value):
                failures.append(f"{name} {what}: {base.value} -> {None if got is None else got.value}")
    assert claims >= 100 and cases >= 300, (claims, cases)
    assert not failures, f"{len(failures)}/{cases} perturbations changed the claim:\n" + "\n".join(failures[:20])
