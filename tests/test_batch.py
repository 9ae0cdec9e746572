"""Batch review: resume after a killed run, a bad file mid-batch, a crashing worker, outputs.

A fast fake audit function stands in for the pipeline where the real one is not needed: it
reads ``ANSWER <question>: <value> <text>`` lines from the notebook's markdown cells and judges
them against a fixed truth, returning real model objects (so the real report writer runs).
Control files next to the submissions folder steer it in the worker processes (env vars would
not reach a forkserver started earlier): ``control/gate`` must exist before notebooks marked
``WAIT`` finish, ``control/log-<run>`` records each finished audit.
"""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from auditor.batch.discover import discover, submission_ids
from auditor.batch.runner import BatchUsageError, run_batch
from auditor.models import (AuditResult, ExecStatus, ExecutionResult, QuestionResult, SpecMatch, Status)
from auditor.batch.cache import ResultCache, code_fingerprint

TRUTH = {"cnns/3": 112, "dropout/1": 0.28, "rnn/2": 5}
_ANSWER = re.compile(r"ANSWER (\S+): (\S+) ?(.*)")


def fake_audit(path, *, assignment="auto", execute=True, timeout_cell=60, timeout_total=600, sandbox=True):
    from auditor.load.notebook import load_notebook

    nb = load_notebook(path)  # InputError for broken files, as the real pipeline
    text = "\n".join(c.source for c in nb.cells)
    control = Path(path).resolve().parent.parent / "control"
    if "CRASH_WORKER" in text:
        os._exit(7)  # a hard crash of the worker process
    if "WAIT" in text:
        while not (control / "gate").exists():
            time.sleep(0.02)
    questions = []
    found = {}
    for cell in nb.cells:
        for line in cell.source.splitlines():
            m = _ANSWER.match(line)
            if m:
                found[m.group(1)] = (m.group(2), m.group(3), cell.index)
    for qid, truth in TRUTH.items():
        if qid not in found:
            questions.append(QuestionResult(id=qid, status=Status.UNANSWERED, check="fake", expected=truth,
                                            max_points=1.0))
            continue
        raw, rest, cell = found[qid]
        claimed = float(raw) if "." in raw else int(raw)
        ok = claimed == truth
        questions.append(QuestionResult(
            id=qid, status=Status.PASS if ok else Status.FAIL, check="fake", claimed=claimed, expected=truth,
            message="", evidence=f"ANSWER {qid}: {raw}", cells=(cell,), answer_excerpt=f"{raw} {rest}".strip(),
            points=1.0 if ok else 0.0, max_points=1.0,
        ))
    for log in control.glob("log-*"):
        if log.is_dir():
            (log / nb.name).write_text("done")
    explanation = "fake" if assignment == "auto" else "spec: " + Path(assignment).read_text().strip()
    return AuditResult(
        notebook=str(path), sha256=nb.sha256, assignment=SpecMatch(spec=None, score=0.0, explanation=explanation),
        questions=tuple(questions), execution=ExecutionResult(status=ExecStatus.SKIPPED), auditor_version="test",
    )


def make_notebook(path: Path, *lines: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Homework")] + [nbformat.v4.new_markdown_cell(x) for x in lines]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


COPIED = ("the receptive field grows with every layer because each convolution adds its kernel size minus one "
          "times the product of all the previous strides and pooling multiplies that jump by two each time")


@pytest.fixture()
def klass(tmp_path):
    sub = tmp_path / "submissions"
    make_notebook(sub / "alice.ipynb", "ANSWER cnns/3: 112 " + COPIED, "ANSWER dropout/1: 0.28 fine")
    make_notebook(sub / "bob.ipynb", "ANSWER cnns/3: 125 " + COPIED, "ANSWER dropout/1: 0.12 using p1 p2")
    make_notebook(sub / "carol (2) <script>.ipynb", "ANSWER cnns/3: 125 two convs then pool",
                  "ANSWER dropout/1: 0.28")
    make_notebook(sub / "dave.ipynb", "ANSWER cnns/3: 54 the output size", "ANSWER rnn/2: 5")
    (sub / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (sub / "notes.ipynb").write_text('{"hello": 1}', encoding="utf-8")
    return tmp_path


def test_batch_records_bad_files_and_goes_on(klass):
    out = klass / "out"
    summary = run_batch(klass / "submissions", out_dir=out, jobs=2, audit_fn=fake_audit, progress=False)
    by_file = {e["file"]: e for e in summary.submissions}
    assert len(by_file) == 6
    assert by_file["broken.ipynb"]["status"] == "not-audited"
    assert "invalid JSON" in by_file["broken.ipynb"]["reason"]
    assert by_file["notes.ipynb"]["status"] == "not-audited"
    assert "not a Jupyter notebook" in by_file["notes.ipynb"]["reason"]
    assert by_file["alice.ipynb"]["status"] == "audited"
    assert by_file["bob.ipynb"]["counts"]["fail"] == 2
    assert summary.exit_code == 2    # unreadable submissions: as in `gate`, the worst one decides
    assert summary.audited_now == 6 and summary.from_cache == 0
    # per-submission reports, real HTML writer
    for e in summary.submissions:
        assert (out / e["json"]).is_file()
        assert (out / e["html"]).is_file()
    html = (out / by_file["carol (2) <script>.ipynb"]["html"]).read_text()
    assert "<script>" not in html
    summary_json = json.loads((out / "summary.json").read_text())
    assert [s["file"] for s in summary_json["submissions"]] == sorted(by_file)
    assert {n["file"] for n in summary_json["not_audited"]} == {"broken.ipynb", "notes.ipynb"}
    index = (out / "index.html").read_text()
    assert "could not be audited" in index and "invalid JSON" in index


def test_rerun_serves_everything_from_the_cache(klass):
    out = klass / "out"
    first = run_batch(klass / "submissions", out_dir=out, jobs=2, audit_fn=fake_audit, progress=False)
    (klass / "control" / "log-second").mkdir(parents=True)
    second = run_batch(klass / "submissions", out_dir=out, jobs=2, audit_fn=fake_audit, progress=False)
    assert second.from_cache == 6 and second.audited_now == 0
    assert list((klass / "control" / "log-second").iterdir()) == []
    assert [e["result"] for e in first.submissions] == [e["result"] for e in second.submissions]
    # a changed notebook is audited again, the rest still come from the cache
    make_notebook(klass / "submissions" / "dave.ipynb", "ANSWER cnns/3: 112")
    third = run_batch(klass / "submissions", out_dir=out, jobs=1, audit_fn=fake_audit, progress=False)
    assert third.audited_now == 1 and third.from_cache == 5
    assert [p.name for p in (klass / "control" / "log-second").iterdir()] == ["dave.ipynb"]


def test_a_crashing_worker_is_recorded_and_the_batch_goes_on(klass):
    make_notebook(klass / "submissions" / "crash.ipynb", "CRASH_WORKER")
    summary = run_batch(klass / "submissions", out_dir=klass / "out", jobs=2, audit_fn=fake_audit, progress=False)
    by_file = {e["file"]: e for e in summary.submissions}
    assert by_file["crash.ipynb"]["status"] == "not-audited"
    assert "worker process died" in by_file["crash.ipynb"]["reason"]
    assert sum(1 for e in summary.submissions if e["status"] == "audited") == 4
    assert summary.exit_code == 3  # a crash of our own process is an internal error, not the student's


def _module_root(fn) -> str:
    """The sys.path entry from which ``fn.__module__`` imports (tests/ or the repo root)."""
    return str(Path(__file__).resolve().parents[fn.__module__.count(".")])


def test_kill_9_mid_run_then_rerun_loses_and_duplicates_nothing(tmp_path):
    sub = tmp_path / "submissions"
    names = [f"s{i:02d}.ipynb" for i in range(8)]
    for i, name in enumerate(names):
        # the last four block until control/gate exists: the first run can never finish them
        make_notebook(sub / name, f"ANSWER cnns/3: {110 + i} some words", *(["WAIT"] if i >= 4 else []))
    (tmp_path / "control" / "log-first").mkdir(parents=True)
    out = tmp_path / "out"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import importlib; m = importlib.import_module(sys.argv[2]);"
        "from auditor.batch.runner import run_batch;"
        "run_batch(sys.argv[3], out_dir=sys.argv[4], jobs=2, audit_fn=m.fake_audit, progress=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, _module_root(fake_audit), fake_audit.__module__,
                             str(sub), str(out)])
    cache = ResultCache(out / ".cache")
    try:
        deadline = time.monotonic() + 120
        while len(cache) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the first run ended on its own"
        assert len(cache) == 4
        family = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    for p in family:  # its orphaned workers (they were blocked on the gate)
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    done_first = {p.name for p in (tmp_path / "control" / "log-first").iterdir()}
    assert done_first == set(names[:4])
    assert not (out / "summary.json").exists()  # killed before the end

    for p in (tmp_path / "control" / "log-first").iterdir():
        p.unlink()
    (tmp_path / "control" / "log-first").rmdir()
    (tmp_path / "control" / "log-second").mkdir()
    (tmp_path / "control" / "gate").write_text("go")
    code_fingerprint.cache_clear()  # the killed run hashed the code afresh; so does a real rerun
    summary = run_batch(sub, out_dir=out, jobs=2, audit_fn=fake_audit, progress=False)
    redone = {p.name for p in (tmp_path / "control" / "log-second").iterdir()}
    assert redone == set(names[4:])                      # nothing finished was audited again
    assert summary.from_cache == 4 and summary.audited_now == 4
    assert [e["file"] for e in summary.submissions] == names   # nothing lost, nothing twice
    assert all(e["status"] == "audited" for e in summary.submissions)
    claimed = [e["result"]["questions"][0]["claimed"] for e in summary.submissions]
    assert claimed == [110 + i for i in range(8)]
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [r["student_id"] for r in rows] == [n[:-6] for n in names]
    assert len(cache) == 8


def test_interrupt_keeps_what_is_done(klass, monkeypatch):
    import auditor.batch.runner as batch

    real = batch._run_local

    def interrupted(todo, on_result, *, jobs):
        real(todo[:2], on_result, jobs=jobs)
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "_run_local", interrupted)
    summary = run_batch(klass / "submissions", out_dir=klass / "out", jobs=1, audit_fn=fake_audit, progress=False)
    assert summary.interrupted
    statuses = [e["status"] for e in summary.submissions]
    assert statuses.count("not-run") == 4
    assert len(ResultCache(klass / "out" / ".cache")) == 2
    monkeypatch.setattr(batch, "_run_local", real)
    again = run_batch(klass / "submissions", out_dir=klass / "out", jobs=2, audit_fn=fake_audit, progress=False)
    assert again.from_cache == 2 and again.audited_now == 4 and not again.interrupted


def test_usage_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchUsageError, match="no notebook"):
        run_batch(tmp_path / "empty", out_dir=tmp_path / "out", audit_fn=fake_audit, progress=False)
    make_notebook(tmp_path / "one" / "a.ipynb", "x")
    with pytest.raises(BatchUsageError, match="named group"):
        run_batch(tmp_path / "one", out_dir=tmp_path / "out", audit_fn=fake_audit, id_pattern="a(.*)",
                  progress=False)
    with pytest.raises(BatchUsageError, match="nope.toml: no such spec file"):
        run_batch(tmp_path / "one", out_dir=tmp_path / "out", audit_fn=fake_audit,
                  assignment=str(tmp_path / "nope.toml"), progress=False)


def test_discover_skips_checkpoints_and_output(tmp_path):
    make_notebook(tmp_path / "c" / "a.ipynb", "x")
    make_notebook(tmp_path / "c" / ".ipynb_checkpoints" / "a-checkpoint.ipynb", "x")
    make_notebook(tmp_path / "c" / "sub dir" / "b (1).ipynb", "x")
    make_notebook(tmp_path / "c" / "out" / "c.ipynb", "x")
    found = discover(tmp_path / "c", exclude=[tmp_path / "c" / "out"])
    assert found.root == tmp_path / "c"
    assert [str(f.relative_to(found.root)) for f in found.files] == ["a.ipynb", "sub dir/b (1).ipynb"]
    assert len(discover(str(tmp_path / "c" / "**" / "*.ipynb")).files) == 3
    assert submission_ids(["sub dir/b (1).ipynb", "a.ipynb", "A.ipynb", "<script>.ipynb"])[:3] == [
        "sub_dir_b_1", "a", "A-" + __import__("hashlib").sha256(b"A.ipynb").hexdigest()[:8]]
    assert submission_ids(["<script>.ipynb"]) == ["script"]


def test_nbgrader_layout_ids_and_identical_copies(tmp_path):
    sub = tmp_path / "submitted"
    for student in ("s001", "s002"):
        make_notebook(sub / student / "ps1" / "hw.ipynb", "ANSWER cnns/3: 112 same text")
    summary = run_batch(sub, out_dir=tmp_path / "out", jobs=1, audit_fn=fake_audit, progress=False,
                        id_pattern=r"(?P<id>s\d+)/ps1/")
    assert [e["student_id"] for e in summary.submissions] == ["s001", "s002"]
    assert [e["id"] for e in summary.submissions] == ["s001_ps1_hw", "s002_ps1_hw"]
    # identical bytes, two students: each report carries its own file name
    for e in summary.submissions:
        assert json.loads((tmp_path / "out" / e["json"]).read_text())["notebook"] == e["file"]
        assert e["file"] in (tmp_path / "out" / e["html"]).read_text()
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open(encoding="utf-8")))
    assert [(r["student_id"], r["total"]) for r in rows] == [("s001", "1"), ("s002", "1")]


def test_freed_workers_get_their_next_task_before_results_are_written(tmp_path):
    """The parent writes a result's report files and cache entry only after the worker that
    produced it has its next task (a worker never waits on the parent's writing)."""
    from collections import deque

    from auditor.batch.local_pool import drive_pool
    from auditor.batch.runner import _Submission
    from auditor.batch.task import AuditTask, Job

    subs = [make_notebook(tmp_path / "s" / f"n{i}.ipynb", f"ANSWER cnns/3: {100 + i}") for i in range(7)]
    pending = deque(Job(_Submission(path=p, relpath=p.name, id=p.stem, student_id=p.stem, id_matched=True),
                        AuditTask(display=p.name, path=str(p), audit_fn=fake_audit)) for p in subs)
    inflight: dict = {}
    seen = []

    def on_result(s, payload):
        assert payload["result"]["notebook"] == s.relpath
        seen.append((len(pending), len(inflight)))

    drive_pool(pending, inflight, on_result, jobs=2, zygote_file=None)
    assert len(seen) == 7 and not pending and not inflight
    # whenever work was still waiting, both workers already had a task when a result was written
    assert [in_flight for waiting, in_flight in seen if waiting] == [2] * sum(1 for w, _ in seen if w)
    assert sum(1 for w, _ in seen if w) >= 3
