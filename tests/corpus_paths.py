"""Where the shared real corpus lives (beside the repository, never inside it).

Looked up, in order: ``$AUDITOR_SHARED`` (set it to a folder that does not exist to check that
every corpus test skips cleanly); ``../shared`` beside this checkout; ``../shared`` beside the main
checkout when this is a git worktree (``/work/wt/NAME`` -> ``/work/main/../shared``).

Tests that read it carry ``@pytest.mark.corpus``; ``conftest.py`` skips them when it is absent.
No file name of a submission is written here: the seed notebook is the one the seed document
links to, the blank templates are the ones the corpus README's variant table names.
"""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[1]
ENV = "AUDITOR_SHARED"


def _main_checkout(repo: Path) -> Path | None:
    """The main checkout of a git worktree (``.git`` is then a file naming the worktree's git dir)."""
    dot_git = repo / ".git"
    if not dot_git.is_file():
        return None
    m = re.match(r"gitdir:\s*(.+)", dot_git.read_text(encoding="utf-8", errors="replace").strip())
    if not m:
        return None
    gitdir = (repo / m.group(1).strip()).resolve()
    common = gitdir / "commondir"
    common_dir = (gitdir / common.read_text().strip()).resolve() if common.is_file() else gitdir.parents[1]
    return common_dir.parent


def find_shared(repo: Path = REPO, environ: os._Environ | dict = os.environ) -> Path:
    """The shared folder (it may not exist: then every corpus test skips)."""
    if environ.get(ENV):
        return Path(environ[ENV]).expanduser().resolve()
    beside = repo.parent / "shared"
    if beside.is_dir():
        return beside
    main = _main_checkout(repo)
    if main is not None and (main.parent / "shared").is_dir():
        return main.parent / "shared"
    return beside


SHARED = find_shared()
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"
NOTEBOOKS = CORPUS / "notebooks"
LABELS = CORPUS / "labels"
FOREIGN = SHARED / "corpus-foreign"


ABSENT = f"the shared corpus is not present (looked at {CORPUS}; ${ENV} names the shared folder)"


def corpus_present() -> bool:
    return NOTEBOOKS.is_dir() and LABELS.is_dir()


def need_corpus() -> None:
    """Skip the calling test when the corpus is absent (``conftest`` does it for marked tests)."""
    if not corpus_present():
        pytest.skip(ABSENT)


@functools.lru_cache(maxsize=1)
def seed_notebook() -> Path:
    """The corpus notebook the seed document links to (``github/OWNER/REPO/blob/BRANCH/FILE``)."""
    need_corpus()
    for doc in sorted(SEEDS.glob("*")):
        m = re.search(r"github(?:\.com)?/([^/\s\"]+)/[^/\s\"]+/blob/[^/\s\"]+/([^\s\"]+?\.ipynb)",
                      doc.read_text(encoding="utf-8", errors="replace"))
        if not m:
            continue
        owner, stem = m.group(1), re.sub(r"\[\d+\]$", "", Path(unquote(m.group(2))).stem)
        found = sorted(p for p in NOTEBOOKS.glob(f"{owner}__*.ipynb") if p.stem.endswith("__" + stem))
        if len(found) == 1:
            return found[0]
    pytest.skip(f"no corpus notebook matches the seed document's link ({SEEDS})")


@functools.lru_cache(maxsize=1)
def blank_templates() -> dict[str, Path]:
    """Variant -> its blank template, from the variant table of the corpus README."""
    need_corpus()
    rows = re.findall(r"^\|\s*(\w+)\s*\|\s*`([^`]+\.ipynb)`\s*\|", (CORPUS / "README.md").read_text(), re.M)
    return {variant: NOTEBOOKS / name for variant, name in rows if (NOTEBOOKS / name).is_file()}
