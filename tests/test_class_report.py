"""The class report: rows, script-free sorting, per-question shares, wrong claims, copied pairs."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from auditor.batch.class_report import build_class_data, iter_view_files, render_class_report

LONG = ("gradients shrink at every layer because the sigmoid derivative is at most one quarter so the "
        "product of many small factors goes to zero and the first layers stop learning")


def q(qid, status, claimed=None, expected=None, text="", points=0.0):
    return {"id": qid, "status": status, "claimed": claimed, "expected": expected, "check": "c",
            "answer_excerpt": text, "points": points, "max_points": 1.0}


def entry(name, questions, *, execution="ok", status="audited", reason=None):
    counts = {s: 0 for s in ("pass", "fail", "review", "unanswered", "manual", "error")}
    for x in questions:
        counts[x["status"]] += 1
    result = None
    if status == "audited":
        result = {"notebook": name, "questions": questions, "counts": counts, "execution": {"status": execution},
                  "score": {"points": sum(x["points"] for x in questions), "max_points": float(len(questions))}}
    sid = re.sub(r"[^A-Za-z0-9]+", "_", name)
    return {"id": sid, "file": name, "student_id": sid, "status": status, "reason": reason,
            "html": f"submissions/{sid}.html", "json": f"submissions/{sid}.json", "result": result,
            "failing": [x["id"] for x in questions if x["status"] == "fail"], "cached": False}


def klass():
    return [
        entry("a.ipynb", [q("cnns/3", "fail", 125, 112), q("loss/2", "pass", "vanishing", "vanishing", LONG, 1.0)]),
        entry("b.ipynb", [q("cnns/3", "fail", 125, 112), q("loss/2", "pass", "vanishing", "vanishing", LONG, 1.0)]),
        entry("c <script>alert(1)</script>.ipynb", [q("cnns/3", "fail", 54, 112), q("loss/2", "unanswered")],
              execution="errors"),
        entry("d.ipynb", [q("cnns/3", "pass", 112, 112, points=1.0), q("loss/2", "review", None, "vanishing",
                                                                        "something else entirely")]),
        entry("e.ipynb", [q("cnns/3", "fail", 36, 112), q("loss/2", "fail", "exploding", "vanishing", "they explode")]),
        entry("broken.ipynb", [], status="not-audited", reason="invalid JSON at line 1 column 2"),
    ]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.tags, self.csp = set(), [], set(), None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a["content"]


def test_counts_wrong_claims_and_shares():
    data = build_class_data(klass())
    cnn = next(x for x in data["questions"] if x["id"] == "cnns/3")
    assert cnn["counts"]["fail"] == 4 and cnn["counts"]["pass"] == 1
    assert [(w["text"], w["count"]) for w in cnn["wrong_claims"]] == [("125", 2), ("36", 1), ("54", 1)]
    assert [s["file"] for s in cnn["wrong_claims"][0]["submissions"]] == ["a.ipynb", "b.ipynb"]
    assert cnn["expected"] == "112"
    loss = next(x for x in data["questions"] if x["id"] == "loss/2")
    assert loss["shares"]["pass"] == 0.4 and loss["shares"]["unanswered"] == 0.2 and loss["shares"]["review"] == 0.2
    assert sum(s["width"] for s in loss["bar"]) == 320
    assert data["totals"]["audited"] == 5 and data["totals"]["not_audited"] == 1


def test_copied_pair_and_not_audited():
    data = build_class_data(klass())
    assert len(data["copied_pairs"]) == 1
    pair = data["copied_pairs"][0]
    assert (pair["a"]["file"], pair["b"]["file"]) == ("a.ipynb", "b.ipynb")
    assert pair["overlap"] == 1.0 and [x["id"] for x in pair["questions"]] == ["loss/2"]
    assert data["not_audited"] == [{"id": "broken_ipynb", "file": "broken.ipynb", "status": "not-audited",
                                    "reason": "invalid JSON at line 1 column 2"}]


def test_sorted_views_are_really_sorted():
    data = build_class_data(klass())
    assert iter_view_files(data, "sort-name-asc")[0] == "a.ipynb"
    assert iter_view_files(data, "sort-fail-desc")[0] == "e.ipynb"      # 2 fails
    assert iter_view_files(data, "sort-score-desc")[:3] == ["a.ipynb", "b.ipynb", "d.ipynb"]
    assert iter_view_files(data, "sort-score-asc")[0] == "broken.ipynb"  # not audited: no score, lowest
    assert iter_view_files(data, "sort-execution-desc")[0] == "broken.ipynb"
    assert iter_view_files(data, "sort-execution-desc")[1].startswith("c <script>")


def test_page_is_escaped_script_free_and_sortable_by_anchors():
    html = render_class_report(build_class_data(klass(), meta={"assignment": "auto", "interrupted": False}))
    parser = _Collect()
    parser.feed(html)
    assert "script" not in parser.tags
    assert "<script>alert(1)</script>" not in html and "c &lt;script&gt;alert(1)&lt;/script&gt;.ipynb" in html
    assert parser.csp.startswith("default-src 'none'") and "script-src" not in parser.csp
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # every sort link points at a pre-rendered table on the page, and each column has both directions
    sort_links = {h[1:] for h in parser.hrefs if h.startswith("#sort-")}
    assert sort_links and sort_links <= parser.ids
    for col in ("name", "score", "pass", "fail", "review", "unanswered", "manual", "execution", "findings"):
        assert {f"sort-{col}-asc", f"sort-{col}-desc"} <= parser.ids
    # the CSS that switches tables without scripts; the default table comes last so ~ can hide it
    assert ".view:target ~ .view.view-default { display: none; }" in html
    assert html.rfind('id="sort-name-asc"') > html.rfind('id="sort-fail-desc"')
    # wrong claims with counts, the copied pair, the reason a file was not audited
    assert "125</span> ×2" in html and "36</span> ×1" in html
    assert "invalid JSON at line 1 column 2" in html
    assert html.count("<svg") == 2


def _visible_views_in_chromium(html: str, fragment: str, tmp_path) -> list[str]:
    """Open the report in headless Chromium at ``#fragment``; ids of the sorted tables it displays.

    The test harness (never the report) appends a script that writes each view's computed
    ``display`` into the DOM, with the report's CSP removed so that this probe may run.
    """
    import shutil
    import subprocess

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium not installed")
    probe = ("<script>window.addEventListener('load', () => setTimeout(() => document.body.setAttribute("
             "'data-visible', Array.from(document.querySelectorAll('.view'))"
             ".filter(v => getComputedStyle(v).display !== 'none').map(v => v.id).join(' ')), 100));</script>")
    page = tmp_path / "index.html"
    page.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
                    .replace("</body>", probe + "</body>"), encoding="utf-8")
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
         "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=2000", "--dump-dom", page.as_uri() + (f"#{fragment}" if fragment else "")],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r'data-visible="([^"]*)"', proc.stdout)
    assert m, proc.stdout[-2000:]
    return m.group(1).split()


@pytest.mark.browser
def test_sorting_switches_tables_in_a_real_browser(tmp_path):
    html = render_class_report(build_class_data(klass()))
    assert _visible_views_in_chromium(html, "", tmp_path) == ["sort-name-asc"]
    assert _visible_views_in_chromium(html, "sort-fail-desc", tmp_path) == ["sort-fail-desc"]
    assert _visible_views_in_chromium(html, "sort-name-asc", tmp_path) == ["sort-name-asc"]
    assert _visible_views_in_chromium(html, "questions", tmp_path) == ["sort-name-asc"]


def test_same_question_id_in_two_assignments_is_counted_per_assignment():
    from auditor.batch.class_report import build_class_data, render_class_report

    def entry(sid, aid, status):
        return {"id": sid, "file": f"{sid}.ipynb", "status": "audited", "failing": [],
                "result": {"assignment": {"id": aid}, "counts": {status: 1}, "score": {},
                           "execution": {"status": "skipped"},
                           "questions": [{"id": "cnns/3", "status": status, "claimed": 54, "expected": 112,
                                          "check": "receptive_field", "answer_excerpt": ""}]}}

    data = build_class_data([entry("a", "spec-1", "fail"), entry("b", "spec-2", "pass"), entry("c", "spec-1", "pass")])
    by_assignment = {(q["assignment"], q["id"]): q["counts"] for q in data["questions"]}
    assert by_assignment[("spec-1", "cnns/3")]["fail"] == 1 and by_assignment[("spec-1", "cnns/3")]["pass"] == 1
    assert by_assignment[("spec-2", "cnns/3")]["pass"] == 1 and by_assignment[("spec-2", "cnns/3")]["fail"] == 0
    html = render_class_report(data)
    assert "Assignment spec-1" in html and "Assignment spec-2" in html
