"""The order of the stages is written once (auditor.pipeline.STAGES); README's list matches it."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

from auditor.pipeline import STAGES

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_stages() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## The pipeline\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. \*\*([^*]+)\*\* \(`([^`]+)`", section, flags=re.M)


def test_readme_lists_the_stages_of_the_pipeline_in_order():
    listed = _readme_stages()
    assert [name.lower() for name, _ in listed] == [s.name for s in STAGES]
    assert [where for _, where in listed] == [s.package.replace(".", "/") + "/" for s in STAGES]


def test_every_stage_is_a_package_that_imports():
    assert len({s.name for s in STAGES}) == len(STAGES)
    for stage in STAGES:
        module = importlib.import_module(stage.package)
        assert Path(module.__file__).name == "__init__.py" and module.__doc__, stage.package
