"""Benchmark of ``auditor batch`` against the hardware floor, nbgrader and nbmake (prints figures).

Not a test.  Builds a class of N notebooks in a temporary folder (copies of the shipped example
submissions, notebooks/submissions/*.ipynb, and of ../shared/corpus/notebooks when present; each
copy made unique by a metadata field so no two share a cache key), then measures:

- wall time of ``auditor batch`` as a user runs it, a fresh process each time (fresh output
  folder, default options: execute, sandbox; the median of ``--repeat`` runs: this machine is a
  shared VM whose speed varies by 10-20 % between runs),
  notebooks per minute, the cells' own time inside the batch's kernels (what running two kernels
  side by side costs the cells themselves); the peak resident memory of each worker process and
  each kernel (psutil, sampled) in one more run that is not timed;
- the execution floor: every distinct notebook run once with nbclient (record_timing) in a kernel
  with torch already imported and OMP/MKL limited to one thread; the cells' own compute is the sum
  of (shell.execute_reply - iopub.execute_input) over its cells; the class's floor is the sum over
  its N copies divided by the cores; our ratio to it.  The floor's kernels run with glibc's default
  allocator (as nbgrader's and nbmake's do); ours are forked from a zygote whose malloc is on
  transparent huge pages, which makes the same cells faster inside the batch (printed as the
  cells' own time inside the batch's kernels);
- audit work outside execution per notebook: ``audit(execute=False)`` + JSON + HTML, in a fresh
  process warmed as a batch worker is; the first audit of each distinct notebook (as in a real
  class, where no two submissions are alike), and the same notebooks again (memoised parts);
- the same class through ``nbgrader autograde`` and ``pytest --nbmake -n JOBS``, both installed in
  the benchmark's own virtual environment (``--venv``, created with --system-site-packages so the
  notebooks find torch), for side-by-side ratios in one run.

    python bench/batch.py --n 100 --repeat 3   # the issue's figure (median of 3 runs of ours)
    python bench/batch.py --n 6 --skip-nbgrader   # quick look
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "notebooks"
MiB = 1024 * 1024


# --------------------------------------------------------------------------- the class

def sources(use_corpus: bool) -> list[Path]:
    found = sorted((REPO / "notebooks" / "submissions").glob("*.ipynb"))
    if use_corpus and CORPUS.is_dir():
        found += sorted(CORPUS.glob("*.ipynb"))
    return found


def build_class(srcs: list[Path], n: int, folder: Path) -> list[tuple[Path, Path]]:
    """N unique copies (cycling through the sources): [(copy, its source)]."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        src = srcs[i % len(srcs)]
        nb = json.loads(src.read_text(encoding="utf-8"))
        nb.setdefault("metadata", {})["bench_copy"] = i
        dst = folder / f"s{i:04d}.ipynb"
        dst.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        out.append((dst, src))
    return out


# --------------------------------------------------------------------------- memory sampling

class PeakMemory:
    """Samples the RSS of every descendant process; peak per process, split workers / kernels."""

    def __init__(self, interval: float = 0.2):
        import psutil

        self.psutil = psutil
        self.interval = interval
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = self.psutil.Process()
        while not self._stop.is_set():
            try:
                kids = me.children(recursive=True)
            except self.psutil.Error:
                kids = []
            for p in kids:
                try:
                    rss = p.memory_info().rss
                    name = p.name()
                    cmd = " ".join(p.cmdline())
                except self.psutil.Error:
                    continue
                # auditor names its processes (auditor-worker, auditor-zygote, auditor-kernel)
                if name.startswith("auditor-"):
                    kind = name[len("auditor-"):]
                elif "ipykernel" in cmd:
                    kind = "kernel"
                elif "forkserver" in cmd:  # multiprocessing's fork server (its workers rename themselves)
                    kind = "forkserver"
                else:
                    kind = "other"
                old = self.peaks.get(p.pid, (kind, 0))
                self.peaks[p.pid] = (kind, max(old[1], rss))
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, kind: str) -> float:
        vals = [rss for k, rss in self.peaks.values() if k == kind]
        return max(vals) / MiB if vals else float("nan")


# --------------------------------------------------------------------------- the floor

def _no_pip(source: str) -> str:
    return "\n".join("pass" if line.lstrip().startswith(("!pip", "%pip", "!conda", "%conda")) else line
                     for line in source.splitlines())


def cell_compute_seconds(src: Path, timeout: float = 120) -> float:
    """Run the notebook once, torch imported beforehand, one thread; sum of its cells' own times."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(src), as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            c.source = _no_pip(c.source)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import torch, numpy"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as wd:
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3", record_timing=True,
                                resources={"metadata": {"path": wd}})
        try:
            client.execute(env=env)
        except Exception as exc:  # a hung or dead kernel: count what ran
            print(f"  floor: {src.name}: {type(exc).__name__}: {str(exc)[:120]}", file=sys.stderr)
    total = 0.0
    for c in nb.cells[1:]:
        t = (c.get("metadata") or {}).get("execution") or {}
        a, b = t.get("iopub.execute_input"), t.get("shell.execute_reply")
        if a and b:
            total += max(0.0, (_ts(b) - _ts(a)))
    return total


def _ts(s: str) -> float:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# --------------------------------------------------------------------------- audit work outside execution

def audit_overhead_ms(srcs: list[Path]) -> tuple[float, float]:
    """(first audit of each distinct notebook, the same notebooks again) in ms per notebook,
    measured in a fresh process warmed as a batch worker is (auditor.batch.warmup).  The first
    figure is the one a real class sees (no two submissions alike, so nothing of a student's
    own answers is memoised); the second shows what memoisation saves on repeated notebooks."""
    proc = subprocess.run([sys.executable, __file__, "--audit-work", json.dumps([str(s) for s in srcs])],
                          capture_output=True, text=True, check=True)
    first, again = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(first), float(again)


def _audit_work(paths: list[str]) -> tuple[float, float]:
    import auditor.batch.warmup  # noqa: F401 - what the fork server does before the workers fork
    from auditor.batch.task import package as _package  # what a worker does after the audit: JSON dict, JSON text, HTML
    from auditor.pipeline import audit

    _package(audit(paths[0], execute=False))  # one notebook to warm the process (as a worker's first)
    timed = paths[1:] or paths

    def once() -> float:
        times = []
        for p in timed:
            t0 = time.perf_counter()
            _package(audit(p, execute=False))
            times.append(time.perf_counter() - t0)
        return 1000 * statistics.mean(times)

    return once(), once()


# --------------------------------------------------------------------------- other tools

def ensure_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    if not py.exists():
        print(f"creating {venv} (nbgrader, nbmake, pytest-xdist from PyPI) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    have = subprocess.run([str(py), "-c", "import nbgrader, nbmake, xdist"], capture_output=True).returncode == 0
    if not have:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "nbgrader", "nbmake", "pytest-xdist"], check=True)
    return py


def run_nbgrader(py: Path, class_files: list[Path], work: Path, timeout: float) -> float:
    """nbgrader autograde over the class: one student per notebook, one assignment 'ps1'."""
    course = work / "course"
    nbname = "summary.ipynb"
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(class_files[0], course / "source" / "ps1" / nbname)
    for i, f in enumerate(class_files):
        d = course / "submitted" / f"student{i:04d}" / "ps1"
        d.mkdir(parents=True)
        shutil.copy(f, d / nbname)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'bench'\n"
        f"c.ExecutePreprocessor.timeout = {int(timeout)}\n"
        "c.ExecutePreprocessor.kernel_name = 'python3'\n"
        "c.Execute.kernel_name = 'python3'\n"
        "c.Execute.timeout = %d\n" % int(timeout),
        encoding="utf-8",
    )
    nbg = [str(py), "-m", "nbgrader"]
    env = {**os.environ}
    log = work / "nbgrader.log"
    with open(log, "w") as fh:
        subprocess.run(nbg + ["db", "assignment", "add", "ps1"], cwd=course, stdout=fh, stderr=fh, env=env)
        subprocess.run(nbg + ["generate_assignment", "ps1", "--force"], cwd=course, stdout=fh, stderr=fh, env=env)
        t0 = time.perf_counter()
        rc = subprocess.run(nbg + ["autograde", "ps1", "--create", "--force"], cwd=course, stdout=fh, stderr=fh,
                            env=env).returncode
        wall = time.perf_counter() - t0
    graded = len(list((course / "autograded").glob("*/ps1/*.ipynb"))) if (course / "autograded").is_dir() else 0
    print(f"  nbgrader autograde: exit {rc}, {graded}/{len(class_files)} notebooks autograded (log: {log})",
          file=sys.stderr)
    return wall


def run_nbmake(py: Path, folder: Path, jobs: int, timeout: float, work: Path) -> float:
    log = work / "nbmake.log"
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        rc = subprocess.run([str(py), "-m", "pytest", "--nbmake", f"--nbmake-timeout={int(timeout)}",
                             "--nbmake-kernel=python3", "-n", str(jobs), "-q", "-p", "no:cacheprovider",
                             "-p", "no:auditor", str(folder)],
                            cwd=work, stdout=fh, stderr=fh).returncode
    wall = time.perf_counter() - t0
    print(f"  pytest --nbmake -n {jobs}: exit {rc} (notebooks with errors fail; log: {log})", file=sys.stderr)
    return wall


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="class size (default 100)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--venv", type=Path, default=REPO / "bench" / ".venv",
                    help="virtual environment for nbgrader and nbmake (created when missing)")
    ap.add_argument("--no-corpus", action="store_true", help="only the shipped example submissions")
    ap.add_argument("--skip-nbgrader", action="store_true")
    ap.add_argument("--skip-nbmake", action="store_true")
    ap.add_argument("--timeout", type=float, default=600, help="per-notebook timeout for every tool")
    ap.add_argument("--keep", type=Path, default=None, help="keep the class and the outputs in this folder")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run our batch this many times and report the median wall time (default 1)")
    ap.add_argument("--audit-work", help=argparse.SUPPRESS)  # internal: the fresh process of audit_overhead_ms
    args = ap.parse_args(argv)
    if args.audit_work:
        print(json.dumps(_audit_work(json.loads(args.audit_work))))
        return 0

    srcs = sources(not args.no_corpus)
    if not srcs:
        print("no source notebooks (notebooks/submissions/*.ipynb, ../shared/corpus/notebooks)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="auditor-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    cls = build_class(srcs, args.n, work / "class")
    files = [f for f, _ in cls]
    cores = os.cpu_count() or 1
    print(f"class: {args.n} notebooks from {len(srcs)} distinct sources in {work}; {cores} cores, "
          f"--jobs {args.jobs}", file=sys.stderr)

    # 1. the floor
    print("measuring the floor (each distinct notebook once, torch preloaded, 1 thread) ...", file=sys.stderr)
    # glibc's default allocator, as in nbgrader's and nbmake's kernels.  (Our forked kernels malloc
    # on huge pages, auditor.execute.zygote.MALLOC_TUNABLES; a fresh kernel given that setting ran these
    # cells about 1.8x *slower* here, so it is no fair floor: see "cells inside the batch" below.)
    per_source = {s: cell_compute_seconds(s, timeout=args.timeout) for s in srcs}
    floor = sum(per_source[src] for _, src in cls) / cores

    # 2. our batch, as a user runs it: `auditor batch` in a fresh process each time (its start, the
    # fork server's and the zygote's imports all count, as nbgrader's and nbmake's starts do);
    # --repeat times, each into a fresh output folder (nothing cached)
    walls: list[float] = []
    for attempt in range(max(1, args.repeat)):
        print(f"auditor batch (run {attempt + 1} of {max(1, args.repeat)}) ...", file=sys.stderr)
        wall, summary_run = run_ours(work / "class", work / ("out" if attempt == 0 else f"out{attempt}"),
                                     args.jobs, args.timeout)
        walls.append(wall)
        if attempt == 0:
            summary = summary_run
    ours = statistics.median(walls)
    # memory: one more run, not timed (sampling every process's RSS takes CPU from the run it measures)
    print("auditor batch (one more run, sampling memory; not timed) ...", file=sys.stderr)
    with PeakMemory() as mem:
        run_ours(work / "class", work / "out-mem", args.jobs, args.timeout, progress=False)
    subs = summary["submissions"]
    results = [json.loads((work / "out" / e["json"]).read_text()) for e in subs if e.get("json")]
    inside = sum(r["execution"].get("cells_own_s", 0) for r in results) / cores
    statuses: dict[str, int] = {}
    for e in subs:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
    exec_statuses: dict[str, int] = {}
    for e in subs:
        exec_statuses[str(e["execution"])] = exec_statuses.get(str(e["execution"]), 0) + 1

    # 3. audit work outside execution
    overhead, overhead_again = audit_overhead_ms(srcs)

    # 4. others
    nbgrader = nbmake = None
    if not (args.skip_nbgrader and args.skip_nbmake):
        py = ensure_venv(args.venv)
        if not args.skip_nbgrader:
            print("nbgrader autograde (serial) ...", file=sys.stderr)
            nbgrader = run_nbgrader(py, files, work / "nbgrader", args.timeout)
        if not args.skip_nbmake:
            print(f"pytest --nbmake -n {args.jobs} ...", file=sys.stderr)
            nbmake = run_nbmake(py, work / "class", args.jobs, args.timeout, work)

    # 5. figures
    from rich.console import Console
    from rich.table import Table

    def per_min(wall: float) -> str:
        return f"{60 * args.n / wall:.1f}"

    t = Table(title=f"batch of {args.n} notebooks, {cores} cores, --jobs {args.jobs}", title_justify="left")
    for col in ("tool", "wall s", "notebooks/min", "x floor", "our speed-up"):
        t.add_column(col, justify="right" if col != "tool" else "left")
    t.add_row("floor (cells' own compute / cores)", f"{floor:.1f}", per_min(floor) if floor else "-", "1.00", "")
    runs = f" (median of {len(walls)}: {', '.join(f'{w:.1f}' for w in walls)})" if len(walls) > 1 else ""
    t.add_row("auditor batch" + runs, f"{ours:.1f}", per_min(ours), f"{ours / floor:.2f}" if floor else "-", "1.0")
    if nbgrader is not None:
        t.add_row("nbgrader autograde", f"{nbgrader:.1f}", per_min(nbgrader),
                  f"{nbgrader / floor:.2f}" if floor else "-", f"{nbgrader / ours:.1f}")
    if nbmake is not None:
        t.add_row(f"pytest --nbmake -n {args.jobs}", f"{nbmake:.1f}", per_min(nbmake),
                  f"{nbmake / floor:.2f}" if floor else "-", f"{nbmake / ours:.1f}")
    con = Console()
    con.print(t)
    f = Table(title="other figures", title_justify="left")
    f.add_column("figure")
    f.add_column("value", justify="right")
    f.add_row("cells' own compute per notebook (mean over sources)", f"{statistics.mean(per_source.values()):.3f} s")
    f.add_row("the same cells' own time inside the batch's kernels / cores (2 kernels side by side)",
              f"{inside:.1f} s ({inside / floor:.2f} x the floor)" if floor else f"{inside:.1f} s")
    f.add_row("audit work outside execution per notebook (first audit of each distinct notebook)",
              f"{overhead:.1f} ms")
    f.add_row("  the same notebooks audited again in that process (memoised parts)", f"{overhead_again:.1f} ms")
    f.add_row("peak RSS per worker process", f"{mem.peak('worker'):.0f} MiB")
    f.add_row("peak RSS of the fork server (torch + pipeline preloaded)", f"{mem.peak('forkserver'):.0f} MiB")
    f.add_row("peak RSS of the shared zygote (ipykernel + torch imported)", f"{mem.peak('zygote'):.0f} MiB")
    f.add_row("peak RSS per kernel (most of it the zygote's pages, shared copy-on-write)",
              f"{mem.peak('kernel'):.0f} MiB")
    f.add_row("worker time per submission (mean; of it execution)",
              f"{statistics.mean(x['elapsed_s'] for x in subs if x.get('elapsed_s')):.2f} s; "
              f"{statistics.mean(r['execution']['duration_s'] for r in results):.2f} s")
    f.add_row("submissions by status", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    f.add_row("execution status", ", ".join(f"{k} {v}" for k, v in sorted(exec_statuses.items())))
    rerun_s, redone = _rerun(work, args.jobs, args.timeout)
    f.add_row("rerun of the same class", f"{rerun_s:.1f} s ({redone} audited again: internal errors are not cached)")
    con.print(f)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _rerun(work: Path, jobs: int, timeout: float) -> tuple[float, int]:
    """The first timed run again, same options (they are part of the cache key): all from cache."""
    wall, summary = run_ours(work / "class", work / "out", jobs, timeout, progress=False)
    return wall, sum(1 for e in summary["submissions"] if not e.get("cached"))


def run_ours(klass: Path, out: Path, jobs: int, timeout: float, progress: bool = True) -> tuple[float, dict]:
    """``auditor batch`` in a fresh process: (wall seconds, its summary.json)."""
    cmd = [sys.executable, "-m", "auditor", "batch", str(klass), "--out", str(out), "--jobs", str(jobs),
           "--timeout-total", str(timeout)] + ([] if progress else ["--quiet"])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=None if progress else subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):      # 1: submissions with findings
        raise SystemExit(f"auditor batch exited with {proc.returncode}: {' '.join(cmd)}")
    return wall, json.loads((out / "summary.json").read_text(encoding="utf-8"))


if __name__ == "__main__":
    sys.exit(main())
