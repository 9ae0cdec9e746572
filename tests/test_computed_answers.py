"""Answers that the student's code computes: which variables hold them (read from the template),
their values from the sandboxed kernel after the answer ran, and the course's data files (--data).

The notebooks here are written for these tests (an nbgrader-style assignment over a small CSV)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from auditor.assignment.answer_names import answer_names, fixed_by_text, result_names, stub_names
from auditor.claims.code_value import printed_values, read_code_value
from auditor.claims.kernel_value import from_kernel, wanted
from auditor.models import Answer, CellError, Claim, QuestionSpec, Segment
from convention_notebooks import STUB, _g, write

# --------------------------------------------------------------------------- answer variables


def test_stub_names_are_the_placeholders_the_student_fills():
    code = "mu = ...\nsigma = ...\nx = np.linspace(0, 1, 5)\na, b = ...\nf_x = ...  # the curve\n"
    assert stub_names(code) == ["mu", "sigma", "a", "b", "f_x"]
    assert stub_names("def f(:\n") == []            # a template that does not parse: nothing guessed


@pytest.mark.parametrize("text", ["with $\\mu = 61$ and", "with mu=61", "with μ = 61", "where $\\mu=-2$"])
def test_a_name_whose_value_the_question_states_is_an_input(text):
    assert fixed_by_text("mu", text)


@pytest.mark.parametrize("text", ["use the $\\mu$ you found", "mu is the mean", "emu = 3", "$\\mu$ equals your choice"])
def test_a_name_merely_mentioned_is_not_fixed(text):
    assert not fixed_by_text("mu", text)


def test_answer_names_keep_the_named_unfixed_placeholders():
    text = "Overlay the curve with $\\mu = 61$ and $\\sigma$ equal to the value you chose above."
    code = "mu = ...\nsigma = ...\ncurve = ...\nplot(curve)"
    assert answer_names(text, [code]) == ("sigma",)
    # none of the free ones named: all of them
    assert answer_names("Fill in the cell.", ["first = ...\nsecond = ..."]) == ("first", "second")


def test_answer_names_from_functions_the_student_completes():
    code = ("def slope(x, y):\n    ...\n\ndef intercept(x, y):\n    \"\"\"The intercept.\"\"\"\n    ...\n\n"
            "# do not edit below this line\nb = slope(xs, ys)\na = intercept(xs, ys)\nfit = a + b * xs\n")
    assert result_names(code) == ["b", "a"]
    assert answer_names("Define both functions.", [code]) == ("b", "a")


# --------------------------------------------------------------------------- reading from the code


def _code_answer(*segments: tuple[str, str]) -> Answer:
    return Answer("q/1", True, tuple(Segment(3, text, source) for source, text in segments), "code")


def test_named_variables_only_and_all_of_them():
    answer = _code_answer(("code", "alpha = 0.01\nn_majors = len(set(rows))"))
    assert read_code_value("number", answer, ("n_majors",)) is None          # alpha is not the answer
    assert read_code_value("number", answer).value == 0.01                   # unnamed: the literal (as before)
    both = _code_answer(("code", "first = 3\nsecond = compute()"))
    assert read_code_value("number", both, ("first", "second")) is None      # one computed: the kernel decides


def test_a_named_literal_is_read_even_when_the_code_uses_it_and_notes_surround_it():
    answer = _code_answer(("code", "sigma = 4.9\ncurve = pdf(x, 61, sigma)"), ("markdown", "the curve is f(x) = 2 ..."))
    claim = read_code_value("number", answer, ("sigma",))
    assert claim is not None and claim.value == 4.9


def test_several_answer_variables_printed_one_per_line():
    answer = _code_answer(("code", "def slope(x, y):\n    return 2"), ("output", "5.25\n0.5\n<Figure size 640x480>"))
    claim = printed_values("number", answer, ("a", "b"))
    assert claim is not None and claim.value == [5.25, 0.5]
    assert printed_values("number", answer, ("a", "b", "c")) is None         # a count mismatch is not guessed
    assert printed_values("number", _code_answer(("output", "5.25\n0.5")), ("a",)) is None


# --------------------------------------------------------------------------- values from the kernel


def _q(claim: str = "number", names: tuple[str, ...] = ("n",)) -> QuestionSpec:
    return QuestionSpec(id="q/1", section="q", number=1, claim=claim, answer_names=names)


def test_wanted_only_for_code_answers_whose_claim_the_text_did_not_give():
    code = _code_answer(("code", "n = len(rows)"))
    assert wanted(_q(), code, Claim("number", readable=False)) == ("n",)
    assert wanted(_q(), code, Claim("number", 3)) == ()
    assert wanted(_q(), Answer("q/1", True, (Segment(2, "it is 3", "markdown"),)), None) == ()
    assert wanted(_q("cause"), code, Claim("cause", readable=False)) == ()


@pytest.mark.parametrize("kind,names,values,expected", [
    ("number", ("n",), {"n": 12}, 12),
    ("number", ("n",), {"n": np.array(7.5)}, 7.5),
    ("number", ("a", "b"), {"a": 1.5, "b": 2}, [1.5, 2]),
    ("verdict", ("ok",), {"ok": True}, "true"),
    ("verdict", ("ok",), {"ok": False}, "false"),
    ("choice", ("pick",), {"pick": 2}, [2]),
    ("shape", ("s",), {"s": [3, 4]}, [3, 4]),
])
def test_kernel_values_become_claims_of_the_question_kind(kind, names, values, expected):
    claim = from_kernel(_q(kind, names), names, values, cell=4)
    assert claim.readable and claim.value == expected
    assert any("read from the kernel after cell 4" in n for n in claim.notes)


def test_a_missing_value_says_which_cell_failed_first():
    errors = (CellError(1, "FileNotFoundError", "[Errno 2] No such file or directory: 'survey.csv'"),
              CellError(9, "NameError", "late"))
    claim = from_kernel(_q(), ("n",), {}, cell=4, errors=errors)
    assert not claim.readable and claim.value is None
    assert "cell 1 failed first (FileNotFoundError" in claim.notes[0] and "late" not in claim.notes[0]


def test_a_value_of_the_wrong_type_is_not_read():
    claim = from_kernel(_q("verdict", ("ok",)), ("ok",), {"ok": 1}, cell=2)
    assert not claim.readable and "not a verdict" in claim.notes[0]
    big = from_kernel(_q(), ("n",), {"n": np.zeros(1000)}, cell=2)
    assert not big.readable


@pytest.mark.parametrize("code, kind, expected", [
    ("u = len(rows)\nassert u == 108", "number", 108),
    ("u = len(rows)\nassert 108 == u", "number", 108),
    ("u = p > 0.01\nassert u", "verdict", "true"),
    ("u = p > 0.01\nassert not u", "verdict", "false"),
    ("u = p > 0.01\nassert u == False", "verdict", "false"),
    ("u = p > 0.01\nassert u is True", "verdict", "true"),
    ("u = len(rows)\nassert u", "number", None),                  # truthy is not a number
    ("u = len(rows)\n# assert u == 108", "number", None),          # a comment asserts nothing
    ("u = len(rows)\nassert u == 108\nassert u == 150", "number", None),  # two values: not guessed
    ("u = len(rows)\nassert u > 100", "number", None),
    ("u = len(rows)\nassert isinstance(u, int)", "number", None),
])
def test_without_a_run_the_students_own_assert_states_the_claim(code, kind, expected):
    from auditor.claims.kernel_value import not_run

    claim = not_run(_q(kind, ("u",)), ("u",), "--no-execute", answers=[_code_answer(("code", code))])
    assert (claim.value if claim.readable else None) == expected
    if expected is not None:
        assert "own assert" in claim.notes[0] and "not run" in claim.notes[0]
    else:
        assert "the notebook was not run" in claim.notes[0]


# --------------------------------------------------------------------------- end to end, in the sandbox

SURVEY = "major,age\ncogsci,19\ncs,22\nmath,25\ncs,21\n"


def _template():
    return [
        ("md", "# Assignment 9", _g("title", locked=True)),
        ("code", "import csv\nwith open('survey.csv') as fh:\n    rows = list(csv.DictReader(fh))", _g("setup", locked=True)),
        ("md", "**Question 1:** How many different majors answered the survey? Save the number in `n_majors`."),
        ("code", STUB, _g("majors", solution=True)),
        ("code", "assert isinstance(n_majors, int)", _g("test_majors", grade=True, locked=True, points=1)),
        ("md", "**Question 2:** True or false: the mean age is above 20. Set `is_old` to True or False."),
        ("code", STUB, _g("old", solution=True)),
        ("code", "assert isinstance(is_old, bool)", _g("test_old", grade=True, locked=True, points=1)),
    ]


def _submission(majors: str, old: str):
    cells = _template()
    cells[3] = ("code", "# YOUR CODE HERE\n" + majors, _g("majors", solution=True))
    cells[6] = ("code", old, _g("old", solution=True))
    return cells


RIGHT = ("n_majors = len({r['major'] for r in rows})",
         "ages = [int(r['age']) for r in rows]\nif sum(ages) / len(ages) > 20:\n    is_old = True\nelse:\n"
         "    is_old = False")
# counts rows, not majors; the literal True sits in a branch that does not run; and it tries to
# change the course's data file
WRONG = ("n_majors = len(rows)\nopen('survey.csv', 'w').write('spoiled')",
         "ages = [int(r['age']) for r in rows]\nif max(ages) > 30:\n    is_old = True\nelse:\n    is_old = False")


@pytest.fixture()
def course(tmp_path):
    from auditor.assignment.draft import draft_spec
    from auditor.load.notebook import load_notebook

    write(tmp_path / "template.ipynb", _template())
    write(tmp_path / "right.ipynb", _submission(*RIGHT))
    write(tmp_path / "wrong.ipynb", _submission(*WRONG))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "survey.csv").write_text(SURVEY)
    draft = draft_spec(load_notebook(tmp_path / "template.ipynb"))
    assert 'answer_names = ["n_majors"]' in draft and 'answer_names = ["is_old"]' in draft
    keyed = re.sub(r'key = "TODO".*e\.g\. key = 0 .*', "key = 3", draft)
    keyed = re.sub(r'key = "TODO".*e\.g\. key = "true".*', 'key = "true"', keyed)
    assert "\nkey = \"TODO\"" not in keyed
    (tmp_path / "spec.toml").write_text(keyed)
    return tmp_path


def _statuses(result) -> dict[str, tuple[str, object, str]]:
    return {q.id: (q.status.value, q.claimed, q.message) for q in result.questions}


def test_computed_answers_are_read_from_the_kernel_with_the_course_data(course):
    from auditor.pipeline import audit

    spec = str(course / "spec.toml")
    right = _statuses(audit(course / "right.ipynb", assignment=spec, data_dir=str(course / "data")))
    assert right["q/1"][:2] == ("pass", 3) and right["q/2"][:2] == ("pass", "true")
    assert "read from the kernel" in right["q/1"][2]
    wrong = _statuses(audit(course / "wrong.ipynb", assignment=spec, data_dir=str(course / "data")))
    assert wrong["q/1"][:2] == ("fail", 4) and wrong["q/2"][:2] == ("fail", "false")
    assert (course / "data" / "survey.csv").read_text() == SURVEY      # the kernel wrote to its own copy


def test_without_the_data_the_reason_is_shown_and_nothing_is_judged(course):
    from auditor.pipeline import audit

    got = _statuses(audit(course / "right.ipynb", assignment=str(course / "spec.toml")))
    for qid in ("q/1", "q/2"):
        status, claimed, message = got[qid]
        assert status == "review" and claimed is None
        assert "FileNotFoundError" in message and "survey.csv" in message
    not_run = _statuses(audit(course / "right.ipynb", assignment=str(course / "spec.toml"), execute=False))
    assert not_run["q/1"][0] == "review" and "the notebook was not run" in not_run["q/1"][2]


def test_the_data_option_on_the_command_line(course, capsys):
    from auditor.cli import main

    out = course / "reports"
    code = main(["audit", str(course / "right.ipynb"), "--assignment", str(course / "spec.toml"),
                 "--data", str(course / "data"), "--out", str(out)])
    assert code == 0
    report = json.loads((out / "right.json").read_text())
    assert {q["id"]: q["status"] for q in report["questions"]} == {"q/1": "pass", "q/2": "pass"}
    capsys.readouterr()
    assert main(["audit", str(course / "right.ipynb"), "--data", str(course / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "--data" in err and "nowhere" in err and "not a folder" in err


def test_evaluate_reads_computed_answers_of_a_set_only_when_run(course):
    """A set as in ../shared/corpus-foreign, with a data/ folder: the computed claims are counted as
    'computed by code not run' when not run, and read when run (the default for a set with data/)."""
    from auditor.evaluate.foreign import evaluate_set

    root = course / "set"
    (root / "submissions").mkdir(parents=True)
    (root / "labels").mkdir()
    (course / "template.ipynb").rename(root / "template.ipynb")
    (course / "data").rename(root / "data")
    truth = {"right": (3, "true", True), "wrong": (4, "false", False)}
    for name, (n, verdict, correct) in truth.items():
        (course / f"{name}.ipynb").rename(root / "submissions" / f"{name}.ipynb")
        label = {"notebook": name, "questions": {
            "q1": {"answered": True, "claim": n, "correct": correct, "cell": 3, "placement": "code-cell"},
            "q2": {"answered": True, "claim": verdict, "correct": correct, "cell": 6, "placement": "code-cell"}}}
        (root / "labels" / f"{name}.json").write_text(json.dumps(label))
    (root / "key.md").write_text("| id | question | key | type |\n|---|---|---|---|\n"
                                 "| q1 | majors | **3** | number |\n| q2 | mean age above 20 | **True** | true/false |\n")
    static = evaluate_set(root, execute=False)
    assert (static.found, static.claims_total, static.claims_read, static.claims_need_run) == (4, 4, 0, 4)
    run = evaluate_set(root)                       # a set with data/ is run by default
    assert run.executed and "run in the sandbox" in run.line()
    assert (run.claims_read, run.claims_need_run, run.keys_filled) == (4, 0, 2)
    assert (run.false_passes, run.misread_fails) == (0, 0)


@pytest.mark.parametrize("code", [
    "sigma = 4.9", "sigma=4.9", "sigma = 4.90", "sigma = (4.9)", "sigma = 4.9  # my pick",
    "sigma = 49 / 10", "mu = 61\nsigma = 4.9\ncurve = pdf(x, mu, sigma)", "sigma = 4.9\nprint(sigma)",
    "sigma = 4.9\ncurve = (1 / sigma) * np.exp(\n    -x ** 2",       # the closing line was template text
])
def test_a_named_literal_reads_the_same_however_it_is_written(code):
    claim = read_code_value("number", _code_answer(("code", code)), ("sigma",))
    assert claim is not None and claim.value == pytest.approx(4.9)


@pytest.mark.parametrize("code", [
    "sigma = 4.9\nsigma = np.std(sample)",            # reassigned from data: computed
    "sigma = 4.9\nsigma += 1",
    "sigma = compute(\n    4.9)\nother = 4.9",          # cut statement that assigns it
    "if big:\n    sigma = 4.9\nelse:\n    sigma = 1.9",   # which branch runs is the kernel's to say
])
def test_a_named_value_that_is_not_a_plain_literal_is_left_to_the_kernel(code):
    assert read_code_value("number", _code_answer(("code", code)), ("sigma",)) is None


def test_kernels_run_with_the_course_environment_interpreter(tmp_path, capsys, request):
    """--kernel-python: the notebook runs under the course environment's interpreter (a venv here)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from auditor.cli import main

    env_root = Path(tempfile.mkdtemp(prefix="auditor-course-env-"))  # pytest's tmp_path is root-only (0700)
    request.addfinalizer(lambda: shutil.rmtree(env_root, ignore_errors=True))
    env_root.chmod(0o755)
    venv = env_root / "course-env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    if os.geteuid() == 0:  # the kernel runs as an unprivileged uid: the environment must be readable by it
        capsys.readouterr()
        venv.chmod(0o700)
        assert main(["audit", str(tmp_path / "nb.ipynb"), "--kernel-python", str(venv / "bin" / "python")]) == 2
        assert "not usable inside the sandbox" in capsys.readouterr().err
        venv.chmod(0o755)
    cells = [
        ("md", "# Assignment 3", _g("title", locked=True)),
        ("md", "**Question 1:** True or false: this kernel runs in the course environment. Set `in_env`."),
        ("code", "import os, sys\nin_env = os.path.basename(sys.prefix) == 'course-env'", _g("venv", solution=True)),
        ("code", "assert isinstance(in_env, bool)", _g("test_venv", grade=True, locked=True, points=1)),
    ]
    write(tmp_path / "nb.ipynb", cells)
    spec = tmp_path / "spec.toml"
    spec.write_text('[assignment]\nid = "venv-check"\ntitle = "venv"\n\n[[sections]]\nslug = "q"\nheading = "Questions"\n\n'
                    '[[questions]]\nid = "q/1"\nphrases = ["this kernel runs in the course environment"]\n'
                    'claim = "verdict"\ncheck = "true_false"\nkey = "true"\nanswer_names = ["in_env"]\n')
    common = ["audit", str(tmp_path / "nb.ipynb"), "--assignment", str(spec), "--out-dir", str(tmp_path / "r")]
    assert main(common + ["--kernel-python", str(venv / "bin" / "python")]) == 0
    assert json.loads((tmp_path / "r" / "nb.json").read_text())["questions"][0]["claimed"] == "true"
    assert main(common) == 1                       # the auditor's own interpreter is another one
    assert json.loads((tmp_path / "r" / "nb.json").read_text())["questions"][0]["claimed"] == "false"
    capsys.readouterr()
    assert main(common + ["--kernel-python", str(tmp_path / "nope" / "python")]) == 2
    assert "--kernel-python" in capsys.readouterr().err
