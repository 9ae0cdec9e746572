"""The batch, gate and command-line packages stay small and free of import cycles (issue 13)."""
from __future__ import annotations

import ast
from pathlib import Path

import auditor

ROOT = Path(auditor.__file__).resolve().parent
PACKAGES = ("batch", "gate", "cli")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for f in sorted((ROOT / package).glob("*.py")):
            name = f"auditor.{package}" + ("" if f.stem == "__init__" else f".{f.stem}")
            out[name] = f
    return out


def _imports(path: Path) -> set[str]:
    """Every module this one imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_no_module_over_the_size_limit():
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in _modules().items()}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_no_import_cycle_between_these_modules():
    modules = _modules()
    graph = {name: sorted(i for i in _imports(p) if i in modules and i != name) for name, p in modules.items()}
    # a module may import its own package's __init__ (docstring only); cycles through modules are out
    graph = {n: [d for d in deps if not n.startswith(d + ".")] for n, deps in graph.items()}
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join((*path, node))
        if node in done:
            return
        for dep in graph[node]:
            visit(dep, (*path, node))
        done.add(node)

    for name in graph:
        visit(name, ())
    assert "auditor.batch.runner" not in graph["auditor.batch.dask_runner"]
