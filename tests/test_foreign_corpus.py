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
