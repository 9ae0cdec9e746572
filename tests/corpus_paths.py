"""Where the shared real corpus lives (beside the repository); tests skip when it is absent."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
NOTEBOOKS = CORPUS / "notebooks"
LABELS = CORPUS / "labels"
SEED_NOTEBOOK = NOTEBOOKS / "artman-industries__objet-detection-on-TACO-dataset__Part2_SummaryQuestions.ipynb"


def need_corpus() -> None:
    if not NOTEBOOKS.is_dir() or not LABELS.is_dir():
        pytest.skip("../shared/corpus is not present")
