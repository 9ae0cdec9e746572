"""auditor.judge.registry: finding, loading, validating and running checks."""
from __future__ import annotations

import pytest

from auditor.models import Answer, Claim, ExecStatus, ExecutionResult, Outcome, QuestionSpec, Segment, Status, freeze
from auditor.judge.registry import (
    INJECTABLE, CheckLoadError, FoundCheck, Registry, UnknownCheckError, classify, default_registry, find_checks,
    get_check, load_check, load_checks, missing_spec_params, run_check, validate_signature,
)

BUILT_INS = {
    "receptive_field", "dropout_composition", "tensor_shape", "true_false", "gradient_cause", "yes_no",
    "numerical_gradient", "answered", "parameter_count", "output_shape", "gradient_flow",
}


def _question(**kw):
    base = dict(id="cnns/3", section="cnns", number=3)
    base.update(kw)
    return QuestionSpec(**base)


ANSWER = Answer("cnns/3", True, (Segment(7, "The field is 54x54", "markdown"),))
CLAIM = Claim("number", 54)


def test_find_checks_lists_builtins_from_entry_points():
    found = find_checks()
    names = {f.name for f in found}
    assert BUILT_INS <= names
    rf = next(f for f in found if f.name == "receptive_field")
    assert rf.value == "checks.receptive_field:check_receptive_field"
    assert rf.distribution == "auditor"
    assert found == tuple(sorted(found, key=lambda f: (f.name, f.value)))


def test_all_builtins_load_and_have_docstrings():
    registry = default_registry()
    for name in BUILT_INS:
        check = registry.get(name)
        assert set(check.injected) <= set(INJECTABLE)
        assert "Ground truth:" in check.module_doc, name
        assert "Tolerance:" in check.module_doc, name
        assert check.summary and check.recomputes != "-", name


def test_bad_parameter_name_is_rejected_with_name_and_signature():
    def check_bad(answer, student_name, *, p1):
        return Outcome(Status.PASS)

    with pytest.raises(CheckLoadError) as err:
        validate_signature("bad_one", check_bad)
    text = str(err.value)
    assert "'bad_one'" in text and "student_name" in text
    assert "check_bad(answer, student_name, *, p1)" in text


@pytest.mark.parametrize("func", [
    lambda *args: None,
    lambda answer, **kw: None,
    lambda answer, /, claim: None,
])
def test_var_and_positional_only_parameters_are_rejected(func):
    with pytest.raises(CheckLoadError, match="invalid signature"):
        validate_signature("odd", func)


def test_keyword_only_parameters_are_spec_params():
    def check_ok(claim, question, *, p1, p2, tolerance=0.1):
        return Outcome(Status.PASS)

    loaded = validate_signature("ok", check_ok)
    assert loaded.injected == ("claim", "question")
    assert loaded.required_params == ("p1", "p2")
    assert loaded.optional_params == ("tolerance",)
    assert missing_spec_params(loaded, {"p1": 0.1}) == ["p2"]
    assert missing_spec_params(loaded, {"p1": 0.1, "p2": 0.2}) == []


def test_load_check_reports_import_failure_and_non_callable():
    with pytest.raises(CheckLoadError, match="cannot be imported"):
        load_check(FoundCheck("ghost", "no_such_module_xyz:check", "somepkg", "1.0"))
    with pytest.raises(CheckLoadError, match="not callable"):
        load_check(FoundCheck("const", "auditor.judge.registry:GROUP", None, None))


def test_classify_rejects_two_checks_under_one_name():
    a = load_check(FoundCheck("answered", "checks.answered:check_answered", "auditor", "0"))
    b = load_check(FoundCheck("answered", "checks.true_false:check_true_false", "other", "1"))
    with pytest.raises(CheckLoadError, match="registered twice"):
        classify([a, b])
    assert classify([a, a]).names() == ("answered",)


def test_unknown_name_lists_installed_checks():
    with pytest.raises(UnknownCheckError) as err:
        get_check("does_not_exist")
    assert "does_not_exist" in str(err.value) and "receptive_field" in str(err.value)
    registry = Registry(freeze({}))
    with pytest.raises(UnknownCheckError):
        registry.get("x")


def test_run_check_injects_by_name_and_passes_spec_params():
    seen = {}

    def check_spy(question, claim, kernel_values, contested, key, *, p1, p2=0.5):
        seen.update(question=question.id, claim=claim.value, values=dict(kernel_values),
                    contested=contested, key=key, p1=p1, p2=p2)
        return Outcome(Status.PASS, expected=1)

    loaded = validate_signature("spy", check_spy)
    q = _question(params=freeze({"p1": 0.1, "unused": 3}), key="112", contested=True)
    execution = ExecutionResult(ExecStatus.OK, values=freeze({"grad_W": [1.0]}))
    out = run_check(loaded, question=q, answer=ANSWER, claim=CLAIM, execution=execution)
    assert out.status is Status.PASS
    assert seen == {"question": "cnns/3", "claim": 54, "values": {"grad_W": (1.0,)}, "contested": True,
                    "key": "112", "p1": 0.1, "p2": 0.5}


def test_crashing_check_is_an_internal_error_not_the_students_fault():
    def check_crash(answer):
        raise ZeroDivisionError("division by zero")

    out = run_check(validate_signature("crashy", check_crash), question=_question(), answer=ANSWER, claim=CLAIM)
    assert out.status is Status.ERROR
    assert out.message.startswith("internal error in check crashy: ZeroDivisionError")
    assert "traceback" in out.details


def test_wrong_return_type_and_missing_spec_param_are_errors():
    def check_none(answer):
        return "pass"

    def check_needs(answer, *, model_code):
        return Outcome(Status.PASS)

    out = run_check(validate_signature("none", check_none), question=_question(), answer=ANSWER, claim=CLAIM)
    assert out.status is Status.ERROR and "not an Outcome" in out.message
    out = run_check(validate_signature("needs", check_needs), question=_question(), answer=ANSWER, claim=CLAIM)
    assert out.status is Status.ERROR and "model_code" in out.message and "cnns/3" in out.message


def test_string_status_is_coerced():
    def check_str(answer):
        return Outcome("fail", message="x")  # type: ignore[arg-type]

    out = run_check(validate_signature("s", check_str), question=_question(), answer=ANSWER, claim=CLAIM)
    assert out.status is Status.FAIL


def test_load_checks_is_strict_and_returns_frozen_records():
    found = [f for f in find_checks() if f.name in ("answered", "true_false")]
    loaded = load_checks(found)
    assert [c.name for c in loaded] == ["answered", "true_false"]
    with pytest.raises(Exception):
        loaded[0].found = None  # frozen


def test_builtin_receptive_field_through_run_check():
    code = "cnn = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3))"
    q = _question(check="receptive_field", params=freeze({"model_code": code}))
    out = run_check(get_check("receptive_field"), question=q, answer=ANSWER, claim=Claim("number", 5))
    assert out.status is Status.PASS and out.expected == 5
    assert missing_spec_params(get_check("receptive_field"), {}) == ["model_code"]


def test_unknown_spec_params_are_reported():
    from auditor.judge.registry import unknown_spec_params

    loaded = get_check("dropout_composition")
    assert unknown_spec_params(loaded, {"p1": 0.1, "p2": 0.2, "p3": 1}) == ["p3"]


def test_shipped_specs_fit_their_checks():
    from auditor.assignment.spec import shipped_specs
    from auditor.judge.registry import unknown_spec_params

    for spec in shipped_specs():
        for q in spec.questions:
            loaded = get_check(q.check or "answered")
            assert missing_spec_params(loaded, q.params) == [], (spec.id, q.id)
            assert unknown_spec_params(loaded, q.params) == [], (spec.id, q.id)


def test_callable_objects_are_accepted_as_checks():
    class Counter:
        def __call__(self, answer, *, limit=3):
            return Outcome(Status.MANUAL)

    loaded = validate_signature("counter", Counter())
    assert loaded.injected == ("answer",) and loaded.optional_params == ("limit",)
    assert run_check(loaded, question=_question(), answer=ANSWER, claim=CLAIM).status is Status.MANUAL
