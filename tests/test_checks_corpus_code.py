"""The question code of every real notebook in ../shared/corpus is rebuilt (never executed) to the known truth."""
from __future__ import annotations

from functools import lru_cache

import nbformat
import pytest

from checks.engines.gradient_flow import measure_gradient_flow
from checks.engines.snippet_shape import snippet_shape
from checks.receptive_field import receptive_field_truth
from corpus_paths import NOTEBOOKS

CORPUS = NOTEBOOKS

pytestmark = pytest.mark.corpus


@lru_cache(maxsize=1)
def _all_code_cells() -> tuple[tuple[str, str], ...]:
    return tuple((path.name, cell.source) for path in sorted(CORPUS.glob("*.ipynb"))
                 for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")


def _code_cells(marker: str) -> list[tuple[str, str]]:
    cells = [(name, source) for name, source in _all_code_cells() if marker in source]
    assert cells, f"no code cell with {marker!r} in the corpus"
    return cells


def test_every_cnn_cell_has_receptive_field_112():
    for name, source in _code_cells("cnn = nn.Sequential("):
        truth = receptive_field_truth(source, 1024)
        assert truth.analytic == truth.empirical == (112, 112), name


def test_every_pirates_mlp_vanishes_and_its_repeat_count_is_read():
    for name, source in _code_cells("mlpirate = nn.Sequential"):
        flow = measure_gradient_flow(source, "mlpirate")
        assert flow.verdict == "vanishing", name
        compact = source.replace(" ", "")
        assert len(flow.norms) == (44 if ("]*42" in compact or "]*N" in compact) else 26), name


def test_every_embedding_snippet_gives_the_key_shape():
    for name, source in _code_cells("nn.Embedding(num_embeddings=42"):
        assert snippet_shape(source, "Y") == (5, 6, 7, 8, 42000), name


def test_the_dropout_cells_unassigned_model_is_rebuilt():
    for name, source in _code_cells("nn.Dropout(p=p1)"):
        truth = receptive_field_truth(source)
        assert truth.analytic == (3, 3), name
