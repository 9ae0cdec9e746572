"""The --scheduler path: the same batch on a Dask distributed cluster (a LocalCluster on loopback)."""
from __future__ import annotations

import json

import pytest

from auditor.assignment.spec import SPECS_DIR
from auditor.batch.runner import run_batch

distributed = pytest.importorskip("distributed")

from test_batch import fake_audit, make_notebook  # noqa: E402  (same folder, on sys.path under pytest)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as c:
        yield c


def test_dask_batch_gives_the_same_outputs_and_shares_the_cache(tmp_path, cluster):
    sub = tmp_path / "submissions"
    make_notebook(sub / "a.ipynb", "ANSWER cnns/3: 112 fine")
    make_notebook(sub / "b b (1).ipynb", "ANSWER cnns/3: 125 wrong", "ANSWER dropout/1: 0.28")
    (sub / "bad.ipynb").write_text("not json", encoding="utf-8")

    on_dask = run_batch(sub, out_dir=tmp_path / "dask", scheduler=cluster.scheduler_address, audit_fn=fake_audit,
                        progress=False)
    local = run_batch(sub, out_dir=tmp_path / "local", jobs=1, audit_fn=fake_audit, progress=False)
    assert [e["file"] for e in on_dask.submissions] == ["a.ipynb", "b b (1).ipynb", "bad.ipynb"]
    assert [e["status"] for e in on_dask.submissions] == ["audited", "audited", "not-audited"]
    assert "invalid JSON" in on_dask.submissions[2]["reason"]
    assert [e["result"]["questions"] for e in on_dask.submissions] == [e["result"]["questions"] for e in local.submissions]
    assert on_dask.exit_code == local.exit_code == 2   # bad.ipynb cannot be read
    for name in ("index.html", "summary.json", "grades.csv"):
        assert (tmp_path / "dask" / name).is_file()
    assert (tmp_path / "dask" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    assert json.loads((tmp_path / "dask" / "submissions" / "a.json").read_text())["notebook"] == "a.ipynb"

    # same cache: a local rerun into the Dask run's folder audits nothing again
    again = run_batch(sub, out_dir=tmp_path / "dask", jobs=1, audit_fn=fake_audit, progress=False)
    assert again.from_cache == 3 and again.audited_now == 0


SHIPPED_EXAMPLE = SPECS_DIR / "example.toml"


def test_dask_ships_the_spec_to_the_workers(tmp_path, cluster):
    make_notebook(tmp_path / "c" / "a.ipynb", "ANSWER cnns/3: 112")
    spec = tmp_path / "my spec.toml"
    text = SHIPPED_EXAMPLE.read_text(encoding="utf-8").strip()
    spec.write_text(text, encoding="utf-8")
    for where, kw in (("dask", {"scheduler": cluster.scheduler_address}), ("local", {"jobs": 1})):
        s = run_batch(tmp_path / "c", out_dir=tmp_path / where, assignment=str(spec), audit_fn=fake_audit,
                      progress=False, **kw)
        assert s.submissions[0]["result"]["assignment"]["explanation"] == "spec: " + text
    # another spec is another cache key
    spec.write_text(text + "\n# another version", encoding="utf-8")
    s = run_batch(tmp_path / "c", out_dir=tmp_path / "local", assignment=str(spec), audit_fn=fake_audit,
                  progress=False, jobs=1)
    assert s.audited_now == 1
    assert s.submissions[0]["result"]["assignment"]["explanation"] == "spec: " + text + "\n# another version"


def test_dask_ships_the_specs_a_spec_extends(tmp_path, cluster):
    """A course's variant spec that extends a base in its own folder: remote workers get both."""
    import nbformat

    specs = tmp_path / "course specs"
    specs.mkdir()
    (specs / "base.toml").write_text(
        '[assignment]\nid = "course-base"\ntitle = "Base"\n\n[[sections]]\nslug = "q"\nheading = "Questions"\n\n'
        '[[questions]]\nid = "q/1"\nphrases = ["How many legs does a spider have"]\nclaim = "number"\n'
        'check = "keyed_number"\nkey = 8\n', encoding="utf-8")
    variant = specs / "variant.toml"
    variant.write_text('extends = "course-base"\n\n[assignment]\nid = "course-variant"\n\n'
                       '[[questions]]\nid = "q/1"\nkey = 6\n', encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Questions"),
                nbformat.v4.new_markdown_cell("**Question 1.** How many legs does a spider have?"),
                nbformat.v4.new_markdown_cell("**Answer:** 8")]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    got = {}
    for where, kw in (("dask", {"scheduler": cluster.scheduler_address}), ("local", {"jobs": 1})):
        s = run_batch(tmp_path / "c", out_dir=tmp_path / where, assignment=str(variant), execute=False,
                      progress=False, **kw)
        assert s.submissions[0]["status"] == "audited", s.submissions[0]
        got[where] = [(q["id"], q["status"], q["claimed"], q["expected"]) for q in s.submissions[0]["result"]["questions"]]
    assert got["dask"] == got["local"] == [("q/1", "fail", 8, 6)]
