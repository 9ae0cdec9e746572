"""Both HTML pages (a notebook's report, the class report) show a claim through one view model and
one value formatter, from one Jinja environment: the same claim reads the same in both."""
from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest
from markupsafe import escape

from auditor.batch.class_report import build_class_data, render_class_report
from auditor.models import Status, freeze
from auditor.report.environment import CONTENT_SECURITY_POLICY, environment
from auditor.report.html import render_html
from auditor.report.values import format_value
from auditor.report.view import QuestionView, question_views, status_view
from auditor.report.writer import result_json_text
from sample_audit_result import sample_result

#: claims of every shape a reader gives (live, frozen form) -> the text both pages must show
CLAIMS = [
    (22, "22"),
    (0.1 + 0.2, "0.3"),
    (1 / 3, "0.333333"),
    (float("nan"), "nan"),
    (True, "yes"),
    ("false", "false"),
    ((4, 3, 9, 16), "[4, 3, 9, 16]"),
    (("relu", "tanh"), '["relu", "tanh"]'),
    ({"dL/dW": (0.5, 1)}, '{"dL/dW": [0.5, 1]}'),
    ((1.5, float("nan"), float("-inf")), '[1.5, "nan", "-inf"]'),
    ("<b>x</b> & y", "<b>x</b> & y"),
    (None, "\u2014"),
]


def _failing_result(claimed, expected=26):
    base = sample_result()
    q = replace(base.questions[0], claimed=freeze(claimed), expected=freeze(expected), status=Status.FAIL)
    return replace(base, questions=(q,))


def _notebook_page_claim(page: str) -> tuple[str, str]:
    box = re.search(r"<dt>Claimed</dt><dd>(.*?)</dd>\s*<dt>Expected</dt><dd>(.*?)</dd>", page, re.S)
    return html.unescape(box.group(1)), html.unescape(box.group(2))


def _class_page_claims(page: str) -> tuple[list[str], list[str]]:
    wrong = re.findall(r'<li><span class="claim">(.*?)</span> \u00d7', page)
    expected = re.findall(r'<td><span class="claim">(.*?)</span></td>', page)
    return [html.unescape(w) for w in wrong], [html.unescape(e) for e in expected]


@pytest.mark.parametrize("claimed,text", CLAIMS, ids=[t for _, t in CLAIMS])
def test_same_claim_same_text_in_both_pages(claimed, text):
    assert format_value(claimed) == text
    result = _failing_result(claimed, expected=(4, 3, 9, 16))
    notebook = render_html(result)
    # the class report reads what the batch stored: the JSON file's text, parsed back
    stored = json.loads(result_json_text(result))
    entry = {"id": "s1", "file": "s1.ipynb", "status": "audited", "result": stored, "failing": ["x"],
             "html": "submissions/s1.html"}
    klass = render_class_report(build_class_data([entry]))

    assert _notebook_page_claim(notebook) == (text, "[4, 3, 9, 16]")
    assert _class_page_claims(klass) == ([text], ["[4, 3, 9, 16]"])
    # each wrong claim links to the question's box in the submission's own report
    assert 'href="submissions/s1.html#q-convolutional-networks-2"' in klass
    assert 'id="q-convolutional-networks-2"' in notebook
    # a notebook page rendered from the stored JSON is the page rendered from the live result
    assert render_html(stored, generated_at="x") == render_html(result, generated_at="x")


def test_one_environment_one_csp_for_both_pages():
    notebook = render_html(sample_result())
    klass = render_class_report(build_class_data([]))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{escape(CONTENT_SECURITY_POLICY)}">'
    assert meta in notebook and meta in klass
    env = environment()
    assert env.autoescape("x.html.j2") and env.autoescape(None)
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ nothing_here }}").render()
    # the same status words in both pages (colour is never the only signal)
    for status in ("pass", "fail", "review", "unanswered", "manual", "error"):
        label = str(escape(status_view(status).label))
        assert label in notebook and label in klass, status


def test_class_report_groups_wrong_claims_by_the_text_shown():
    entries = []
    for i, claimed in enumerate([0.52, 0.5200000001, 0.52, float("nan"), "nan"]):
        stored = json.loads(result_json_text(_failing_result(claimed)))
        entries.append({"id": f"s{i}", "file": f"s{i}.ipynb", "status": "audited", "result": stored, "failing": ["x"]})
    (question,) = build_class_data(entries)["questions"]
    assert [(w["text"], w["count"]) for w in question["wrong_claims"]] == [("0.52", 3), ("nan", 2)]


def test_view_model_takes_optional_rows_from_other_views():
    result = sample_result()
    qid = result.questions[0].id
    notes = {qid: [("TA points", "1.5 / 2"), ("TA comment", "<i>see me</i>")]}
    views = question_views(json.loads(result_json_text(result))["questions"], notes)
    assert views[0].annotations == (("TA points", "1.5 / 2"), ("TA comment", "<i>see me</i>"))
    assert views[1].annotations == ()
    page = render_html(result, annotations=notes)
    assert "<dt>TA comment</dt><dd>&lt;i&gt;see me&lt;/i&gt;</dd>" in page
    assert render_html(result, generated_at="x", annotations={}) == render_html(result, generated_at="x")
    # optional fields have defaults: a view needs only what every question has
    bare = QuestionView(id="q", anchor="q-q", status=status_view("manual"), check="answered",
                        claimed="\u2014", expected="\u2014")
    assert bare.annotations == () and bare.points is None and not bare.show_rendered


def test_values_never_raise_on_odd_numbers():
    assert format_value(float("inf")) == "inf" and format_value(-0.0) == "-0"
    assert format_value(1e-12) == "1e-12" and format_value(123456789.0) == "1.23457e+08"
    assert format_value({"a": [float("nan")]}) == '{"a": ["nan"]}'
