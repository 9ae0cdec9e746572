"""Our example assignment (notebooks/) and its spec (auditor/specs/example.toml) agree.

No kernel: the committed notebooks are compared with what notebooks/build_examples.py builds,
the spec's facts are recomputed with torch, and every phrase and code parameter of the spec is
found in the blank template.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from auditor.assignment.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SPEC = ROOT / "auditor" / "specs" / "example.toml"


@pytest.fixture(scope="module")
def build_examples():
    spec = importlib.util.spec_from_file_location("build_examples", NOTEBOOKS / "build_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def spec():
    return load_spec(SPEC)


def fold(text: str) -> str:
    """Case, whitespace and inline-code backticks do not matter when recognising a question."""
    return " ".join(text.lower().replace("`", "").split())


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(str(NOTEBOOKS / name), as_version=4)


@pytest.mark.parametrize("name,edits", [
    ("example_assignment.ipynb", None), ("submissions/strong.ipynb", "STRONG"),
    ("submissions/typical_mistakes.ipynb", "TYPICAL_MISTAKES"), ("submissions/partly_blank.ipynb", "PARTLY_BLANK"),
])
def test_committed_notebooks_are_what_the_script_builds(build_examples, name, edits):
    built = build_examples.build(getattr(build_examples, edits) if edits else [])
    committed = read(name)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in built.cells]
    nbformat.validate(committed)


def test_template_is_blank(build_examples):
    nb = read("example_assignment.ipynb")
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert not any("**Answer:**" in c.source for c in nb.cells[1:])
    assert any("# TODO" in c.source for c in nb.cells if c.cell_type == "code")


def test_facts_recomputed_with_torch(build_examples, spec):
    facts = build_examples.verify_facts()
    assert facts["receptive_field"] == 26 and facts["empirical"] == (26, 26)
    dropout = spec.question("dropout/1").params
    assert (dropout["p1"], dropout["p2"]) == (0.3, 0.4)
    assert abs(facts["q"] - (1 - (1 - dropout["p1"]) * (1 - dropout["p2"]))) < 1e-12
    assert facts["shape"] == [4, 3, 9, 16]


def test_every_phrase_is_in_the_template(spec):
    nb = read("example_assignment.ipynb")
    cells = [fold(c.source) for c in nb.cells]
    for q in spec.questions:
        assert q.phrases, q.id
        for phrase in q.phrases:
            hits = [i for i, text in enumerate(cells) if fold(phrase) in text]
            assert len(hits) == 1, (q.id, phrase, hits)


def test_headings_are_the_spec_sections(spec):
    nb = read("example_assignment.ipynb")
    headings = [c.source[4:] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("### ")]
    assert headings == [s.heading for s in spec.sections]
    assert [re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-") for h in headings] == [s.slug for s in spec.sections]


def test_spec_code_parameters_are_the_template_code(spec):
    code = "\n".join(c.source for c in read("example_assignment.ipynb").cells if c.cell_type == "code")
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    assert squash(spec.question("convolutional-networks/2").params["model_code"]) in squash(code)
    assert squash(spec.question("embeddings/1").params["snippet"]) in squash(code)
    for name in spec.question("numerical-gradients/1").fetch:
        assert re.search(rf"\b{name}\b", code), name


def _errors(nb):
    return [(i, o.ename) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


def test_saved_outputs(build_examples):
    assert _errors(read("submissions/strong.ipynb")) == []
    assert _errors(read("submissions/typical_mistakes.ipynb")) == []
    blank = read("submissions/partly_blank.ipynb")
    errors = _errors(blank)
    assert [e for _, e in errors] == ["ModuleNotFoundError", "NameError"]
    stale = [i for i, c in enumerate(blank.cells) if c.source == build_examples.STALE_CELL_SOURCE]
    assert stale and stale[0] == errors[0][0]
    assert "print(grad_W)" == blank.cells[errors[1][0]].source
    outputs = "".join(o.get("text", "") for c in read("submissions/strong.ipynb").cells
                      if c.cell_type == "code" for o in c.outputs)
    assert "True True" in outputs


def test_named_demonstrations_exist_and_agree_with_the_keys(spec):
    from checks import demonstrations

    named = [q for q in spec.questions if q.demonstration]
    assert named
    for q in named:
        assert q.demonstration in demonstrations.names(), q.id
        assert demonstrations.run_demonstration(q.demonstration).key == q.key, q.id
