"""Specs for many courses: spec folders (spec_dirs, AUDITOR_SPECS), extends, and the schema."""
import json
import textwrap

import pytest

from auditor.assignment.spec import (
    ENV_VAR, SpecError, load_spec, parse_spec, search_dirs, shipped_specs, spec_from_argument,
)
from spec_snapshot import SNAPSHOT, spec_data

BASE = textwrap.dedent('''
    [assignment]
    id = "course-base"
    title = "Base"
    variant = "1"
    [signature]
    "intro to widgets" = 1.0
    [[sections]]
    heading = "Part one"
    [[questions]]
    id = "part-one/1"
    phrases = ["first question"]
    [[questions]]
    id = "part-one/2"
    phrases = ["second question"]
    claim = "choice"
    check = "choice_selection"
    key = [1, 3]
    points = 2
    [questions.params]
    options = [1, 2, 3]
    [[questions]]
    id = "part-one/3"
    phrases = ["third question"]
''')


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text))
    return folder / name


def test_the_rewritten_shipped_specs_load_exactly_as_before():
    """Snapshot taken from the five dl-summary specs before they shared questions through extends."""
    snapshot = json.loads(SNAPSHOT.read_text())
    loaded = {s.id: spec_data(s) for s in shipped_specs() if s.id in snapshot}
    assert sorted(loaded) == sorted(snapshot)
    for sid, data in snapshot.items():
        assert loaded[sid] == data, sid


def test_every_shipped_spec_validates_and_variants_share_questions():
    from auditor.assignment.spec import SPECS_DIR

    specs = shipped_specs()
    assert len(specs) == len(list(SPECS_DIR.glob("*.toml")))
    extending = [p for p in SPECS_DIR.glob("dl_summary_*.toml") if "\nextends = " in p.read_text()]
    assert len(extending) == 4


def test_extends_adds_overrides_removes_and_orders(tmp_path):
    write(tmp_path, "base.toml", BASE)
    child = write(tmp_path, "child.toml", '''
        extends = "course-base"
        remove = ["part-one/1"]
        [assignment]
        id = "course-child"
        variant = "2"
        [[sections]]
        heading = "Part two"
        [[questions]]
        id = "part-two/1"
        phrases = ["added question"]
        [[questions]]
        id = "part-one/2"
        key = [2]
        [[questions]]
        id = "part-one/0"
        phrases = ["inserted before"]
    ''')
    spec = load_spec(child)
    assert spec.id == "course-child" and spec.title == "Base" and spec.variant == "2"
    assert [q.id for q in spec.questions] == ["part-one/0", "part-one/2", "part-one/3", "part-two/1"]
    q2 = spec.question("part-one/2")
    assert q2.key == (2,) and q2.points == 2.0 and q2.params["options"] == (1, 2, 3)   # other fields kept
    assert [s.slug for s in spec.sections] == ["part-one", "part-two"]
    assert dict(spec.signature) == {"intro to widgets": 1.0}                            # inherited


def test_remove_then_add_replaces_a_question_whole(tmp_path):
    write(tmp_path, "base.toml", BASE)
    child = write(tmp_path, "child.toml", '''
        extends = "course-base"
        remove = ["part-one/2"]
        [assignment]
        id = "c2"
        [[questions]]
        id = "part-one/2"
        phrases = ["a new second question"]
    ''')
    q = load_spec(child).question("part-one/2")
    assert (q.claim, q.check, q.key, q.points, dict(q.params)) == (None, None, None, 0.0, {})


@pytest.mark.parametrize("body, words", [
    ('extends = "nowhere"\n[assignment]\nid = "x"', "extends 'nowhere', but no spec has that id"),
    ('extends = "course-base"\nremove = ["part-one/9"]\n[assignment]\nid = "x"', "does not have"),
    ('remove = ["part-one/1"]\n[assignment]\nid = "x"', "remove needs extends"),
])
def test_bad_extends_is_a_clear_error(tmp_path, body, words):
    write(tmp_path, "base.toml", BASE)
    path = write(tmp_path, "child.toml", body)
    with pytest.raises(SpecError, match=words) as info:
        load_spec(path)
    assert str(path) in str(info.value)


def test_an_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b"\n[assignment]\nid = "a"\n')
    write(tmp_path, "b.toml", 'extends = "a"\n[assignment]\nid = "b"\n')
    with pytest.raises(SpecError, match="cycle"):
        shipped_specs(spec_dirs=(tmp_path,))


def test_spec_dirs_and_the_environment_add_specs(tmp_path, monkeypatch):
    course = tmp_path / "course"
    write(course, "base.toml", BASE)
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert "course-base" not in {s.id for s in shipped_specs()}
    assert "course-base" in {s.id for s in shipped_specs(spec_dirs=(course,))}
    assert spec_from_argument("course-base", spec_dirs=(course,)).title == "Base"
    assert "dl-summary-D" in {s.id for s in shipped_specs(spec_dirs=(course,))}   # shipped ones stay
    other = tmp_path / "other"
    write(other, "o.toml", '[assignment]\nid = "other-course"\n')
    monkeypatch.setenv(ENV_VAR, f"{course}{__import__('os').pathsep}{other}")
    ids = {s.id for s in shipped_specs()}
    assert {"course-base", "other-course", "dl-summary-D"} <= ids
    assert spec_from_argument("other-course").id == "other-course"
    assert search_dirs((tmp_path,))[0] == str(tmp_path.resolve())


def test_a_course_folder_shadows_a_shipped_id_and_a_base_there_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    write(tmp_path, "mine.toml", '[assignment]\nid = "dl-summary-D"\ntitle = "mine"\n')
    write(tmp_path, "v.toml", 'extends = "course-base"\n[assignment]\nid = "v"\n')
    write(tmp_path, "base.toml", BASE)
    assert spec_from_argument("dl-summary-D", spec_dirs=(tmp_path,)).title == "mine"
    assert len(spec_from_argument("v", spec_dirs=(tmp_path,)).questions) == 3


def test_other_toml_files_in_a_folder_are_not_specs(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path, "base.toml", BASE)
    child = write(tmp_path, "child.toml", 'extends = "course-base"\n[assignment]\nid = "c"\n')
    assert len(load_spec(child).questions) == 3   # the base is found next to the variant
    assert "course-base" in {s.id for s in shipped_specs(spec_dirs=(tmp_path,))}


def test_duplicate_ids_in_one_folder_and_missing_folders_are_errors(tmp_path):
    write(tmp_path, "a.toml", '[assignment]\nid = "same"\n')
    write(tmp_path, "b.toml", '[assignment]\nid = "same"\n')
    with pytest.raises(SpecError, match="also used by"):
        shipped_specs(spec_dirs=(tmp_path,))
    with pytest.raises(SpecError, match="spec folder does not exist"):
        shipped_specs(spec_dirs=(tmp_path / "nope",))


@pytest.mark.parametrize("body, words", [
    ('[assignment]\nid = "x"\ncolour = "red"', r"x.toml: unknown key assignment.colour \(expected one of: id, title"),
    ('[assignment]\nid = 3', "x.toml: assignment.id must be a string, got int 3"),
    ('[assignment]\nid = "x"\n[[sections]]\nheading = "S"\n[[questions]]\nid = "s/1"\n[[questions]]\nid = "s/2"\n'
     '[[questions]]\nid = "s/3"\n[[questions]]\nid = "s/4"\npoints = "two"', r"questions\[3\].points must be a number, got str 'two'"),
    ('[assignment]\nid = "x"\n[[sections]]\nheading = "S"\n[[questions]]\nid = "s/1"\nfetch = ["a", 2]',
     r"questions\[0\].fetch\[1\] must be a string"),
    ('[assignment]\nid = "x"\n[[sections]]\nheading = "S"\n[[questions]]\nid = "s/1"\nparams = 5',
     r"questions\[0\].params must be a table"),
    ('[assignment]\nid = "x"\n[[sections]]\nheading = "S"\n[[questions]]\nid = "s/1"\nclaim = "essay"',
     r"questions\[0\].claim must be a string \(number \|"),
    ('[assignment]\nid = "x"\n[signature]\n"phrase" = "high"', r"signature.'phrase' must be a number"),
    ('extends = ["a"]\n[assignment]\nid = "x"', "extends must be a string, got list"),
    ('[assignment]\nid = "x"\n[[sections]]\nheading = "S"\nslg = "s"', r"unknown key sections\[0\].slg"),
])
def test_schema_errors_are_one_line_naming_file_key_and_type(body, words):
    with pytest.raises(SpecError, match=words) as info:
        parse_spec(body, "x.toml")
    assert "\n" not in str(info.value)


def test_a_todo_key_is_no_key():
    spec = parse_spec(BASE.replace("key = [1, 3]", 'key = "TODO"'), "x.toml")
    q = spec.question("part-one/2")
    assert q.key is None and q.check is None and "no key yet" in q.reason and "choice_selection" in q.reason
    assert q.params["options"] == (1, 2, 3)    # the reader still knows the options


def test_a_todo_choice_is_read_and_graded_by_hand(tmp_path):
    from auditor.pipeline import audit, validate_spec
    from tests.notebook_factory import write_nb

    spec = parse_spec(BASE.replace("key = [1, 3]", 'key = "TODO"'), str(tmp_path / "x.toml"))
    validate_spec(spec)   # params of a question without a check serve its claim reader: no error
    nb = write_nb(tmp_path / "s.ipynb", ["## Part one", "1. first question", "**Answer:** fine",
                                         "2. second question: which apply?", "**Answer:** 1 and 3"])
    q = {r.id: r for r in audit(nb, assignment=spec, execute=False).questions}["part-one/2"]
    assert (q.status.value, q.claimed) == ("manual", [1, 3])


def test_ids_may_carry_the_notebooks_own_numbering(tmp_path):
    write(tmp_path, "b.toml", '[assignment]\nid = "b"\n[[sections]]\nheading = "Q"\n'
                              '[[questions]]\nid = "q/10"\n[[questions]]\nid = "q/2b"\n')
    child = write(tmp_path, "c.toml", 'extends = "b"\n[assignment]\nid = "c"\n[[questions]]\nid = "q/2a"\n'
                                      '[[questions]]\nid = "q/2a.1"\n')
    spec = load_spec(child)
    assert [q.id for q in spec.questions] == ["q/2a", "q/2a.1", "q/2b", "q/10"]
    assert (spec.question("q/2a").number, spec.question("q/2a.1").parent) == (2, "q/2a")


def test_docs_tables_agree_with_the_schema_readers_and_registry():
    from pathlib import Path

    from auditor.assignment.schema import CLAIM_KINDS, CLAIM_VALUES, render_docs
    from auditor.claims.read import READERS

    doc = Path(__file__).resolve().parent.parent / "docs" / "spec-format.md"
    text = doc.read_text()
    assert render_docs(text) == text, "run: python -m auditor.assignment.schema docs/spec-format.md"
    assert set(CLAIM_KINDS) == set(READERS) == set(CLAIM_VALUES)
    assert "| `choice_selection` | `partial_credit` | no | `'none'` | str |" in text


def test_check_parameters_are_typed_by_the_checks_signature(tmp_path):
    from auditor.pipeline import validate_spec

    spec = parse_spec(BASE + '[[questions]]\nid = "part-one/4"\ncheck = "dropout_composition"\n'
                             'claim = "probability"\n[questions.params]\np1 = "0.1"\np2 = 0.2\n', "x.toml")
    with pytest.raises(SpecError, match=r"x.toml: .*questions\[3\].params.p1 must be a number, got str"):
        validate_spec(spec)
    bad = parse_spec(BASE.replace("options = [1, 2, 3]", 'options = [1, 2, 3]\nselect = 1'), "y.toml")
    with pytest.raises(SpecError, match=r"questions\[1\].params.select must be a string"):
        validate_spec(bad)


def test_the_sandbox_hides_a_spec_and_the_bases_it_extends(tmp_path):
    from auditor.assignment.spec import spec_files
    from auditor.pipeline import sandbox_policy

    base = write(tmp_path, "base.toml", BASE)
    child = write(tmp_path, "child.toml", 'extends = "course-base"\n[assignment]\nid = "c"\n')
    assert spec_files(child) == (str(child), str(base))
    assert set(sandbox_policy(str(child)).hide_paths) == {str(child), str(base)}
    assert spec_files(tmp_path / "missing.toml") == ()
