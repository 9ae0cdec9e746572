"""Grading actions with answer groups vs one answer at a time (prints figures; not a test).

For a batch folder (``auditor batch SUBMISSIONS --out DIR``), counts the decisions a TA makes in
``auditor review`` to grade every ``manual`` and ``review`` answer: one per answer when graded one by
one, one per group with the review page's groups (auditor.review.grouping: identical claims,
identical normalised text, near-identical text by word 3-gram Jaccard), per question.  Printed for
the stated threshold and, for comparison, for exact matches only and looser thresholds.

    python bench/review_grouping.py /tmp/review-class          # an existing batch folder
    python bench/review_grouping.py                            # audits ../shared/corpus/notebooks first
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "notebooks"


def main(argv: list[str] | None = None) -> int:
    from auditor.review.classdata import load_batch
    from auditor.review.grouping import NEAR_DUPLICATE_JACCARD, grading_actions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", help="a batch folder (default: audit the corpus into a temporary one)")
    args = ap.parse_args(argv)
    folder = args.folder
    if folder is None:
        if not CORPUS.is_dir():
            print(f"no batch folder given and {CORPUS} is absent", file=sys.stderr)
            return 2
        folder = tempfile.mkdtemp(prefix="review-bench-")
        subprocess.run([sys.executable, "-m", "auditor", "batch", str(CORPUS), "--out", folder, "-q"],
                       check=False, stdout=subprocess.DEVNULL)
    batch = load_batch(folder)
    print(f"{folder}: {len(batch.entries)} submissions, {len(batch.items)} answers")
    for status in ("manual", "review"):
        c = grading_actions([a for a in batch.items if a.status == status])
        print(f"  {status:6}: {c.items} answers in {c.questions} questions -> {c.groups} groups "
              f"({100 * c.saved:.1f}% fewer actions)")
    for t in (1.0, NEAR_DUPLICATE_JACCARD, 0.5):
        c = grading_actions(batch.items, threshold=t)
        tag = " (the review page's threshold)" if t == NEAR_DUPLICATE_JACCARD else (" (exact only)" if t == 1.0 else "")
        print(f"  Jaccard >= {t:.1f}{tag}: {c.items} actions one by one, {c.groups} with groups "
              f"({100 * c.saved:.1f}% fewer)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
