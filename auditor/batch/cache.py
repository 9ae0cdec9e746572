"""A resumable store of per-submission results (the JSON report dicts), one file per result.

Each result is keyed by the sha256 of everything that determines it: the notebook's bytes, the
assignment spec(s) it is judged against, the auditor's version and code, and the audit options.
A rerun of a batch looks each submission up first and only audits the missing ones, so a batch
killed at any moment (``kill -9`` included) loses at most the submissions that were in flight.

Writes are atomic: the JSON goes to a temporary file in the same directory, is flushed to disk,
then ``os.replace``-d onto its final name.  A reader therefore sees either no entry or a whole
one, never a torn file.  An entry that fails to parse (a disk error, a hand edit) is treated as
missing and recomputed.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import auditor

#: bump when the layout of cache entries changes
CACHE_FORMAT = 2


#: modules and packages that never change one submission's result or report (the batch's own
#: outputs, the command line, the gate, the evaluation): editing them keeps the cache valid.
#: Named as importable modules; ``excluded_paths`` resolves them (a test imports every one).
NOT_IN_RESULT = (
    "auditor.__main__", "auditor.cli", "auditor.batch", "auditor.gate", "auditor.evaluate",
    "auditor.report.terminal",
)
#: templates that only the class report uses
NOT_IN_RESULT_TEMPLATES = ("class_report.html.j2",)


def excluded_paths() -> frozenset[Path]:
    """Files and package folders of ``NOT_IN_RESULT`` (resolved), and the class report's template."""
    import importlib.util

    out: set[Path] = set()
    for name in NOT_IN_RESULT:
        found = importlib.util.find_spec(name)
        if found is None or found.origin is None:
            raise ImportError(f"NOT_IN_RESULT names {name}, which does not import")
        origin = Path(found.origin).resolve()
        out.add(origin.parent if origin.name == "__init__.py" else origin)
    templates = Path(auditor.__file__).resolve().parent / "templates"
    out.update(templates / n for n in NOT_IN_RESULT_TEMPLATES)
    return frozenset(out)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 over the auditor's and the built-in checks' source files and shipped specs.

    ``auditor.__version__`` alone does not change while the code is being developed; a cache
    hit must never serve a result that the current code would not produce.  Modules in
    ``NOT_IN_RESULT`` are left out.
    """
    h = hashlib.sha256(auditor.__version__.encode())
    roots = [Path(auditor.__file__).resolve().parent]
    excluded = excluded_paths()
    try:
        import checks  # the built-in checks package (maybe a namespace package)

        roots.extend(Path(p).resolve() for p in getattr(checks, "__path__", []))
    except ImportError:  # pragma: no cover - checks not installed
        pass
    for root in roots:
        files = sorted(
            p for p in root.rglob("*")
            if p.suffix in (".py", ".toml", ".j2") and p.is_file()
            and not any(p.resolve() == e or e in p.resolve().parents for e in excluded)
        )
        for p in files:
            h.update(str(p.relative_to(root)).encode())
            h.update(b"\0")
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def cache_key(
    notebook_bytes: bytes,
    spec_bytes: Iterable[bytes] = (),
    *,
    version: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> str:
    """The key of one submission's result (hex sha256)."""
    h = hashlib.sha256()
    h.update(f"auditor-result-cache/{CACHE_FORMAT}\0".encode())
    h.update((version if version is not None else code_fingerprint()).encode())
    h.update(b"\0options\0")
    h.update(json.dumps(dict(options or {}), sort_keys=True, default=str).encode())
    for blob in spec_bytes:
        h.update(b"\0spec\0")
        h.update(hashlib.sha256(blob).digest())
    h.update(b"\0notebook\0")
    h.update(hashlib.sha256(notebook_bytes).digest())
    return h.hexdigest()


class ResultCache:
    """JSON values under ``root/<key[:2]>/<key>.json`` (the batch stores {result, html, json_text})."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        if len(key) < 8 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.path_for(key)
        try:
            with open(path, encoding="utf-8") as fh:
                entry = json.load(fh)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("value"), dict):
            return None
        return entry["value"]

    def put(self, key: str, value: Mapping[str, Any]) -> Path:
        """Store ``value`` (a JSON-able dict) under ``key``, atomically and durably (fsync)."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # compact: json's C encoder (an indented dump runs its pure-Python one, 10x slower)
        write_text_atomic(path, json.dumps({"key": key, "value": value}, ensure_ascii=False, default=str))
        return path

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        if not self.root.is_dir():
            return 0
        return sum(1 for _ in self.root.glob("??/*.json"))


def write_json_atomic(path: str | os.PathLike[str], data: Any, *, fsync: bool = True) -> None:
    """Write ``data`` as JSON to ``path`` so that readers see the old file or the new one, whole."""
    write_text_atomic(path, json_lines_text(data), fsync=fsync)


def json_lines_text(data: Any) -> str:
    """JSON text with each top-level key, and each item of a top-level list, on its own line:
    readable and diffable, and written by json's C encoder (``indent`` switches json to its
    pure-Python encoder, ten times slower on a class's summary)."""
    def dump(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False, default=str)

    if not isinstance(data, dict) or not data:
        return dump(data) + "\n"
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            body = "[\n  " + ",\n  ".join(dump(v) for v in value) + "\n ]"
        else:
            body = dump(value)
        lines.append(f" {dump(str(key))}: {body}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_text_atomic(path: str | os.PathLike[str], text: str, *, fsync: bool = True) -> None:
    """Temp file in the same directory + ``os.replace``; ``fsync`` also survives a power cut."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the reports from a web server / colleagues
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
