"""Cross-validation of the agreement figures: held-out folds of a labelled corpus.

The auditor tunes nothing on the corpus at run time, so a fold's figure is simply the agreement
measured on the notebooks held out in it; what the folds show is the spread: a reading rule that
fits one submission only shows up as that submission's fold falling away from the full figure.
``folds(ev, k)``: k folds by round-robin over the sorted notebook names; k = 0 (or ``len``)
is leave-one-submission-out.  Each fold also carries the figure of the rest (the notebooks that
were "seen"), so both sides of the split are reported.
"""
from __future__ import annotations

from dataclasses import dataclass

from auditor.evaluate.agreement import Evaluation


@dataclass(frozen=True)
class Fold:
    index: int
    held_out: tuple[str, ...]
    held: Evaluation           # the held-out notebooks' figures
    rest: Evaluation           # all the other notebooks' figures


def _merged(evs: list[Evaluation]) -> Evaluation:
    out = Evaluation()
    for e in evs:
        out.add(e)
    return out


def folds(ev: Evaluation, k: int = 0) -> list[Fold]:
    names = sorted(ev.per_notebook)
    if not names:
        return []
    k = len(names) if k <= 0 or k > len(names) else k
    groups = [names[i::k] for i in range(k)]
    out = []
    for i, group in enumerate(groups):
        held = _merged([ev.per_notebook[n] for n in group])
        rest = _merged([ev.per_notebook[n] for n in names if n not in group])
        out.append(Fold(i + 1, tuple(group), held, rest))
    return out


def _points(a: float, b: float) -> float:
    return abs(a - b) * 100


def format_folds(ev: Evaluation, fs: list[Fold]) -> list[str]:
    """One line per fold, then the spread of the held-out and the rest figures against the full one."""
    lines = []
    for f in fs:
        what = f.held_out[0][:60] if len(f.held_out) == 1 else f"{len(f.held_out)} notebooks"
        lines.append(f"fold {f.index:>2} ({what}): held out {f.held.agreement:.1%} questions, {f.held.claims:.1%} claims, "
                     f"{f.held.false_passes} false passes, {f.held.misread_fails} misread fails; "
                     f"rest {f.rest.agreement:.1%} / {f.rest.claims:.1%}")
    if fs:
        for label, pick in (("held-out", lambda f: f.held), ("rest", lambda f: f.rest)):
            qs = [pick(f).agreement for f in fs]
            cs = [pick(f).claims for f in fs]
            dev = max(max(_points(x, ev.agreement) for x in qs), max(_points(x, ev.claims) for x in cs))
            lines.append(f"{len(fs)} folds, {label}: questions {min(qs):.1%}-{max(qs):.1%}, claims {min(cs):.1%}-{max(cs):.1%} "
                         f"(full {ev.agreement:.1%} / {ev.claims:.1%}; largest gap {dev:.1f} points)")
    return lines
