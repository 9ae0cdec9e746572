"""Where the shared real corpus lives (beside the repository); tests skip when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# AUDITOR_SHARED points a worktree outside the checkout's parent at the shared data
SHARED = Path(os.environ.get("AUDITOR_SHARED") or REPO.parent / "shared")
CORPUS = SHARED / "corpus"
NOTEBOOKS = CORPUS / "notebooks"
LABELS = CORPUS / "labels"
SEED_NOTEBOOK = NOTEBOOKS / "artman-industries__objet-detection-on-TACO-dataset__Part2_SummaryQuestions.ipynb"


def need_corpus() -> None:
    if not NOTEBOOKS.is_dir() or not LABELS.is_dir():
        pytest.skip("../shared/corpus is not present")
