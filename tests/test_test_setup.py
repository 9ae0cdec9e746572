"""The test setup itself: the shared corpus is found from a worktree too, every test that reads it
is marked ``corpus``, and those tests skip cleanly when it is absent."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import corpus_paths

TESTS = Path(__file__).resolve().parent


def test_shared_is_found_beside_the_checkout_from_a_worktree_and_from_the_environment(tmp_path):
    main, wt = tmp_path / "main", tmp_path / "wt" / "topic"
    (main / ".git" / "worktrees" / "topic").mkdir(parents=True)
    (main / ".git" / "worktrees" / "topic" / "commondir").write_text("../..\n")
    wt.mkdir(parents=True)
    (wt / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'topic'}\n")
    assert corpus_paths.find_shared(main, {}) == main.parent / "shared"          # absent: where it would be
    (tmp_path / "shared").mkdir()
    assert corpus_paths.find_shared(main, {}) == tmp_path / "shared"
    assert corpus_paths.find_shared(wt, {}) == tmp_path / "shared"
    assert corpus_paths.find_shared(wt, {"AUDITOR_SHARED": str(tmp_path / "elsewhere")}) == tmp_path / "elsewhere"


def test_every_module_that_reads_the_corpus_is_marked():
    readers = []
    for path in sorted(TESTS.rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name == Path(__file__).name or not re.search(r"\bcorpus_paths\b|[\"']shared[\"']", text):
            continue
        readers.append(path.name)
        assert "pytest.mark.corpus" in text, f"{path.name} reads the shared corpus but has no corpus marker"
    assert {"test_corpus.py", "test_init.py", "test_claims_corpus.py", "test_checks_corpus_code.py"} <= set(readers)


def test_corpus_tests_skip_cleanly_without_the_corpus(tmp_path):
    env = {**os.environ, "AUDITOR_SHARED": str(tmp_path / "no-shared-here")}
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly", "-m", "corpus", "-rs",
         str(TESTS / "test_corpus.py"), str(TESTS / "test_init.py"), str(TESTS / "test_claims_corpus.py"),
         str(TESTS / "test_checks_corpus_code.py"), str(TESTS / "test_pipeline.py")],
        capture_output=True, text=True, cwd=TESTS.parent, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"=* ?(\d+) skipped, \d+ deselected in [\d.]+s ?=*", summary)   # none passed, none failed
    assert m and int(m.group(1)) >= 17, proc.stdout[-3000:]
    assert "no-shared-here" in proc.stdout
