"""A small batch folder for the review tests, made from OUR example submissions (notebooks/submissions)
plus one variant that hedges a true/false verdict (so the batch has a `review` item), audited
without execution (reading is what the review corrects; fast)."""
from __future__ import annotations

import contextlib
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "notebooks" / "submissions"
HEDGED_FROM = "True, ReLU does not saturate so the gradient cannot vanish."
HEDGED_TO = "It depends: partly true and partly false, ReLU does not saturate for positive inputs."
# the manual answer a re-run changes (convolutional-networks/1 of strong.ipynb)
MANUAL_QUESTION = "convolutional-networks/1"
HEDGED_QUESTION = "activation-functions/1.2"


# student text that tries to run script in the review page (in a code span: the answer's plain text
# keeps it, while markdown HTML tags themselves are dropped by the reader)
HOSTILE = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'
STRIDE_QUESTION = "what does the stride of a convolution change"


def make_submissions(folder: Path, *, hostile: bool = False) -> Path:
    """Our examples, ``hedging.ipynb`` (a hedged verdict: `review`) and, with ``hostile``,
    ``hostile.ipynb`` (HOSTILE as its answer to MANUAL_QUESTION)."""
    folder.mkdir(parents=True, exist_ok=True)
    for nb in sorted(EXAMPLES.glob("*.ipynb")):
        shutil.copy(nb, folder / nb.name)
    nb = nbformat.read(folder / "typical_mistakes.ipynb", as_version=4)
    cell = next(c for c in nb.cells if HEDGED_FROM in c.source)
    cell.source = cell.source.replace(HEDGED_FROM, HEDGED_TO)
    nbformat.write(nb, folder / "hedging.ipynb")
    if hostile:
        shutil.copy(folder / "strong.ipynb", folder / "hostile.ipynb")
        change_answer(folder, "hostile.ipynb", STRIDE_QUESTION, "**Answer:** `" + HOSTILE + "`")
    return folder


def run(submissions: Path, out: Path):
    from auditor.batch.runner import run_batch

    return run_batch(submissions, out_dir=out, jobs=1, execute=False, progress=False)


def change_answer(submissions: Path, name: str, question_phrase: str, new_text: str) -> None:
    """Replace the markdown answer cell right after the cell that contains ``question_phrase``."""
    nb = nbformat.read(submissions / name, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if question_phrase in c.source)
    nb.cells[at + 1].source = new_text
    nbformat.write(nb, submissions / name)


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@contextlib.contextmanager
def serving(out: Path, token: str = "tok", grader: str = "ana"):
    """The review app on 127.0.0.1 (a free port) in a thread: yields (app, base URL)."""
    from werkzeug.serving import make_server

    from auditor.review.app import create_app

    app = create_app(out, token=token, grader=grader)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, base: str, path: str, token: str = "tok"):
    """A new session (its own cookies) on ``path``; returns (page, errors seen by the page)."""
    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # console errors include Content-Security-Policy violations (an inline script or style would be one)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/?token={token}")
    page.goto(f"{base}{path}")
    page.wait_for_selector(".group.current")
    return page, errors


@pytest.fixture(scope="session")
def made_batch(tmp_path_factory):
    """One audited batch (with ``hostile.ipynb``) per test process; tests copy it before writing."""
    root = tmp_path_factory.mktemp("review-batch")
    run(make_submissions(root / "subs", hostile=True), root / "out")
    return root
