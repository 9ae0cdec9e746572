import json

import nbformat
import pytest

from auditor.load.notebook import InputError, load_notebook, parse_notebook_bytes
from tests.notebook_factory import error, stream, write_nb


def test_reads_cells_outputs_and_saved_errors(tmp_path):
    p = write_nb(tmp_path / "a.ipynb", ["# Title", ("code", "print(1)", [stream("1\n")]),
                                         ("code", "x", [error("NameError", "name 'x' is not defined")])])
    nb = load_notebook(p)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[1].outputs_text == "1"
    assert nb.cells[2].saved_errors[0].ename == "NameError"
    assert nb.cells[2].saved_errors[0].cell == 2
    assert len(nb.sha256) == 64 and nb.name == "a.ipynb"


def test_nbformat3_is_upgraded(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
          "worksheets": [{"cells": [{"cell_type": "markdown", "source": "hello", "metadata": {}},
                                    {"cell_type": "code", "input": "1+1", "language": "python",
                                     "outputs": [], "metadata": {}, "collapsed": False}], "metadata": {}}]}
    p = tmp_path / "old.ipynb"
    p.write_text(json.dumps(v3))
    nb = load_notebook(p)
    assert nb.original_nbformat == 3 and nb.nbformat == 4
    assert nb.cells[1].source == "1+1"


@pytest.mark.parametrize("data, words", [
    (b"", "empty file"),
    (b"{not json", "invalid JSON at line 1"),
    (b'{"a": 1}', "not a Jupyter notebook"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"nbformat": 2, "cells": []}', "unsupported nbformat"),
    (b"[1, 2, 3]", "not a Jupyter notebook"),
])
def test_bad_input_gives_one_line_message_naming_the_file(tmp_path, data, words):
    p = tmp_path / "bad <name>.ipynb"
    p.write_bytes(data)
    with pytest.raises(InputError) as exc:
        load_notebook(p)
    msg = str(exc.value)
    assert str(p) in msg and words in msg and "\n" not in msg


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_notebook(tmp_path / "nope.ipynb")
    with pytest.raises(InputError, match="directory"):
        load_notebook(tmp_path)


def test_submission_file_is_not_modified(tmp_path):
    p = write_nb(tmp_path / "a.ipynb", ["text", ("code", "1")])
    before = p.read_bytes()
    parse_notebook_bytes(before, p)
    load_notebook(p)
    assert p.read_bytes() == before
