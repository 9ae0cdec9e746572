"""A warm kernel on the grader's side: the process handle jupyter_client polls, its provisioner,
and the background reaper that removes a killed kernel's sandbox (see :mod:`auditor.execute.zygote_server`).
"""
from __future__ import annotations

import atexit
import json
import multiprocessing.util
import os
import queue
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from auditor.execute.sandbox import Sandbox

if TYPE_CHECKING:
    from auditor.execute.zygote_server import Zygote


class ZygoteUnavailable(RuntimeError):
    """The warm path cannot give the cold path's isolation here (or its server died)."""


class WarmKernelProcess:
    """The Popen-like handle of one forked kernel (what jupyter_client's provisioner polls)."""

    def __init__(self, conn: socket.socket, sb: Sandbox) -> None:
        self.conn = conn
        self.sandbox = sb
        self.buffer = b""
        self.returncode: int | None = None
        self.pid = 0          # not in our pid namespace's terms: use kill_tree() / send_signal()

    def read_message(self, timeout: float | None) -> dict[str, Any] | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.conn], [], [], left)
            if not ready:
                return None
            data = self.conn.recv(65536)
            if not data:
                return {"exit": None, "lost": True}
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def poll(self) -> int | None:
        if self.returncode is None:
            msg = self.read_message(timeout=0)
            if msg is not None and "exit" in msg:
                rc = msg["exit"]
                self.returncode = rc if isinstance(rc, int) else -int(signal.SIGKILL)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("warm kernel", timeout or 0)
            select.select([self.conn], [], [], 0.05 if deadline is None else
                          max(0.0, min(0.05, deadline - time.monotonic())))
        assert self.returncode is not None
        return self.returncode

    def _kernel_pid(self) -> int | None:
        """The kernel (pid 2 of its namespace) in our pid namespace's terms, from its cgroup."""
        if self.sandbox.cgroup is None:
            return None
        try:
            pids = (self.sandbox.cgroup / "cgroup.procs").read_text().split()
        except OSError:
            return None
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("NSpid:") and line.split()[-1] == "2" and len(line.split()) >= 4:
                    return int(pid)
        return None

    def send_signal(self, signum: int) -> None:
        if signum == signal.SIGKILL:
            self.kill_tree()
            return
        pid = self._kernel_pid()
        if pid is not None:
            os.kill(pid, signum)

    def kill(self) -> None:
        self.kill_tree()

    def terminate(self) -> None:
        self.kill_tree()

    def kill_tree(self) -> None:
        self.sandbox.kill_all()

    def signal_kill(self) -> None:
        """SIGKILL everything in the kernel's cgroup once, without waiting: killing the
        namespace's pid 1 ends every process in it, and the zygote reports when it is gone."""
        if self.sandbox.cgroup is None:
            self.kill_tree()
        else:
            self.sandbox.signal_kill(by_uid=False)

    def close(self) -> None:
        if self.reaping:
            return                  # the background reaper closes it once the kernel is gone
        self._close()

    def _close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass

    reaping = False


class _Reaper:
    """Waits, off the auditing thread, for killed warm kernels to be gone, then removes their
    sandboxes (the kernel's results are read before it is killed: nothing waits for its
    teardown, which for a process sharing hundreds of MB of pages takes tens of ms)."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.queue: Any = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="auditor-kernel-reaper", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                proc = item
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
                proc._close()
                proc.sandbox.close()    # anything left is killed, the cgroup and files removed
            except Exception:
                pass                    # best effort: a kernel's litter never stops the audit
            finally:
                self.queue.task_done()


_LOCK = threading.Lock()
_REAPER: list[_Reaper] = []


def reap_in_background(proc: WarmKernelProcess) -> None:
    """Kill ``proc``'s kernel now; wait for it and remove its sandbox in the background."""
    proc.reaping = True
    proc.sandbox.close_deferred = True
    proc.signal_kill()
    with _LOCK:
        if not _REAPER or _REAPER[0].owner != os.getpid():
            _REAPER[:] = [_Reaper()]
            # multiprocessing's workers end with os._exit (no atexit): its finalizers do run
            multiprocessing.util.Finalize(None, wait_for_reaper, exitpriority=20)
        reaper = _REAPER[0]
    reaper.queue.put(proc)


def wait_for_reaper() -> None:
    """Block until every kernel handed to the background reaper is gone and cleaned up."""
    with _LOCK:
        reaper = _REAPER[0] if _REAPER and _REAPER[0].owner == os.getpid() else None
    if reaper is not None:
        reaper.queue.join()


class ZygoteProvisioner(LocalProvisioner):  # type: ignore[misc]
    """A jupyter_client kernel provisioner whose "launch" is a fork of the warm zygote."""

    zygote: "Zygote | None" = None
    sandbox: Sandbox | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        assert self.zygote is not None and self.sandbox is not None
        km = self.parent
        self.process = self.zygote.spawn(self.sandbox, km.connection_file, dict(kwargs.get("env") or {}))
        self.pid = None
        self.pgid = None
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        if self.process:
            self.process.send_signal(signum)

    async def cleanup(self, restart: bool = False) -> None:
        if self.process is not None:
            self.process.close()
        await super().cleanup(restart)


atexit.register(wait_for_reaper)
