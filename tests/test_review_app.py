"""The review app's safety and API, through Flask's test client (the browser test drives the page)."""
from __future__ import annotations

import re
import shutil

import pytest

import review_batch as rb
from review_batch import HOSTILE, made_batch  # noqa: F401 (the session's batch)
from auditor.review.app import CONTENT_SECURITY_POLICY, create_app


@pytest.fixture()
def app(made_batch, tmp_path):
    shutil.copytree(made_batch / "out", tmp_path / "out")
    return create_app(tmp_path / "out", token="tok", grader="ana")


def client(app, *, token=True):
    c = app.test_client()
    if token:
        assert c.get("/?token=tok").status_code == 200     # sets the cookie
    return c


def page(c, q=rb.MANUAL_QUESTION):
    r = c.get(f"/question?a=example&q={q}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    return html, csrf


def test_token_required_then_cookie(app):
    c = app.test_client()
    assert c.get("/").status_code == 403
    assert c.get("/?token=wrong").status_code == 403
    r = c.get("/?token=tok")
    cookie = r.headers["Set-Cookie"]
    assert r.status_code == 200 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert c.get("/").status_code == 200                      # the cookie now
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert r.headers["Referrer-Policy"] == "no-referrer" and r.headers["X-Frame-Options"] == "DENY"


def test_foreign_host_refused(app):
    c = app.test_client()
    assert c.get("/?token=tok", headers={"Host": "evil.example:8000"}).status_code == 403


def test_every_write_needs_the_csrf_token_and_our_origin(app):
    c = client(app)
    html, csrf = page(c)
    body = {"assignment": "example", "question": rb.MANUAL_QUESTION,
            "members": [{"file": "strong.ipynb", "version": 0}], "points": 1}
    for url in ("/api/decide", "/api/rubric", "/api/split"):
        r = c.post(url, json=body)
        assert r.status_code == 403 and "CSRF" in r.get_json()["error"]
    r = c.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
    assert r.status_code == 403
    r = c.post("/api/decide", data="points=1", headers={"X-CSRF-Token": csrf,
                                                       "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = c.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://localhost"})
    assert r.status_code == 200 and r.get_json()["decisions"][0]["version"] == 1


def test_student_text_is_escaped(app):
    c = client(app)
    html, _ = page(c)
    assert "&lt;script&gt;document.title=" in html
    assert HOSTILE not in html and "<img" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/review.js" defer>']


def test_stale_write_answers_409_with_the_message(app):
    ana, ben = client(app), client(app)
    _, csrf_a = page(ana)
    _, csrf_b = page(ben)
    body = {"assignment": "example", "question": rb.MANUAL_QUESTION,
            "members": [{"file": "strong.ipynb", "version": 0}], "points": 1}
    assert ana.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf_a}).status_code == 200
    r = ben.post("/api/decide", json={**body, "points": 0}, headers={"X-CSRF-Token": csrf_b})
    assert r.status_code == 409
    assert "changed since you loaded the page" in r.get_json()["error"]
    assert r.get_json()["current"][0]["points"] == 1


def test_bad_requests_get_a_message(app):
    c = client(app)
    _, csrf = page(c)
    h = {"X-CSRF-Token": csrf}
    r = c.post("/api/decide", json={"assignment": "example", "question": rb.MANUAL_QUESTION,
                                    "members": [{"file": "strong.ipynb", "version": 0}], "points": 99}, headers=h)
    assert r.status_code == 400 and "at most" in r.get_json()["error"]
    assert c.post("/api/split", json={"assignment": "example", "question": "nope", "files": ["x"]},
                  headers=h).status_code == 400
    assert c.get("/question?a=example&q=nope").status_code == 404


def test_index_lists_questions_and_split_regroups(app):
    c = client(app)
    html = c.get("/").get_data(as_text=True)
    assert rb.MANUAL_QUESTION in html and rb.HEDGED_QUESTION in html
    before, csrf = page(c)
    n_groups = before.count('class="group ')
    r = c.post("/api/split", json={"assignment": "example", "question": rb.MANUAL_QUESTION,
                                   "files": ["typical_mistakes.ipynb"]}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    after, _ = page(c)
    assert after.count('class="group ') == n_groups + 1


def test_the_command_serves_on_loopback_with_a_token(made_batch, tmp_path):
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    shutil.copytree(made_batch / "out", tmp_path / "out")
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "review", str(tmp_path / "out"), "--port", "0",
                             "--grader", "ana"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        url = re.search(r"(http://\S+)", "".join(lines)).group(1)
        assert url.startswith("http://127.0.0.1:") and re.search(r"\?token=[\w-]{32,}$", url)
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.status == 200 and rb.MANUAL_QUESTION in r.read().decode()
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(url.split("?")[0], timeout=30)
        assert exc.value.code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)
