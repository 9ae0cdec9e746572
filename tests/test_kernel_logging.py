"""Nothing of a kernel's own logging reaches the user's terminal: the kernel's stderr (ipykernel's
log lines such as "[IPKernelApp] WARNING | ...", a student's writes to fd 2) goes to a log file in
its sandbox directory, on the cold and the warm path.  Checked at the file-descriptor level on
the real command, as a user runs it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LOUD = ("import os\n"
        "os.write(2, b'[IPKernelApp] WARNING | planted on the kernel fd 2\\n')\n"
        "get_ipython().kernel.log.warning('planted through the kernel logger')\n"
        "x = 1\n")


def _submissions(tmp_path: Path, copies: int) -> Path:
    subs = tmp_path / "subs"
    subs.mkdir()
    for src in sorted((ROOT / "notebooks" / "submissions").glob("*.ipynb")):
        for i in range(copies):
            shutil.copy(src, subs / f"{src.stem}-{i}.ipynb")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(LOUD)]
    nbformat.write(nb, subs / "loud.ipynb")
    return subs


@pytest.mark.slow
@pytest.mark.parametrize("warm", ["1", "0"], ids=["warm", "cold"])
def test_no_kernel_log_line_in_the_terminal_output_of_batch(tmp_path, warm):
    subs = _submissions(tmp_path, copies=1)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "AUDITOR_WARM_KERNELS": warm, "HOME": str(tmp_path)}
    with open(out, "wb") as o, open(err, "wb") as e:        # the process's own fds 1 and 2
        proc = subprocess.run([sys.executable, "-m", "auditor", "batch", str(subs), "--out",
                               str(tmp_path / "report"), "--jobs", "2", "--quiet"],
                              stdout=o, stderr=e, stdin=subprocess.DEVNULL, env=env, timeout=600)
    text = out.read_text(errors="replace") + err.read_text(errors="replace")
    assert proc.returncode == 1, text[-2000:]      # typical_mistakes has findings
    assert "IPKernelApp" not in text and "planted" not in text and "Kernel is running" not in text, text[-2000:]
    assert (tmp_path / "report" / "summary.json").exists()
