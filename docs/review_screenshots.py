"""Make the README's screenshots of the review page (docs/review-*.png) from OUR example submissions.

Audits notebooks/submissions (plus the hedging variant the tests use) without execution into a
temporary folder, records a few decisions (a rubric item, a graded group with a comment, a corrected
reading), serves the review app on 127.0.0.1 and takes the screenshots with headless Chromium
(``chromium --headless --screenshot``).

    python docs/review_screenshots.py
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def main() -> int:
    import review_batch as rb
    from werkzeug.serving import make_server

    from auditor.review.app import create_app
    from auditor.review.classdata import load_batch
    from auditor.review.database import ReviewDB
    from auditor.review.decisions import Member, SpecIndex, decide

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    root = Path(tempfile.mkdtemp(prefix="review-shots-"))
    subs = rb.make_submissions(root / "subs")
    rb.run(subs, root / "out")
    batch = load_batch(root / "out")
    db, specs = ReviewDB.in_folder(root / "out"), SpecIndex(batch)
    item = db.add_rubric("example", rb.MANUAL_QUESTION, "output size shrinks by the stride", 0.5)
    db.add_rubric("example", rb.MANUAL_QUESTION, "says what the stride is", 0.5)
    typical = [Member(f, 0) for f in ("hedging.ipynb", "typical_mistakes.ipynb")]
    decide(db, batch, specs, "example", rb.MANUAL_QUESTION, typical, points=0.5, rubric=[item.id],
           comment="Right about the size; say what the stride is.", grader="ta")
    decide(db, batch, specs, "example", rb.HEDGED_QUESTION, [Member("hedging.ipynb", 0)], reading="false", grader="ta")
    app = create_app(root / "out", token="tok", grader="ta")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    shots = {"review-question-page.png": (rb.MANUAL_QUESTION, 1500), "review-reading.png": (rb.HEDGED_QUESTION, 1100)}
    try:
        for name, (q, height) in shots.items():
            out = REPO / "docs" / name
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--user-data-dir={root / 'profile'}", f"--window-size=1200,{height}",
                            "--virtual-time-budget=2000", f"--screenshot={out}",
                            f"{base}/question?a=example&q={q}&token=tok"],
                           check=True, capture_output=True, timeout=60)
            print(out)
    finally:
        server.shutdown()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
