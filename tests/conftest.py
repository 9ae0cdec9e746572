"""Shared test setup: paths, the corpus marker, fixtures several test files use.

- ``pyproject.toml`` puts the repository root and ``tests/`` on ``sys.path`` (``pythonpath``), so
  plain ``pytest`` works from the root, and runs with ``--strict-markers`` (markers: corpus, slow,
  browser).
- A test that reads the shared real corpus (``../shared``, see ``corpus_paths``) carries
  ``@pytest.mark.corpus``; it is skipped, with the path looked at, when the corpus is absent.
  ``AUDITOR_SHARED=/nonexistent pytest -m corpus`` shows every such test skipping cleanly
  (``test_test_setup.py`` checks that, and that every module reading the corpus is marked).
"""
from __future__ import annotations

from pathlib import Path

import pytest

import corpus_paths

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SUBMISSIONS = REPO / "notebooks" / "submissions"


def pytest_collection_modifyitems(config, items):
    if corpus_paths.corpus_present():
        return
    skip = pytest.mark.skip(reason=corpus_paths.ABSENT)
    for item in items:
        if item.get_closest_marker("corpus") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def example_submissions() -> Path:
    """Our own example submissions (committed; rebuilt by notebooks/build_examples.py)."""
    names = sorted(p.name for p in EXAMPLE_SUBMISSIONS.glob("*.ipynb"))
    assert names == ["partly_blank.ipynb", "strong.ipynb", "typical_mistakes.ipynb"], names
    return EXAMPLE_SUBMISSIONS
