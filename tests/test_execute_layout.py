"""The execute stage's layout: small modules, no import cycle, the kernel-side code as real files."""
from __future__ import annotations

import ast
from pathlib import Path

import auditor.execute as execute
from auditor.execute import in_kernel, kernel_values

PKG = Path(execute.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG.parent.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        out[name] = p
    return out


def test_no_module_over_400_lines():
    sizes = {name: len(p.read_text().splitlines()) for name, p in _modules().items()}
    assert {n: s for n, s in sizes.items() if s > 400} == {}


def test_no_import_cycle_within_execute():
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.parse(p.read_text()).body:          # module-level imports
            if isinstance(node, ast.If):                     # `if TYPE_CHECKING:` imports nothing at run time
                continue
            if isinstance(node, ast.ImportFrom) and node.module in mods:
                graph[m].add(node.module)
            if isinstance(node, ast.ImportFrom) and node.module:
                graph[m].update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in mods)
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            assert state.get(n) != 1, "import cycle: " + " -> ".join(path + [m, n])
            if n not in state:
                visit(n, path + [m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_kernel_side_code_is_real_python_sent_as_text():
    for name in ("fetch_values", "output_cap"):
        text = in_kernel.source(name)
        compile(text, f"{name}.py", "exec")
        assert text == (PKG / "in_kernel" / f"{name}.py").read_text()
    # the fetch sends exactly the file's text into the kernel
    code = kernel_values.fetch_code(["x"], "n0")
    assert repr(in_kernel.source("fetch_values")) in code
