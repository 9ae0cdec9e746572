"""The course's data files in the kernel's working directory (``--data DIR``).

Assignments of most courses read data (``pd.read_csv("survey.csv")``) from beside the notebook.
The kernel starts in an empty temp directory (``auditor.execute.sandbox``), so the files a
course gives with ``--data`` are copied there before each kernel starts: a copy, never a bind or
a hard link, so no student's code can change what the next submission reads. Files are owned by
the kernel's own uid when it has one. Symbolic links are copied as the files they point to.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path


class DataDirError(ValueError):
    """The data folder cannot be used (names the folder and the problem)."""


def check_data_dir(path: str | os.PathLike) -> Path:
    """``path`` as an existing, readable folder, else DataDirError."""
    p = Path(path)
    if not p.is_dir():
        raise DataDirError(f"--data {path}: not a folder")
    if not os.access(p, os.R_OK | os.X_OK):
        raise DataDirError(f"--data {path}: not readable")
    return p


def copy_data(src: str | os.PathLike, dest: Path, uid: int | None = None) -> list[str]:
    """Copy the contents of ``src`` into ``dest`` (made owned by ``uid``); the names copied."""
    source = check_data_dir(src)
    names: list[str] = []
    for entry in sorted(source.iterdir()):
        target = dest / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, symlinks=False, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, target)
        names.append(entry.name)
    if uid is not None:
        for root, dirs, files in os.walk(dest):
            for name in (*dirs, *files):
                os.chown(os.path.join(root, name), uid, uid, follow_symlinks=False)
    return names


def fingerprint(path: str | os.PathLike) -> str:
    """sha256 over the folder's relative file names and contents: a batch's cached results are
    reused only while the course's data is the same."""
    import hashlib

    digest = hashlib.sha256()
    root = Path(path)
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(root)).encode() + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()
