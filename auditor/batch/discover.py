"""Which notebooks a run audits: one discovery for ``batch``, ``gate`` and ``pytest --audit``.

A target is a folder (searched recursively for ``*.ipynb``), a file, or a glob such as
``'hw/*/*.ipynb'`` (``**`` recursive).  ``.ipynb_checkpoints`` folders and anything under an
excluded folder (a batch's own output) are skipped; a file is found once however it was named.
A target that names nothing, or targets that find no notebook, are a usage error (exit 2).
"""
from __future__ import annotations

import glob
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from auditor.options import UsageError

CHECKPOINTS = ".ipynb_checkpoints"


class DiscoveryError(UsageError):
    """A target that names nothing, or no notebook found: the message names the target."""


@dataclass(frozen=True)
class Discovered:
    root: Path                  # the folder the files' report names are relative to
    files: tuple[Path, ...]     # each target's files sorted, in the targets' order, each once


def is_notebook_path(path: Path) -> bool:
    """A notebook a folder search collects (pytest's collection uses the same rule)."""
    return path.suffix == ".ipynb" and CHECKPOINTS not in path.parts[:-1]


def _one(target: str | os.PathLike[str]) -> tuple[Path, list[Path]]:
    raw = os.fspath(target)
    p = Path(raw)
    if p.is_dir():
        return p, sorted((f for f in p.rglob("*.ipynb")
                          if f.is_file() and CHECKPOINTS not in f.relative_to(p).parts[:-1]), key=str)
    if p.is_file():
        return p.parent, [p]
    if glob.has_magic(raw):
        found = sorted((Path(f) for f in glob.glob(raw, recursive=True) if os.path.isfile(f)), key=str)
        found = [f for f in found if CHECKPOINTS not in f.parts[:-1]]
        root = Path(os.path.commonpath([str(f.parent) for f in found])) if found else Path(".")
        return root, found
    if p.exists():
        raise DiscoveryError(f"{raw}: not a file or directory")
    raise DiscoveryError(f"{raw}: no such file or directory")


def discover(targets: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
             exclude: Iterable[str | os.PathLike[str]] = ()) -> Discovered:
    """The notebooks of ``targets`` (one target or several); raises DiscoveryError."""
    if isinstance(targets, (str, os.PathLike)):
        targets = [targets]
    targets = list(targets)
    excluded = [Path(e).resolve() for e in exclude]
    roots: list[Path] = []
    out: dict[Path, Path] = {}
    for target in targets:
        root, found = _one(target)
        roots.append(root)
        for f in found:
            r = f.resolve()
            if not any(r.is_relative_to(e) for e in excluded):
                out.setdefault(r, f)
    if not out:
        shown = ", ".join(map(os.fspath, targets)) or "(no paths)"
        raise DiscoveryError(f"{shown}: no notebook (.ipynb) files found")
    root = roots[0] if len(roots) == 1 else Path(os.path.commonpath([str(r.resolve()) for r in roots]))
    return Discovered(root, tuple(out.values()))


_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def submission_ids(relpaths: Sequence[str]) -> list[str]:
    """Unique, file-system- and URL-safe ids for report file names, from the relative paths."""
    ids: list[str] = []
    taken: set[str] = set()
    for rel in relpaths:
        stem = rel[: -len(".ipynb")] if rel.endswith(".ipynb") else rel
        slug = _SLUG_BAD.sub("_", stem).strip("._-")[:100] or "notebook"
        if slug.lower() in taken:
            slug = f"{slug[:90]}-{hashlib.sha256(rel.encode()).hexdigest()[:8]}"
        taken.add(slug.lower())
        ids.append(slug)
    return ids


def relative_names(files: Sequence[Path], root: Path) -> list[str]:
    """Each file's name relative to ``root`` (its path as given when outside it)."""
    names = []
    resolved_root = root.resolve()
    for f in files:
        try:
            names.append(str(f.resolve().relative_to(resolved_root)))
        except ValueError:
            names.append(str(f))
    return names
