"""The review web app (Flask): one question across the class, graded by group, from the keyboard.

Safe by construction:
- served on 127.0.0.1 only (auditor.cli.review); requests whose Host is not the loopback address
  are refused (DNS rebinding);
- a random token in the URL, as Jupyter does: the first visit with ``?token=`` sets an HttpOnly,
  SameSite=Strict cookie; every request needs one of the two;
- CSRF: every write is a JSON POST carrying the page's random CSRF token in ``X-CSRF-Token`` (a
  cross-site form cannot set the header; the cookie is SameSite=Strict too) and, when the browser
  sends one, an ``Origin`` equal to ours;
- student text reaches the page only as text, through Jinja autoescape (never as markup; the
  script sets it with textContent); a Content-Security-Policy allows our own script and style files and nothing
  else (no inline script, no remote load, no framing); no-referrer keeps the token in the page.
Decisions are written through auditor.review.decisions (optimistic concurrency: a stale write
answers 409 with the message) and published at once into grades.csv and the student's report.
"""
from __future__ import annotations

import hmac
import secrets
import threading
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, make_response, render_template, request, send_from_directory
from jinja2 import StrictUndefined

from auditor.review.classdata import TO_GRADE, ClassBatch, load_batch
from auditor.review.database import ReviewDB, StaleWrite
from auditor.review.decisions import ChangedAnswer, DecisionError, Member, SpecIndex, decide
from auditor.review.grouping import group_answers
from auditor.review.publish import publish
from auditor.report.html import CONTENT_SECURITY_POLICY as REPORT_CSP
from auditor.report.values import format_value
from auditor.report.view import highlight

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
COOKIE = "auditor_review_token"
LOOPBACK = ("127.0.0.1", "localhost")


class ReviewState:
    """The batch (reloaded when the batch is re-run), its decisions database and spec index."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.db = ReviewDB.in_folder(self.folder)
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._batch: ClassBatch | None = None
        self._specs: SpecIndex | None = None

    def batch(self) -> ClassBatch:
        stamp = (self.folder / "summary.json").stat().st_mtime
        with self._lock:
            if self._batch is None or stamp != self._stamp:
                batch = load_batch(self.folder)
                self.db.mark_stale({a.key: a.hash for a in batch.items})
                self._batch, self._stamp, self._specs = batch, stamp, SpecIndex(batch)
            return self._batch

    def specs(self) -> SpecIndex:
        self.batch()
        assert self._specs is not None
        return self._specs




def create_app(folder: str | Path, *, token: str | None = None, grader: str = "") -> Flask:
    here = Path(__file__).parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"),
                static_url_path="/static")
    app.jinja_env.autoescape = True
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["value"] = format_value
    app.jinja_env.globals["highlight"] = highlight
    state = ReviewState(folder)
    app.config["REVIEW_STATE"] = state
    app.config["REVIEW_TOKEN"] = token or secrets.token_urlsafe(32)
    app.config["CSRF_TOKEN"] = secrets.token_urlsafe(32)
    app.config["GRADER"] = grader

    @app.before_request
    def _guard():
        host = (request.host or "").rsplit(":", 1)[0].strip("[]")
        if host not in LOOPBACK:
            abort(403, "this server answers on the loopback address only")
        want = app.config["REVIEW_TOKEN"]
        given = request.args.get("token") or request.cookies.get(COOKIE) or ""
        if not hmac.compare_digest(given.encode(), want.encode()):
            abort(403, "open the address with the token that `auditor review` printed")
        if request.method != "GET":
            if not hmac.compare_digest((request.headers.get("X-CSRF-Token") or "").encode(),
                                       app.config["CSRF_TOKEN"].encode()):
                abort(403, "missing or wrong CSRF token: reload the page")
            origin = request.headers.get("Origin")
            if origin and origin != request.host_url.rstrip("/"):
                abort(403, "cross-origin write refused")
            if not request.is_json:
                abort(415, "writes are JSON")

    @app.after_request
    def _headers(resp):
        # a student's report (its own page) keeps the report's policy: inline style, no script at all
        resp.headers["Content-Security-Policy"] = (REPORT_CSP if request.path.startswith("/report/")
                                                   else CONTENT_SECURITY_POLICY)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        if request.args.get("token") == app.config["REVIEW_TOKEN"]:
            resp.set_cookie(COOKIE, app.config["REVIEW_TOKEN"], httponly=True, samesite="Strict")
        return resp

    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(415)
    def _error(exc):
        if request.path.startswith("/api/"):
            return jsonify({"error": exc.description}), exc.code
        return make_response(f"{exc.code}: {exc.description}\n", exc.code, {"Content-Type": "text/plain"})

    @app.get("/")
    def index():
        batch = state.batch()
        decided = state.db.decisions()
        rows = []
        for q in batch.questions:
            answers = batch.answers(q.assignment, q.id)
            todo = [a for a in answers if a.status in TO_GRADE]
            done = sum(1 for a in todo if a.key in decided and not decided[a.key].stale)
            stale = sum(1 for a in answers if a.key in decided and decided[a.key].stale)
            rows.append({"q": q, "answers": len(answers), "todo": len(todo), "done": done, "stale": stale,
                         "groups": len(group_answers(todo)) if todo else 0})
        rows.sort(key=lambda r: (r["todo"] == r["done"] and not r["stale"], r["q"].assignment))  # work left first
        totals = {k: sum(r[k] for r in rows) for k in ("todo", "done", "groups", "stale")}
        return render_template("review_index.html.j2", rows=rows, batch=batch, totals=totals,
                               csrf=app.config["CSRF_TOKEN"])

    @app.get("/question")
    def question():
        batch = state.batch()
        aid, qid = request.args.get("a", ""), request.args.get("q", "")
        info = batch.question(aid, qid)
        if info is None:
            abort(404, f"no question {qid!r} of {aid!r} in this batch")
        answers = batch.answers(aid, qid)
        groups = group_answers(answers, state.db.splits(aid, qid))
        decisions = state.db.decisions(aid, qid)
        rubric = state.db.rubric(aid, qid)
        spec_q = state.specs().question(aid, qid, answers[0].file if answers else None)
        order = [(q.assignment, q.id) for q in batch.questions]
        at = order.index((aid, qid))
        nav = {"prev": order[at - 1] if at > 0 else None, "next": order[at + 1] if at + 1 < len(order) else None}
        return render_template(
            "review_question.html.j2", info=info, groups=groups, rubric=rubric, csrf=app.config["CSRF_TOKEN"],
            decisions={f: d for (f, _q), d in decisions.items()}, claim_kind=spec_q.claim if spec_q else None,
            nav=nav)

    @app.get("/favicon.ico")
    def favicon():
        return "", 204

    @app.get("/report/<path:name>")
    def report(name: str):
        return send_from_directory(state.folder / "submissions", name)

    def _payload() -> dict[str, Any]:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(415, "writes are a JSON object")
        return data

    @app.post("/api/decide")
    def api_decide():
        data = _payload()
        batch = state.batch()
        kwargs = {k: data[k] for k in ("points", "comment", "rubric") if k in data}
        try:
            members = [Member(str(m["file"]), int(m["version"]), m.get("hash")) for m in data.get("members") or []]
            written = decide(state.db, batch, state.specs(), str(data.get("assignment", "")),
                             str(data.get("question", "")), members, reading=data.get("reading"),
                             grader=app.config["GRADER"], **kwargs)
        except StaleWrite as exc:
            return jsonify({"error": str(exc), "stale": True,
                            "current": [c.as_json() for c in exc.conflicts if c is not None]}), 409
        except ChangedAnswer as exc:
            return jsonify({"error": str(exc), "stale": True}), 409
        except (DecisionError, KeyError, TypeError, ValueError) as exc:
            return jsonify({"error": str(exc)}), 400
        publish(state.db, batch, files=[d.file for d in written])
        return jsonify({"decisions": [d.as_json() for d in written]})

    @app.post("/api/rubric")
    def api_rubric():
        data = _payload()
        batch = state.batch()
        aid, qid = str(data.get("assignment", "")), str(data.get("question", ""))
        if batch.question(aid, qid) is None:
            return jsonify({"error": "no such question"}), 400
        try:
            item = state.db.add_rubric(aid, qid, str(data.get("label", "")), float(data.get("points") or 0))
        except (TypeError, ValueError) as exc:
            return jsonify({"error": str(exc)}), 400
        return jsonify({"item": {"id": item.id, "label": item.label, "points": item.points}})

    @app.post("/api/split")
    def api_split():
        data = _payload()
        batch = state.batch()
        aid, qid = str(data.get("assignment", "")), str(data.get("question", ""))
        files = [str(f) for f in data.get("files") or []]
        if batch.question(aid, qid) is None or not files or any(batch.item(f, qid) is None for f in files):
            return jsonify({"error": "choose answers of this question to split off"}), 400
        return jsonify({"tag": state.db.split(aid, qid, files)})

    return app
