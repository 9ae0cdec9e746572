"""One core under the four entry points: `auditor audit`, `auditor batch`, `auditor gate`, `pytest --audit`.

Table-driven: each entry point takes the same shared options (auditor.options) and maps the same
situations to the same exit codes; a bad spec and degraded isolation with --require-sandbox are
usage errors (2) before any notebook is audited; degraded isolation otherwise prints one warning
line on stderr, the sandbox being probed once per run.  The pipeline is replaced by the
hand-built results of tests/gate_fakes.py (chosen by the notebook's file name), so no kernel runs.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import auditor.execute.isolation as isolation
import auditor.pipeline as pipeline   # imported here: pytester's module snapshot then keeps this one
from auditor.cli import build_parser, main
from auditor.execute.isolation import Layer
from auditor.gate import run as gate_module
from auditor.options import SHARED_OPTIONS, SPECS_ENV, AuditOptions, options_from_args, options_from_pytest
from gate_fakes import FakeAudit, QUIET_PLUGINS, write_notebook

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent
ENTRY_POINTS = ("audit", "batch", "gate", "pytest")
DEGRADED = (Layer("network", True, "bwrap"), Layer("filesystem", False, "not isolated", "apt-get install bubblewrap"),
            Layer("warm kernels", False, "needs bwrap", "apt-get install bubblewrap"))
WARNING = ("auditor: warning: kernel isolation degraded (filesystem, warm kernels); "
           "run `auditor doctor` for details")

#: the inner pytest that ends in a usage error runs in a subprocess (pytest.exit before the session
#: is more than pytester's in-process run can take); it gets the same fakes through a conftest
CONFTEST = f"""
import os, sys
sys.path.insert(0, {str(TESTS)!r})
from gate_fakes import FakeAudit
import auditor.gate.run as gate_module
import auditor.execute.isolation as isolation
gate_module.default_audit_function = lambda: FakeAudit()
if os.environ.get("FAKE_DEGRADED"):
    from auditor.execute.isolation import Layer
    DEGRADED = (Layer("network", True, "bwrap"), Layer("filesystem", False, "not isolated", "install bwrap"),
                Layer("warm kernels", False, "needs bwrap", "install bwrap"))
    isolation.probe_layers = lambda policy=None, python=None: DEGRADED
"""


def _pytest_argv(argv: list[str]) -> list[str]:
    """The same options as the CLI's, spelled the pytest way (``--audit-NAME``)."""
    return ["--audit", *(f"--audit-{a[2:]}" if a.startswith("--") else a for a in argv)]


class Runner:
    """Runs one entry point on one notebook folder with the fake pipeline; (exit code, stderr)."""

    def __init__(self, tmp_path: Path, monkeypatch, capsys, request) -> None:
        self.tmp, self.monkeypatch, self.capsys, self.request = tmp_path, monkeypatch, capsys, request
        self.fake = FakeAudit()
        monkeypatch.setattr(gate_module, "default_audit_function", lambda: self.fake)
        monkeypatch.setattr(pipeline, "audit", self.fake)
        self.batch_out = tmp_path / "batch-out"
        import auditor.batch.runner as runner

        real = runner.run_batch
        # the batch CLI with the fake pipeline in its worker processes
        monkeypatch.setattr(runner, "run_batch", lambda *a, **kw: real(*a, audit_fn=self.fake, **kw))

    def degrade(self) -> list:
        calls = []

        def probe(policy=None, python=None):
            calls.append(policy)
            return DEGRADED
        self.monkeypatch.setattr(isolation, "probe_layers", probe)
        self.monkeypatch.setenv("FAKE_DEGRADED", "1")
        return calls

    def folder(self, entry: str, *stems: str) -> Path:
        """A folder with a notebook per stem; for pytest, below the inner pytest's conftest."""
        # (pytester only there: it restores sys.modules after each test, and the batch's fork
        # server, re-imported, would start again with its seconds of preloads)
        base = self.request.getfixturevalue("pytester").path if entry == "pytest" else self.tmp
        folder = base / "nbs"
        for stem in stems:
            write_notebook(folder / f"{stem}.ipynb")
        return folder

    def __call__(self, entry: str, folder: Path, *argv: str, usage_error: bool = False) -> tuple[int, str]:
        argv = [str(a) for a in argv]
        if entry == "pytest":
            pytester = self.request.getfixturevalue("pytester")
            if usage_error:
                pytester.makeconftest(CONFTEST)
                result = pytester.runpytest_subprocess(*QUIET_PLUGINS, *_pytest_argv(argv), str(folder))
            else:
                result = pytester.runpytest_inprocess(*QUIET_PLUGINS, *_pytest_argv(argv), str(folder))
            return int(result.ret), result.stderr.str()
        if entry == "audit":
            (nb,) = sorted(folder.glob("*.ipynb"))
            code = main(["audit", str(nb), "--out-dir", str(self.tmp / "reports"), "-q", *argv])
        elif entry == "batch":
            code = main(["batch", str(folder), "--out", str(self.batch_out), "--jobs", "1", "-q", *argv])
        else:
            code = main(["gate", str(folder), *argv])
        return code, self.capsys.readouterr().err


@pytest.fixture
def run(tmp_path, monkeypatch, capsys, request) -> Runner:
    monkeypatch.delenv(SPECS_ENV, raising=False)
    monkeypatch.delenv("FAKE_DEGRADED", raising=False)
    return Runner(tmp_path, monkeypatch, capsys, request)


# --------------------------------------------------------------------------- the same options

COMMON = ["--assignment", "none", "--fail-on", "fail,review", "--no-execute", "--timeout-cell", "7",
          "--timeout-total", "70", "--no-sandbox"]


def test_every_entry_point_reads_the_same_options_into_the_same_object(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv(SPECS_ENV, f"{tmp_path / 'env-a'}:{tmp_path / 'env-b'}:")
    argv = [*COMMON, "--specs", str(tmp_path / "cli")]
    expected = AuditOptions(assignment="none", spec_dirs=(str(tmp_path / "cli"), str(tmp_path / "env-a"),
                                                          str(tmp_path / "env-b")),
                            execute=False, timeout_cell=7.0, timeout_total=70.0, sandbox=False,
                            fail_on=frozenset({"fail", "review"}))
    parser = build_parser()
    got = {cmd: options_from_args(parser.parse_args([cmd, "x.ipynb", *argv])) for cmd in ("audit", "batch", "gate")}
    got["pytest"] = options_from_pytest(pytester.parseconfig(*_pytest_argv(argv)))
    assert got == dict.fromkeys(ENTRY_POINTS, expected)
    # the defaults agree too
    got = {cmd: options_from_args(parser.parse_args([cmd, "x.ipynb"])) for cmd in ("audit", "batch", "gate")}
    got["pytest"] = options_from_pytest(pytester.parseconfig("--audit"))
    assert got == dict.fromkeys(ENTRY_POINTS, AuditOptions(spec_dirs=(str(tmp_path / "env-a"),
                                                                      str(tmp_path / "env-b"))))


@pytest.mark.parametrize("command", ("audit", "batch", "gate"))
def test_every_shared_option_is_in_the_help_and_the_old_timeout_spelling_still_works(command, capsys):
    assert main([command, "--help"]) == 0
    shown = capsys.readouterr().out
    assert all(f"--{opt.name}" in shown for opt in SHARED_OPTIONS)
    assert "--timeout " not in shown and "--timeout S" not in shown     # hidden: the old spelling
    args = build_parser().parse_args([command, "x.ipynb", "--timeout", "5"])
    assert options_from_args(args).timeout_total == 5.0


# --------------------------------------------------------------------------- the same exit codes

CASES = [
    # (notebooks, extra options, exit code, the line stderr shows or None)
    pytest.param(("good",), (), 0, None, id="passes"),
    pytest.param(("bad",), (), 1, None, id="findings"),
    pytest.param(("unreadable",), (), 2, None, id="unreadable-notebook"),
    pytest.param(("crash",), (), 3, None, id="internal-error"),
    pytest.param(("good",), ("--fail-on", "wrong"), 2, "--fail-on: unknown item(s) wrong", id="bad-fail-on"),
    pytest.param(("good",), ("--timeout-total", "0"), 2, "--timeout-total: must be a positive", id="bad-timeout"),
    pytest.param(("good",), ("--assignment", "missing.toml"), 2, "missing.toml: no such spec file", id="bad-spec"),
    pytest.param(("good",), ("--assignment", "no-such-id"), 2, "no-such-id: neither a spec file nor a",
                 id="unknown-spec-id"),
    pytest.param(("good",), ("--require-sandbox", "--no-sandbox"), 2, "contradict", id="require-and-no-sandbox"),
]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(("stems", "extra", "code", "says"), CASES)
def test_the_same_situation_gives_the_same_exit_code(run, tmp_path, entry, stems, extra, code, says):
    got, err = run(entry, run.folder(entry, *stems), *extra, usage_error=bool(says))
    assert got == code, err
    if says:
        assert says in err
        assert run.fake.calls == []              # usage errors come before any notebook
        assert not (run.batch_out / "submissions").exists()


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_bad_spec_in_an_extra_spec_folder_is_a_usage_error(run, tmp_path, entry):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "broken.toml").write_text("id = 'x'\n[[question\n", encoding="utf-8")
    got, err = run(entry, run.folder(entry, "good"), "--specs", specs, usage_error=True)
    assert got == 2 and "broken.toml" in err and len(err.strip().splitlines()) == 1
    got, err = run(entry, run.folder(entry, "good"), "--specs", tmp_path / "nowhere", usage_error=True)
    assert got == 2 and "nowhere: not a folder of specs" in err


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_assignment_none_and_a_shipped_id_are_accepted(run, tmp_path, entry):
    assert run(entry, run.folder(entry, "good"), "--assignment", "none")[0] == 0
    assert run(entry, run.folder(entry, "good"), "--assignment", "example")[0] == 0
    if entry != "batch":    # (there the fake ran in the worker processes)
        assert [o["assignment"] if isinstance(o["assignment"], str) else o["assignment"].id
                for _, o in run.fake.calls if o["execute"]] == ["none", "example"]


# --------------------------------------------------------------------------- isolation

@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_degraded_isolation_prints_one_warning_line_per_run(run, tmp_path, entry):
    probes = run.degrade()
    stems = ("good",) if entry == "audit" else ("good", "bad")
    got, err = run(entry, run.folder(entry, *stems))
    assert got == (0 if entry == "audit" else 1), err
    assert [ln for ln in err.splitlines() if "isolation" in ln] == [WARNING]
    assert len(probes) == 1                      # probed once, not per notebook


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_require_sandbox_turns_degraded_isolation_into_exit_2_before_any_student_code(run, tmp_path, entry):
    run.degrade()
    got, err = run(entry, run.folder(entry, "good"), "--require-sandbox", usage_error=True)
    assert got == 2
    assert "--require-sandbox: kernel isolation degraded (filesystem, warm kernels)" in err
    assert run.fake.calls == [] and not (run.batch_out / "submissions").exists()


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_no_execute_runs_no_student_code_so_nothing_is_probed(run, tmp_path, entry):
    probes = run.degrade()
    got, err = run(entry, run.folder(entry, "good"), "--no-execute", "--require-sandbox")
    assert got == 0, err
    assert "isolation" not in err and probes == []


def test_full_isolation_prints_nothing(run, tmp_path, monkeypatch):
    active = tuple(Layer(n, True, "on") for n in isolation.LAYERS)
    monkeypatch.setattr(isolation, "probe_layers", lambda policy=None, python=None: active)
    got, err = run("gate", run.folder("gate", "good"), "--require-sandbox")
    assert got == 0 and err == ""
