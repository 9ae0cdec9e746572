"""The pre-commit hook (.pre-commit-hooks.yaml) blocks a commit of a wrong notebook.

A throwaway hooks repository holds this checkout's .pre-commit-hooks.yaml (committed there, as a
user's `repo:` would be); a throwaway project repository uses it with `pre-commit install`, so a
real `git commit` runs the hook.  `language: system`: the installed auditor runs, pre-commit builds
no environment (nothing is installed, torch is never reinstalled).  PRE_COMMIT_HOME is in tmp.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "notebooks" / "submissions"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    })
    env.pop("PRE_COMMIT", None)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _git(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = _run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd, env)
    assert done.returncode == 0, done.stderr
    return done


def test_hook_definition_uses_the_installed_auditor():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "auditor-gate"
    assert hook["language"] == "system"          # no environment built, torch never reinstalled
    assert hook["entry"] == "auditor gate"
    assert "additional_dependencies" not in hook
    assert re.search(hook["files"], "a/b c.ipynb") and not re.search(hook["files"], "a.ipynb.txt")


@pytest.mark.slow
def test_precommit_blocks_a_wrong_notebook_and_lets_a_right_one_through(tmp_path):
    pytest.importorskip("pre_commit")
    wrong, right = SUBMISSIONS / "typical_mistakes.ipynb", SUBMISSIONS / "strong.ipynb"
    env = _env(tmp_path)

    hooks = tmp_path / "hooks-repo"
    hooks.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks / ".pre-commit-hooks.yaml")
    _git(hooks, env, "init", "-q")
    _git(hooks, env, "add", ".pre-commit-hooks.yaml")
    _git(hooks, env, "commit", "-q", "-m", "hooks")
    rev = _git(hooks, env, "rev-parse", "HEAD").stdout.strip()

    project = tmp_path / "course repo"          # a space in the path, as real ones have
    project.mkdir()
    _git(project, env, "init", "-q")
    config = {"repos": [{"repo": str(hooks), "rev": rev,
                         "hooks": [{"id": "auditor-gate", "args": ["--no-execute"]}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (project / "README.md").write_text("course work\n")
    installed = _run([sys.executable, "-m", "pre_commit", "install"], project, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    _git(project, env, "add", ".pre-commit-config.yaml", "README.md")
    _git(project, env, "commit", "-q", "-m", "setup")          # no notebook staged: hook skipped

    shutil.copy(wrong, project / "homework.ipynb")
    _git(project, env, "add", "homework.ipynb")
    blocked = _run(["git", "commit", "-m", "wrong answers"], project, env)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output   # git commit stops with 1 when a hook fails
    assert "auditor gate (notebook answers)" in output and "Failed" in output
    assert "FAIL homework.ipynb" in output and ": fail" in output
    assert _run(["git", "log", "--oneline"], project, env).stdout.count("\n") == 1   # not committed

    shutil.copy(right, project / "homework.ipynb")
    _git(project, env, "add", "homework.ipynb")
    passed = _run(["git", "commit", "-m", "right answers"], project, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    output = passed.stdout + passed.stderr
    assert "auditor gate (notebook answers)" in output and "Passed" in output
    # pre-commit built no environment for the hook: nothing installed, torch not touched
    home = tmp_path / "pre-commit-home"
    assert not any(p.name.startswith("py_env") for p in home.rglob("*") if p.is_dir())
