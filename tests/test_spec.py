import pytest

from auditor.assignment.spec import SpecError, parse_spec, shipped_specs, slugify

BASE = '''
[assignment]
id = "t"
[[sections]]
heading = "Losses and Activation functions"
'''


def test_slug_rule_of_the_labelling_guide():
    assert slugify("Losses and Activation functions") == "losses-and-activation-functions"
    assert slugify("  Detection & Segmentation!! ") == "detection-segmentation"


def test_ids_parents_and_defaults():
    spec = parse_spec(BASE + '''
[[questions]]
id = "losses-and-activation-functions/4"
[[questions]]
id = "losses-and-activation-functions/4.2"
phrases = "gradient of ReLU"
claim = "verdict"
check = "true_false"
key = "false"
''')
    q = spec.question("losses-and-activation-functions/4.2")
    assert (q.number, q.sub, q.parent, q.phrases) == (4, 2, "losses-and-activation-functions/4", ("gradient of ReLU",))
    with pytest.raises(TypeError):
        q.params["x"] = 1  # frozen


@pytest.mark.parametrize("body, words", [
    ('[[questions]]\nid = "nope"', "is not '<section>/<n>'"),
    ('[[questions]]\nid = "other/1"', "not declared"),
    ('[[questions]]\nid = "losses-and-activation-functions/1"\n[[questions]]\nid = "losses-and-activation-functions/1"', "duplicate"),
    ('[[questions]]\nid = "losses-and-activation-functions/1"\nkee = 1', "unknown key questions\\[0\\].kee"),
    ('[[questions]]\nid = "losses-and-activation-functions/1"\nclaim = "essay"', "claim"),
    ('[[questions]]\nid = "losses-and-activation-functions/1.1"', "no parent"),
    ('[[questions]]\nid = "losses-and-activation-functions/1"\nanswer_patterns = ["("]', "not a valid regex"),
])
def test_bad_specs_are_rejected_with_the_reason(body, words):
    with pytest.raises(SpecError, match=words):
        parse_spec(BASE + body, "x.toml")


def test_invalid_toml_names_the_file():
    with pytest.raises(SpecError, match="x.toml: invalid TOML"):
        parse_spec("[assignment\n", "x.toml")


def test_shipped_specs_are_consistent_with_the_installed_checks():
    from auditor.judge.registry import default_registry, missing_spec_params
    from checks.demonstrations.registry import names as demonstration_names

    registry = default_registry()
    specs = shipped_specs()
    assert {s.variant for s in specs} >= {"A1", "A2", "B", "C", "D"}
    for spec in specs:
        assert spec.template.get("hashes"), spec.id
        for q in spec.questions:
            name = q.check or "answered"
            assert name in registry, (spec.id, q.id, name)
            assert missing_spec_params(registry.get(name), q.params) == [], (spec.id, q.id)
            if q.demonstration:
                assert q.demonstration in demonstration_names(), (spec.id, q.id, q.demonstration)
            if q.check == "true_false":
                assert q.key in ("true", "false"), (spec.id, q.id)


def test_assignment_argument_is_a_file_or_a_shipped_id(tmp_path):
    from auditor.assignment.spec import spec_from_argument

    assert spec_from_argument("dl-summary-D").variant == "D"
    with pytest.raises(SpecError, match="shipped: .*dl-summary-D"):
        spec_from_argument("dl-summary-Z")
    with pytest.raises(SpecError, match="no such spec file"):
        spec_from_argument(tmp_path / "missing.toml")
