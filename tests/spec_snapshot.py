"""A loaded spec as plain JSON-able data (everything but the file path), for snapshot tests.

The snapshot in tests/golden/shipped_specs.json was taken from the shipped specs as they loaded
BEFORE the dl_summary_* files were rewritten to share questions through ``extends``; the rewrite
must load to exactly the same specs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from auditor.models import thaw

SNAPSHOT = Path(__file__).parent / "golden" / "shipped_specs.json"
#: question fields added after the snapshot was taken: left out while they hold their default
ADDED_SINCE = frozenset({"answer_names"})


def spec_data(spec) -> dict:
    data = {f.name: thaw(getattr(spec, f.name)) for f in dataclasses.fields(spec) if f.name != "path"}
    # the template fingerprint (kilobytes of hashes) by its digest
    data["template"] = hashlib.sha256(json.dumps(data["template"], sort_keys=True).encode()).hexdigest()
    data["questions"] = [{f.name: thaw(getattr(q, f.name)) for f in dataclasses.fields(q)
                          if not (f.name in ADDED_SINCE and getattr(q, f.name) == f.default)} for q in spec.questions]
    data["sections"] = [{f.name: thaw(getattr(s, f.name)) for f in dataclasses.fields(s)} for s in spec.sections]
    return json.loads(json.dumps(data))


def write_snapshot(specs) -> None:  # pragma: no cover - run once by hand, before the rewrite
    SNAPSHOT.write_text(json.dumps({s.id: spec_data(s) for s in specs}, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":  # pragma: no cover
    from auditor.assignment.spec import shipped_specs

    write_snapshot([s for s in shipped_specs() if s.id.startswith("dl-summary-")])
