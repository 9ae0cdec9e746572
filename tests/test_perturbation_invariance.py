"""The claim read from every labelled answer of the dev corpus survives formatting perturbations.

Every labelled claim x every perturbation of ``tests/perturb.py`` (label styles, emphasis,
casing, punctuation, line breaks, LaTeX wrapping, a restated statement, a trailing sentence):
the claim read (value and readability) must not change.  Skipped without ../shared/corpus.
"""
from __future__ import annotations

import pytest

from auditor.pipeline import _read_claim
from tests.corpus_paths import LABELS, NOTEBOOKS, need_corpus
from tests.perturb import labelled_answers, perturbations

MIN_PER_CLAIM = 10


def _read(q, answer, parent):
    claim = _read_claim(q, answer, parent)
    return None if claim is None else (claim.readable, claim.value)


def invariance_failures():
    """(cases, failures, claims, fewest perturbations of a claim) over the labelled corpus."""
    cases, failures, claims, fewest = 0, [], 0, None
    for name, q, answer, parent in labelled_answers(NOTEBOOKS, LABELS):
        if not answer.answered:
            continue
        claims += 1
        base = _read(q, answer, parent)
        n = 0
        for what, changed in perturbations(answer, q):
            n += 1
            got = _read(q, changed, parent)
            if got != base:
                failures.append((name, q.id, what, base, got))
        cases += n
        fewest = n if fewest is None else min(fewest, n)
    return cases, failures, claims, fewest


@pytest.mark.corpus
def test_every_labelled_claim_is_invariant_to_formatting():
    need_corpus()
    cases, failures, claims, fewest = invariance_failures()
    assert claims > 100
    assert fewest is not None and fewest >= MIN_PER_CLAIM, fewest
    shown = "\n".join(f"{n[:40]} {qid} {what}: {base} -> {got}" for n, qid, what, base, got in failures[:30])
    assert not failures, f"{len(failures)}/{cases} perturbations changed the claim:\n{shown}"


if __name__ == "__main__":      # python -m tests.test_perturbation_invariance: the figures
    cases, failures, claims, fewest = invariance_failures()
    from collections import Counter
    for n, qid, what, base, got in failures:
        print(f"{n[:40]} {qid} {what}: {base} -> {got}")
    print(Counter(f[2] for f in failures))
    print(f"{claims} claims, {cases} perturbations (fewest per claim {fewest}), {len(failures)} changed the claim")
