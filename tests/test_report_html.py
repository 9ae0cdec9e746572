"""The HTML report: golden file for a hand-built result, plus structural safety assertions.

Regenerate the golden file after an intended change with
``AUDITOR_UPDATE_GOLDEN=1 python -m pytest tests/test_report_html.py`` and review the diff.
"""
from __future__ import annotations

import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from auditor.models import AuditResult, ExecStatus, ExecutionResult, SpecMatch
from auditor.report.html import CONTENT_SECURITY_POLICY, render_html, render_markdown_safe
from auditor.report.terminal import print_result
from auditor.report.writer import default_stem, write_reports
from sample_audit_result import VERSION, hostile_result, payloads, sample_result

GOLDEN = Path(__file__).parent / "golden" / "report_sample.html"
UPDATE = os.environ.get("AUDITOR_UPDATE_GOLDEN") == "1"


def normalise(page: str) -> str:
    """Drop what legitimately changes between runs: the version and the generation time."""
    page = page.replace(VERSION, "[VERSION]")
    return re.sub(r"generated [^<]*</p>", "generated [DATE]</p>", page)


class _Tags(HTMLParser):
    """Collects every start tag with its attributes (what a browser would build)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_golden_report():
    page = normalise(render_html(sample_result(), generated_at="2000-01-01 00:00 UTC"))
    if UPDATE or not GOLDEN.exists():
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(page, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file was missing and has been written: {GOLDEN}; review and rerun")
    assert page == GOLDEN.read_text(encoding="utf-8")


def test_report_shows_what_a_ta_needs():
    page = render_html(sample_result())
    text = html.unescape(page)
    # summary: matched assignment and fit, execution, isolation, stale output, skipped pip line
    assert "example" in text and "0.93" in text
    assert "errors" in text and "NameError" in text and "cell 27" in text
    assert "Stale outputs" in text and "ZeroDivisionError" in text
    assert "!pip install not run" in text
    assert "unshare -n" in text
    # per question: claim, truth, method, evidence lines, the exact quote marked in the excerpt
    assert "analytic: r = 5, 6, 10, 26 (jump 4)" in text
    assert "<mark>so each output pixel sees 22x22 input pixels</mark>" in text
    assert "formula_ok" in text and "contested key" in text
    assert "0.5 / 1 pt" in text and "Points:</strong> 1.5 / 4" in text
    # status is said in words, not only by colour
    for words in ("pass", "fail", "review by a person", "unanswered", "answered, graded by hand",
                  "internal error (ours)"):
        assert words in text
    # the page never shows our nor the notebook's metadata beyond the file name
    assert "kernelspec" not in text


def test_report_is_script_free_with_csp():
    page = render_html(hostile_result("http://127.0.0.1:9"))
    tags = tags_of(page)
    names = [t for t, _ in tags]
    for forbidden in ("script", "img", "iframe", "svg", "link", "object", "embed", "form", "base"):
        assert forbidden not in names, forbidden
    csp = [a for t, a in tags if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert [a["content"] for a in csp] == [CONTENT_SECURITY_POLICY]
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY and "script-src" not in CONTENT_SECURITY_POLICY
    # exactly one meta refresh-free head: the only meta tags are ours
    assert sorted(a.get("http-equiv") or a.get("name") or "charset" for t, a in tags if t == "meta") == [
        "Content-Security-Policy", "charset", "referrer", "viewport"]
    for tag, attrs in tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower(), (tag, name, value)
            assert "127.0.0.1" not in (value or "") or (tag, name) in {("article", "id"), ("a", "href")}, (tag, name)
        if tag == "a":
            assert (attrs.get("href") or "").startswith("#"), attrs
    # every payload is still visible to the reader, as text
    text = html.unescape(page)
    for payload in payloads("http://127.0.0.1:9"):
        assert payload in text


def test_markdown_view_is_sanitised():
    out = str(render_markdown_safe(
        "**bold** <script>x()</script> <b onclick=y()>b</b>\n\n![pic](http://example.org/a.png)\n\n"
        "[bad](javascript:alert(1)) [good](https://example.org)"
    ))
    assert "<strong>bold</strong>" in out
    assert "<script" not in out and "<b " not in out and "<img" not in out
    assert "[image not shown: pic]" in out
    assert 'href="javascript' not in out
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">good</a>' in out


def test_error_result_page():
    result = AuditResult(
        notebook="broken.ipynb", sha256="", assignment=SpecMatch(None, 0.0, ""), questions=(),
        execution=ExecutionResult(ExecStatus.SKIPPED), error="broken.ipynb: not valid JSON (line 1)",
        error_kind="input", auditor_version=VERSION,
    )
    text = html.unescape(render_html(result))
    assert "Not audited" in text and "not valid JSON (line 1)" in text
    assert "Questions at a glance" not in text


def test_write_reports_default_paths_and_atomic(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    html_path, json_path = write_reports(sample_result())
    assert html_path == Path("reports/typical_mistakes.html")
    assert json_path == Path("reports/typical_mistakes.json")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["questions"][0]["claimed"] == 22 and data["execution"]["status"] == "errors"
    assert "<!DOCTYPE html>" in html_path.read_text(encoding="utf-8")
    assert sorted(p.name for p in Path("reports").iterdir()) == ["typical_mistakes.html", "typical_mistakes.json"]
    # explicit paths, nested directories created; no temp files left behind
    h, j = write_reports(sample_result(), tmp_path / "a" / "out.html", tmp_path / "b" / "out.json")
    assert h.exists() and j.exists()
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["out.html"]


def test_write_reports_keeps_old_file_when_rendering_fails(tmp_path, monkeypatch):
    target = tmp_path / "r.html"
    target.write_text("old", encoding="utf-8")

    def boom(*a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr("auditor.report.writer.render_html", boom)
    with pytest.raises(RuntimeError):
        write_reports(sample_result(), target, tmp_path / "r.json")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_json_never_writes_nan(tmp_path):
    from dataclasses import replace

    result = sample_result()
    q = replace(result.questions[0], claimed=float("nan"))
    result = replace(result, questions=(q,) + result.questions[1:])
    _, j = write_reports(result, tmp_path / "r.html", tmp_path / "r.json")
    assert json.loads(j.read_text(encoding="utf-8"))["questions"][0]["claimed"] == "nan"


@pytest.mark.parametrize("name,stem", [
    ("dir/sub/a b (1).ipynb", "a b (1)"), ("../../etc/passwd", "passwd"), ("..", "notebook"),
    ("", "notebook"), (".hidden.ipynb", "hidden"),
])
def test_default_stem_never_escapes_reports_dir(name, stem):
    assert default_stem(name) == stem


def test_terminal_table_prints_markup_literally():
    console = Console(record=True, width=200, color_system=None)
    result = sample_result()
    from dataclasses import replace

    evil = replace(result.questions[0], message="[bold red]x[/] [link=http://e.org]y[/link]")
    print_result(replace(result, questions=(evil,) + result.questions[1:]), console,
                 report_paths=("reports/t.html",))
    out = console.export_text()
    assert "[bold red]x[/] [link=http://e.org]y[/link]" in out
    assert "convolutional-networks/2" in out and "fail" in out and "26" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("2 pass, 2 fail, 1 review, 1 unanswered, 1 manual, 1 error")
    assert "execution: errors (1 error), 1 stale output" in last
    assert "| 4 findings |" in last and "assignment: example (0.93)" in last and "reports/t.html" in last


def test_long_values_are_cut_in_the_overview_only():
    from dataclasses import replace

    result = sample_result()
    grads = {"dL/dW": [[0.123456789] * 5] * 5, "dL/db": [0.2] * 5}
    q = replace(result.questions[5], expected=grads)
    page = html.unescape(render_html(replace(result, questions=result.questions[:5] + (q,) + result.questions[6:])))
    full = json.dumps(grads)
    assert page.count(full) == 1                       # once, in the question's own box
    assert full[:59] + "\u2026" in page                 # cut in the overview table


def test_question_anchors_are_unique():
    from dataclasses import replace

    result = sample_result()
    twins = (replace(result.questions[0], id="a/1.1"), replace(result.questions[1], id="a/1-1"))
    ids = [a.get("id") for t, a in tags_of(render_html(replace(result, questions=twins))) if t == "article"]
    assert ids == ["q-a-1-1", "q-a-1-1-2"]
