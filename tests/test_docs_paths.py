"""The docs name files and modules that exist: every backticked path (``auditor/load/notebook.py``,
``checks/<name>.py`` patterns aside) and every dotted ``auditor.*`` module in README.md,
CONTRIBUTING.md and docs/*.md resolves, so a move cannot leave a stale path behind."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
#: paths outside this repository, or written by a run, that the docs rightly mention
NOT_OURS = ("../shared", "reports/", ".github/", ".ci/", "practice.toml", "spec.toml")


def _code_spans(text: str) -> list[str]:
    text = re.sub(r"```.*?```", "", text, flags=re.S)          # code blocks show commands, not paths
    return re.findall(r"`([^`\n]+)`", text)


def _paths(doc: Path) -> list[str]:
    out = []
    for span in _code_spans(doc.read_text(encoding="utf-8")):
        for token in span.split():
            token = token.strip("(),;:")
            if "/" in token and re.fullmatch(r"[\w./*-]+", token) and not token.startswith(NOT_OURS) \
                    and re.search(r"\.(py|toml|md|j2|yaml|ipynb)$|/$", token) and "<" not in token:
                out.append(token)
    return out


def _modules(doc: Path) -> list[str]:
    found = re.findall(r"`(auditor(?:\.[a-z_]+)+)(?:[:(][^`]*)?`", doc.read_text(encoding="utf-8"))
    return [m for m in found if m != "auditor.checks"]           # the entry-point group, not a module


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_named_path_exists(doc):
    missing = [p for p in _paths(doc) if not list(ROOT.glob(p.rstrip("/")))]
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def _resolve(dotted: str):
    """The module or attribute ``dotted`` names (None when it does not exist)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name, None)
        return obj
    return None


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_named_module_imports(doc):
    bad = []
    for dotted in _modules(doc):
        if _resolve(dotted) is None:
            bad.append(dotted)
    assert not bad, f"{doc.name} names modules or names that do not exist: {bad}"
