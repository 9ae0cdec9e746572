"""A third-party check package (examples/third_party_check) installed with pip is found and used.

The package is copied to a temporary directory, pip-installed with ``--target`` into another
temporary directory (nothing touches the current environment or the source tree), and used from
subprocesses whose PYTHONPATH points there: ``find_checks``/``run_check``, ``auditor checks
list`` and a whole ``auditor audit`` with a spec that names the third-party check.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "third_party_check"

SPEC = '''
[assignment]
id = "conv-practice"
title = "Convolution practice"

[signature]
"convolution practice" = 1.0

[[sections]]
slug = "convolutions"
heading = "Convolutions"

[[questions]]
id = "convolutions/1"
phrases = ["what is the output size"]
claim = "number"
check = "conv_output_size"
[questions.params]
in_size = 64
kernel_size = 3
stride = 2
padding = 1
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    if shutil.which("pip") is None and not _has_pip():
        pytest.skip("pip is not available")
    base = tmp_path_factory.mktemp("third_party")
    source, target = base / "src", base / "site"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    yield target
    shutil.rmtree(base, ignore_errors=True)


def _has_pip() -> bool:
    return subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0


def _env(target: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), env.get("PYTHONPATH", "")) if p)
    return env


def _python(code: str, target: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=_env(target), cwd=cwd, timeout=120)


def test_find_checks_run_check_and_cli_use_it(installed, tmp_path):
    result = _python("""
        from auditor.cli import main
        from auditor.models import Answer, Claim, QuestionSpec, Segment, freeze
        from auditor.judge.registry import default_registry, find_checks, run_check
        found = [f for f in find_checks() if f.name == "conv_output_size"]
        print("FOUND", found[0].distribution, found[0].value)
        q = QuestionSpec(id="convolutions/1", section="convolutions", number=1, check="conv_output_size",
                         params=freeze({"in_size": 64, "kernel_size": 3, "stride": 2, "padding": 1}))
        answer = Answer("convolutions/1", True, (Segment(2, "32", "markdown"),))
        check = default_registry().get("conv_output_size")
        for value in (32, 31):
            out = run_check(check, question=q, answer=answer, claim=Claim("number", value))
            print("OUTCOME", value, out.status.value, out.expected)
        print("LIST-RC", main(["checks", "list"]))
        print("EXPLAIN-RC", main(["checks", "explain", "conv_output_size"]))
    """, installed, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "FOUND auditor-conv-output-size auditor_conv_output_size.check:check_conv_output_size" in out
    assert "OUTCOME 32 pass 32" in out and "OUTCOME 31 fail 32" in out
    assert "LIST-RC 0" in out and "EXPLAIN-RC 0" in out
    assert "[auditor-conv-output-size]" in out and "Ground truth: the output side length" in out


def test_not_visible_without_the_install(tmp_path):
    result = subprocess.run([sys.executable, "-m", "auditor", "checks", "explain", "conv_output_size"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and "unknown check" in result.stderr


def test_audit_uses_the_third_party_check(installed, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Convolution practice"),
        nbformat.v4.new_markdown_cell("### Convolutions"),
        nbformat.v4.new_markdown_cell("1. A `Conv2d` with kernel 3, stride 2 and padding 1 reads a 64x64 image: "
                                      "what is the output size?"),
        nbformat.v4.new_markdown_cell("**Answer:** the output is 31 pixels wide."),
    ]
    notebook, spec = tmp_path / "practice.ipynb", tmp_path / "practice.toml"
    nbformat.write(nb, notebook)
    spec.write_text(SPEC)
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(notebook), "--assignment", str(spec), "--no-execute",
         "--json", str(tmp_path / "out.json"), "--html", str(tmp_path / "out.html")],
        capture_output=True, text=True, env=_env(installed), cwd=tmp_path, timeout=120)
    assert result.returncode == 1, result.stderr   # the claim 31 fails: findings
    report = json.loads((tmp_path / "out.json").read_text())
    question = next(q for q in report["questions"] if q["id"] == "convolutions/1")
    assert question["check"] == "conv_output_size"
    assert question["status"] == "fail" and question["expected"] == 32 and question["claimed"] == 31
