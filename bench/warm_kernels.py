"""Benchmark: cold-started vs warm (zygote-forked) sandboxed kernels (prints figures; not a test).

1. per notebook: wall time of ``execute_notebook`` cold and warm (the zygote already running;
   its one-off start is printed apart), and the cells' own time (sum of ``cell_seconds``);
2. a class of ``--n`` notebooks (cycling through the given ones) on ``--jobs`` worker processes,
   cold then warm: wall time once the workers (and their zygotes) are up, and with their start;
   the floor (the cells' own time in the warm kernels, i.e. with torch already imported, / jobs:
   the issue's definition) and each run's ratio to it.

    python bench/warm_kernels.py                       # seed (when ../shared is present) + examples
    python bench/warm_kernels.py --n 20 --jobs 2 NB...
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "corpus" / "notebooks" / \
    "artman-industries__objet-detection-on-TACO-dataset__Part2_SummaryQuestions.ipynb"


def _run(path: str, warm: bool) -> tuple[float, float, str, str]:
    from auditor.execute.run import execute_notebook
    from auditor.load.notebook import load_notebook

    nb = load_notebook(path)
    t = time.monotonic()
    r = execute_notebook(nb, warm=warm, timeout_cell=120, timeout_total=600)
    return time.monotonic() - t, sum(r.cell_seconds), r.status.value, str(r.isolation.get("kernel", ""))


def _worker_init() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _start_worker(warm: bool) -> int:
    if warm:
        from auditor.execute.sandbox import SandboxPolicy
        from auditor.execute.zygote import get_zygote
        get_zygote(SandboxPolicy(), sys.executable)
    time.sleep(0.5)         # so that each worker gets one of these
    return os.getpid()


def _class(paths: list[str], n: int, jobs: int, warm: bool) -> tuple[float, float, float, list[str]]:
    """(wall with the workers' start, wall once started, floor, kernel kinds)."""
    todo = [paths[i % len(paths)] for i in range(n)]
    ctx = multiprocessing.get_context("forkserver")
    t = time.monotonic()
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_init) as pool:
        list(pool.map(_start_worker, [warm] * jobs))
        started = time.monotonic()
        results = list(pool.map(_run, todo, [warm] * n))
    end = time.monotonic()
    return end - t, end - started, sum(r[1] for r in results) / jobs, sorted({r[3].split(":")[0] for r in results})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-class", action="store_true")
    args = ap.parse_args()
    paths = args.notebooks or ([str(SEED)] if SEED.exists() else []) + \
        sorted(str(p) for p in (REPO / "notebooks" / "submissions").glob("*.ipynb"))

    from auditor.execute.sandbox import SandboxPolicy
    from auditor.execute.zygote import get_zygote

    t = time.monotonic()
    get_zygote(SandboxPolicy(), sys.executable)
    print(f"zygote start (once per worker process): {time.monotonic() - t:.2f} s")
    print(f"{'notebook':60s} {'cold s':>7s} {'warm s':>7s} {'cells s':>8s}  status")
    for p in paths:
        cold = _run(p, False)
        warm = _run(p, True)
        print(f"{Path(p).name[:60]:60s} {cold[0]:7.2f} {warm[0]:7.2f} {warm[1]:8.3f}  {cold[2]}/{warm[2]} "
              f"[{warm[3].split(':')[0]}]")
    if not args.skip_class:
        runs = {warm: _class(paths, args.n, args.jobs, warm) for warm in (True, False)}
        floor = runs[True][2]       # the cells' own time with torch already imported, / jobs
        print(f"class of {args.n} on {args.jobs} workers: floor {floor:.2f} s (cells' own time in the "
              f"warm kernels / {args.jobs})")
        for warm in (False, True):
            total, wall, _, kinds = runs[warm]
            print(f"  {'warm' if warm else 'cold'}: wall {wall:.1f} s ({total:.1f} s with the workers' "
                  f"start), {wall / floor if floor else float('nan'):.1f}x the floor, "
                  f"{60 * args.n / wall:.0f} notebooks/min, kernels: {', '.join(kinds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
