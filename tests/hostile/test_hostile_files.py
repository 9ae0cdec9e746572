"""Hostile files at the loading stage, and a few hostile notebooks through ``auditor.audit``."""
from __future__ import annotations

import hashlib

import pytest

from auditor.models import ExecStatus
from tests.hostile import builders as B

from auditor.load import notebook as loading  # noqa: E402


@pytest.mark.parametrize("name", ["invalid_json", "empty_file", "non_utf8"])
def test_broken_files_get_one_line_input_error(tmp_path, name):
    path = tmp_path / f"{name}.ipynb"
    path.write_bytes(getattr(B, name)())
    with pytest.raises(loading.InputError) as info:
        loading.load_notebook(path)
    message = str(info.value)
    assert "\n" not in message and path.name in message


def test_nbformat3_is_upgraded(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_bytes(B.nbformat3())
    nb = loading.load_notebook(path)
    assert nb.original_nbformat == 3 and nb.nbformat == 4
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[1].source == "x = 112"


def test_embedded_50mb_image_loads_without_copying_it_into_text(tmp_path):
    path = tmp_path / "image.ipynb"
    path.write_bytes(B.to_bytes(B.embedded_image(50)))
    assert path.stat().st_size > 45 * 2**20
    nb = loading.load_notebook(path)
    assert nb.cells[1].has_image_output
    assert len(nb.cells[1].outputs_text) < 1000


def test_xss_file_name_is_kept_as_text(tmp_path):
    name, nb_node = B.xss_file_name()
    path = tmp_path / name
    path.write_bytes(B.to_bytes(nb_node))
    nb = loading.load_notebook(path)
    assert nb.name == name          # untrusted text, kept verbatim; escaping is the report's job


# --------------------------------------------------------------------------- through the pipeline

def _audit():
    from auditor.pipeline import audit

    return audit


@pytest.mark.slow
@pytest.mark.parametrize("builder,status", [
    (B.infinite_loop, ExecStatus.TIMEOUT),
    (B.os_exit, ExecStatus.CRASHED),
    (B.showtraceback_disabled, ExecStatus.ERRORS),
])
def test_audit_reports_hostile_execution(tmp_path, builder, status):
    audit = _audit()
    path = tmp_path / "submission.ipynb"
    data = B.to_bytes(builder())
    path.write_bytes(data)
    result = audit(str(path), execute=True, timeout_cell=2, timeout_total=10)
    assert result.error is None, result.error
    assert result.execution.status is status, result.execution.message
    assert result.execution.isolation.get("sandbox") == "on"
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["submission.ipynb"]
