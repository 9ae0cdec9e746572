"""The batch fork server's warm-up: every step runs, and its results are what workers inherit."""
from __future__ import annotations

import subprocess
import sys

from auditor.batch.local_pool import FORKSERVER_PRELOAD


def test_warm_up_is_preloaded_last_and_every_step_succeeds():
    assert FORKSERVER_PRELOAD[-1] == "auditor.batch.warmup"
    # a fresh interpreter, as the fork server is: nothing imported or cached before
    code = (
        "import torch\n"
        "import auditor.batch.warmup as w\n"
        "from checks.demonstrations import registry\n"
        "from auditor.judge.registry import default_registry\n"
        "assert w.FAILED == [], w.FAILED\n"
        "assert torch.get_num_threads() == 1\n"
        "assert registry.run_demonstration.cache_info().currsize == len(registry.names()) > 0\n"
        "assert default_registry.cache_info().currsize == 1\n"
        "from nbformat.validator import validators\n"
        "assert {key[2] for key in validators if key[1] == 4} >= set(range(6)), list(validators)\n"
        "import gc\n"
        "assert gc.get_freeze_count() > 100000, gc.get_freeze_count()\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def test_a_failing_step_is_reported_and_skipped(monkeypatch):
    import auditor.batch.warmup as w

    calls = []

    def boom():
        raise RuntimeError("no such thing")

    def fine():
        calls.append("fine")

    monkeypatch.setattr(w, "_steps", lambda: [boom, fine])
    assert w.warm_up() == ["boom: RuntimeError: no such thing"]
    assert calls == ["fine"]


def test_every_preloaded_module_imports():
    """multiprocessing skips a preload name that does not import, silently: the workers would then
    import it themselves, each one, for seconds.  Every listed name must import."""
    from auditor.batch.local_pool import missing_preloads

    assert missing_preloads() == []
    assert missing_preloads(("auditor.no_such_module", "torch")) == ["auditor.no_such_module"]
    # a fresh interpreter, as the fork server is (the warm-up itself: the test above)
    code = ("import importlib, sys\n"
            "from auditor.batch.local_pool import FORKSERVER_PRELOAD\n"
            "for name in FORKSERVER_PRELOAD[:-1]:\n"
            "    importlib.import_module(name)\n"
            "print('ok', len(FORKSERVER_PRELOAD))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["ok", str(len(FORKSERVER_PRELOAD))]
