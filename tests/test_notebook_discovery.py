"""The one discovery of notebooks (auditor.batch.discover) behind batch, gate and pytest --audit."""
from __future__ import annotations

from pathlib import Path

import pytest

from auditor.batch.discover import DiscoveryError, discover, is_notebook_path, relative_names
from auditor.options import UsageError


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    return path


def test_folders_files_and_globs_each_found_once_in_order(tmp_path):
    a = _touch(tmp_path / "c" / "b.ipynb")
    b = _touch(tmp_path / "c" / "a.ipynb")
    _touch(tmp_path / "c" / ".ipynb_checkpoints" / "a-checkpoint.ipynb")
    _touch(tmp_path / "c" / "notes.txt")
    other = _touch(tmp_path / "d" / "x" / "z.ipynb")
    found = discover([tmp_path / "c", str(tmp_path / "d" / "*" / "*.ipynb"), a])
    assert found.files == (b, a, other)            # each target sorted, targets in order, a once
    assert found.root == tmp_path                  # the common folder of the targets
    assert relative_names(found.files, found.root) == ["c/a.ipynb", "c/b.ipynb", "d/x/z.ipynb"]
    assert discover(tmp_path / "c").root == tmp_path / "c"
    assert discover(a).files == (a,) and discover(a).root == a.parent
    # a glob with ** is recursive; a glob never yields a checkpoint copy
    assert len(discover(str(tmp_path / "**" / "*.ipynb")).files) == 3


def test_excluded_folder_is_skipped(tmp_path):
    _touch(tmp_path / "c" / "a.ipynb")
    _touch(tmp_path / "c" / "out" / "submissions" / "a.ipynb")
    assert [f.name for f in discover(tmp_path / "c", exclude=[tmp_path / "c" / "out"]).files] == ["a.ipynb"]


def test_nothing_found_is_a_usage_error_naming_the_target(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiscoveryError, match="empty: no notebook"):
        discover(tmp_path / "empty")
    with pytest.raises(DiscoveryError, match=r"nope\.ipynb: no such file or directory"):
        discover([tmp_path / "empty", tmp_path / "nope.ipynb"])
    with pytest.raises(UsageError, match="no notebook"):      # a usage error: exit 2
        discover(str(tmp_path / "none-*.ipynb"))


def test_the_notebook_rule_pytest_collects_by():
    assert is_notebook_path(Path("hw/a.ipynb"))
    assert not is_notebook_path(Path("hw/.ipynb_checkpoints/a-checkpoint.ipynb"))
    assert not is_notebook_path(Path("hw/a.py"))
