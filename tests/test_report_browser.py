"""Open a report full of XSS payloads in headless Chromium: no script runs, no request is made.

Every payload (in answers, evidence, outputs, error messages, the file name, the assignment
metadata) tries to change ``document.title`` and to fetch from a loopback HTTP server that this
test runs and that records every request.  A control page with the same kind of payload, left
unescaped, proves that the harness does see scripts and requests when they happen.  The report is
opened twice: as written (escaping + sanitising + CSP) and with its CSP meta tag removed (escaping
and sanitising alone must already be enough).

Needs Debian's ``chromium``; skipped when it is not installed.
"""
from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from auditor.report.html import render_html
from sample_audit_result import hostile_result

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"),
]


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def _record(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_HEAD = do_OPTIONS = _record

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def loopback():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def dump_dom(page: Path, profile: Path) -> str:
    """Load ``page`` in headless Chromium, let it run for a while of virtual time, return the DOM."""
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}",
        # only loopback resolves: the browser itself cannot reach anything else either
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=3000", "--dump-dom", page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class _DomFacts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self._in_title = False
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        self.text += data
        if self._in_title:
            self.title += data


def facts(dom: str) -> _DomFacts:
    parser = _DomFacts()
    parser.feed(dom)
    return parser


def test_harness_detects_a_script_and_a_request(loopback, tmp_path):
    url = f"http://127.0.0.1:{loopback.server_port}"
    control = tmp_path / "control.html"
    control.write_text(
        "<!DOCTYPE html><html><head><title>control</title></head><body>"
        f"<script>document.title='PWNED';fetch('{url}/control')</script>"
        f"<img src=\"{url}/control-img.png\"></body></html>",
        encoding="utf-8",
    )
    dom = facts(dump_dom(control, tmp_path / "profile"))
    assert dom.title == "PWNED"
    assert any("/control" in r for r in loopback.requests), loopback.requests


@pytest.mark.parametrize("with_csp", [True, False], ids=["with-csp", "escaping-alone"])
def test_xss_report_runs_nothing_and_loads_nothing(loopback, tmp_path, with_csp):
    url = f"http://127.0.0.1:{loopback.server_port}"
    page = render_html(hostile_result(url))
    if not with_csp:
        start = page.index('<meta http-equiv="Content-Security-Policy"')
        page = page[:start] + page[page.index(">", start) + 1:]
        assert "Content-Security-Policy" not in page
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")

    dom = facts(dump_dom(report, tmp_path / "profile"))

    assert "PWNED" not in dom.title
    assert dom.title.startswith("Audit report: <script>")        # the file name, shown as text
    assert loopback.requests == []
    for forbidden in ("script", "img", "iframe", "svg", "link", "object", "embed"):
        assert forbidden not in dom.tags, forbidden
    assert not [a for a in dom.attrs if a[1].startswith("on")]
    # the page was rendered to its end and the payloads are there, as inert text
    assert "Each question" in dom.text
    assert f"fetch('{url}/breakout')" in dom.text


def test_class_report_of_hostile_results_runs_nothing(loopback, tmp_path):
    """The class report shares the notebook report's environment, formatter and CSP: the same
    payloads in file names, claims, question ids and reasons stay inert there too."""
    import json
    from dataclasses import replace

    from auditor.batch.class_report import build_class_data, render_class_report
    from auditor.report.writer import result_json_text

    url = f"http://127.0.0.1:{loopback.server_port}"
    entries = []
    for i in range(2):           # two identical answers: also a copied pair, named by hostile file names
        result = hostile_result(url)
        result = replace(result, notebook=f"{i}{result.notebook}")
        stored = json.loads(result_json_text(result))
        entries.append({"id": f"s{i}", "file": result.notebook, "status": "audited", "result": stored,
                        "failing": ["cnns/3"], "html": f"submissions/s{i}.html"})
    entries.append({"id": "s2", "file": f"<script>fetch('{url}/bad')</script>.ipynb", "status": "not-audited",
                    "reason": f"<img src=x onerror=\"fetch('{url}/reason')\">", "result": None})
    data = build_class_data(entries)
    assert data["copied_pairs"] and data["questions"][0]["wrong_claims"][0]["count"] == 2
    report = tmp_path / "index.html"
    report.write_text(render_class_report(data), encoding="utf-8")

    dom = facts(dump_dom(report, tmp_path / "profile"))

    assert dom.title.startswith("Class report: 3 submissions") and "PWNED" not in dom.title  # (+ the bars' titles)
    assert loopback.requests == []
    for forbidden in ("script", "img", "iframe", "link", "object", "embed"):
        assert forbidden not in dom.tags, forbidden
    assert not [a for a in dom.attrs if a[1].startswith("on")]
    assert not [a for a in dom.attrs if a[1] == "href" and (a[2] or "").lower().startswith("javascript")]
    assert f"fetch('{url}/script')" in dom.text and f"fetch('{url}/reason')" in dom.text   # shown, inert


def _hostile_notebook(url: str, folder: Path) -> Path:
    """Our example assignment answered with payloads (markdown, outputs, metadata, file name)."""
    import importlib.util

    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("build_examples", root / "notebooks" / "build_examples.py")
    build_examples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_examples)

    script = f"<script>document.title='PWNED';fetch('{url}/md-script')</script>"
    nb = build_examples.build([
        ("after", "cnn-1", "markdown", f"**Answer:** {script} <img src=x onerror=\"fetch('{url}/md-onerror')\">"),
        ("after", "cnn-2-ask", "markdown",
         f"**Answer:** 26 [see](javascript:fetch('{url}/md-js')) ![plot]({url}/md-img.png) "
         f"<img src=\"{url}/md-img2.png\">"),
        ("after", "emb-1-ask", "markdown", f"**Answer:** (4, 3, 9, 16) <svg onload=\"fetch('{url}/md-svg')\"></svg>"),
    ])
    out_cell = new_code_cell("print('hi')")
    out_cell.outputs = [
        new_output("stream", name="stdout", text=f"{script}\n"),
        new_output("execute_result", execution_count=1, data={
            "text/plain": f"<img src=\"{url}/out-img.png\">", "text/html": f"<iframe src=\"{url}/out-iframe\"></iframe>"}),
        new_output("error", ename=f"<script>fetch('{url}/ename')</script>", evalue=script, traceback=[script]),
    ]
    nb.cells.insert(4, out_cell)
    nb.cells.insert(5, new_markdown_cell(f"<div onmouseover=\"fetch('{url}/md-div')\">{script}</div>"))
    nb.metadata["authors"] = [{"name": script}]
    nb.metadata["kernelspec"]["display_name"] = script
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"h{i:02d}"
    path = folder / "<img src=x onerror=document.title='PWNED'>.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_pipeline_report_of_a_hostile_notebook_runs_nothing(loopback, tmp_path):
    from auditor import pipeline

    url = f"http://127.0.0.1:{loopback.server_port}"
    result = pipeline.audit(str(_hostile_notebook(url, tmp_path)), execute=False)
    assert result.error is None, result.error
    report = tmp_path / "report.html"
    report.write_text(render_html(result), encoding="utf-8")

    dom = facts(dump_dom(report, tmp_path / "profile"))

    assert dom.title == "Audit report: <img src=x onerror=document.title='PWNED'>.ipynb"   # text, not a tag
    assert loopback.requests == []
    for forbidden in ("script", "img", "iframe", "svg", "link"):
        assert forbidden not in dom.tags, forbidden
    assert not [a for a in dom.attrs if a[1].startswith("on")]
    assert f"fetch('{url}/md-script')" in dom.text          # the student's text is shown, inert
