"""The batch's result cache: what the key depends on, atomic entries, damaged entries recomputed."""
from __future__ import annotations

from auditor.batch.cache import ResultCache, cache_key, code_fingerprint


def test_key_depends_on_everything_that_decides_the_result():
    base = cache_key(b"nb", [b"spec"], version="v1", options={"execute": True})
    assert base == cache_key(b"nb", [b"spec"], version="v1", options={"execute": True})
    others = {
        cache_key(b"nb2", [b"spec"], version="v1", options={"execute": True}),
        cache_key(b"nb", [b"spec2"], version="v1", options={"execute": True}),
        cache_key(b"nb", [], version="v1", options={"execute": True}),
        cache_key(b"nb", [b"spec"], version="v2", options={"execute": True}),
        cache_key(b"nb", [b"spec"], version="v1", options={"execute": False}),
    }
    assert base not in others and len(others) == 5
    assert len(code_fingerprint()) == 64


def test_round_trip_and_damaged_entries(tmp_path):
    cache = ResultCache(tmp_path / "c")
    key = cache_key(b"x", version="v")
    assert cache.get(key) is None and len(cache) == 0
    cache.put(key, {"result": {"a": 1}})
    assert cache.get(key) == {"result": {"a": 1}} and key in cache and len(cache) == 1
    assert [p.name for p in cache.path_for(key).parent.iterdir()] == [f"{key}.json"]  # no temp file left
    cache.path_for(key).write_text('{"key": "', encoding="utf-8")  # torn by hand: treated as missing
    assert cache.get(key) is None
    other = cache_key(b"y", version="v")
    cache.path_for(other).parent.mkdir(parents=True, exist_ok=True)
    cache.path_for(other).write_text(f'{{"key": "{key}", "value": {{}}}}', encoding="utf-8")  # wrong key inside
    assert cache.get(other) is None


def test_json_lines_text_is_json_with_one_line_per_key_and_list_item():
    import json

    from auditor.batch.cache import json_lines_text

    data = {"totals": {"pass": 3}, "submissions": [{"id": "a", "note": "é <b>"}, {"id": "b"}], "empty": [],
            "nan": float("nan")}
    text = json_lines_text(data)
    back = json.loads(text)
    assert back["submissions"] == data["submissions"] and back["empty"] == [] and back["nan"] != back["nan"]
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert ' "totals": {"pass": 3},' in lines
    assert '  {"id": "a", "note": "é <b>"},' in lines and '  {"id": "b"}' in lines
    assert json.loads(json_lines_text([1, 2])) == [1, 2] and json.loads(json_lines_text({})) == {}
