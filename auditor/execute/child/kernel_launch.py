"""First process of a sandboxed kernel: apply limits, then exec the rest of the wrapper chain.

Run as a script by path (``python -I -S kernel_launch.py LIMITS_JSON -- CMD...``), never
imported by the kernel: it uses only the standard library and does not import ``auditor``.
It runs in the grader's namespaces, before ``bwrap``/``unshare``/``setpriv`` take over, so that:

* the resource limits (``setrlimit``) are inherited by everything the kernel starts;
* it can join the per-kernel cgroup (pids limit) while it still has the rights to do so;
* ``JPY_PARENT_PID`` is dropped when the kernel gets a pid namespace (there its parent pid is
  0 or 1, which would make ipykernel's parent poller shut it down at once; the namespace dies
  with the grader anyway).  Without a namespace it is kept, so an orphaned kernel exits.
"""
from __future__ import annotations

import json
import os
import resource
import sys

_LIMITS = {
    "as": resource.RLIMIT_AS,
    "cpu": resource.RLIMIT_CPU,
    "nproc": resource.RLIMIT_NPROC,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "core": resource.RLIMIT_CORE,
}


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: kernel_launch.py LIMITS_JSON -- CMD...\n")
        return 2
    spec = json.loads(argv[1])
    for procs_file in spec.get("cgroup_procs", []):
        with open(procs_file, "w") as f:
            f.write(str(os.getpid()))
    for name, value in spec.get("rlimits", {}).items():
        limit = int(value)
        resource.setrlimit(_LIMITS[name], (limit, limit))
    if not spec.get("keep_parent_pid"):
        os.environ.pop("JPY_PARENT_PID", None)
    os.umask(0o077)
    cmd = argv[3:]
    os.execvp(cmd[0], cmd)
    return 127  # pragma: no cover - execvp does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv))
