"""Run a submission in a fresh, sandboxed kernel and record what happened.

``execute_notebook`` builds a new nbformat v4 notebook from the parsed cells (the submission is
never touched), writes it alone into the sandbox's temporary working directory, starts the
auditor's own ipykernel (whatever kernel the notebook asks for) through :mod:`auditor.execute.sandbox`,
and drives nbclient cell by cell:

* package installs (``!pip``, ``%pip``, ``!conda`` ...) are replaced by no-ops and reported;
* each error is read from the *execute reply* (status, ename, evalue), so a student who
  silences ``showtraceback`` hides nothing;
* a per-cell timeout and an overall deadline; a timeout or a dead kernel stops the run and is
  reported as ``timeout`` / ``crashed``, never as ``ok``;
* outputs are capped per cell and in total (what is cut is reported), so a cell printing
  500 MB costs bounded memory;
* after the cells, the requested variables are fetched as plain data (:mod:`auditor.execute.kernel_values`);
* the kernel's whole process tree is killed at the end (no graceful shutdown to wait for).

This module drives one run; the notebook it runs is built by :mod:`~auditor.execute.notebook_build`,
the kernel manager and client are in :mod:`~auditor.execute.kernel_client`, and the result is
assembled by :mod:`~auditor.execute.result`.  The kernel's own stderr (its logging) goes to
``kernel-stderr.log`` in the sandbox directory, never to the grader's terminal.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import zmq
import zmq.asyncio
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from auditor.execute import in_kernel, kernel_values
from auditor.execute.kernel_client import (CELL_OUTPUT_CAP, CUT_MARKER, MAX_MESSAGE_BYTES, TOTAL_OUTPUT_CAP,
                                           AuditClient, SandboxedKernelManager, WarmKernelManager, reopen_iopub,
                                           wait_for_ready)
from auditor.execute.kernel_values import PROTOCOL_ERRORS
from auditor.execute.notebook_build import CONDA_SKIPPED, PIP_SKIPPED, build_notebook, neutralise_installs
from auditor.execute.result import (WARM_ISOLATION, cell_seconds, describe_exit, output_messages, reply_errors,
                                    stale_errors)
from auditor.execute.sandbox import Sandbox, SandboxPolicy
from auditor.execute.zygote import MALLOC_TUNABLES, WarmKernelProcess, Zygote, ZygoteUnavailable, get_zygote, \
    reap_in_background
from auditor.models import ExecStatus, ExecutionResult, ParsedNotebook, freeze

__all__ = ["CONDA_SKIPPED", "PIP_SKIPPED", "KernelStartError", "execute_notebook", "neutralise_installs"]

FETCH_TIMEOUT = 30.0
STARTUP_TIMEOUT = 60.0
WARM_ENV = "AUDITOR_WARM_KERNELS"           # "1": execute_notebook forks warm kernels by default


class KernelStartError(RuntimeError):
    """The sandboxed kernel could not be started: a problem of this machine, not the student."""


class _Run:
    def __init__(self, nb: ParsedNotebook, fetch: Sequence[str], timeout_cell: float,
                 timeout_total: float, policy: SandboxPolicy, warm: bool = False,
                 python: str | None = None) -> None:
        self.nb = nb
        self.python = python or sys.executable
        self.warm = warm
        # fetch: names to read after the last cell, or {cell index: names} to read right after that
        # cell has run (a later cell may reuse a name: `X` of one question is not `X` of the next)
        self.fetch_points: dict[int, list[str]] = {}
        if isinstance(fetch, Mapping):
            self.fetch_points = {int(c): list(dict.fromkeys(ns)) for c, ns in fetch.items() if ns}
            fetch = ()
        self.fetch = [n for n in dict.fromkeys(fetch)]
        self.timeout_cell = float(timeout_cell)
        self.timeout_total = float(timeout_total)
        self.policy = policy
        self.messages: list[str] = []

    async def run(self) -> ExecutionResult:
        zygote: Zygote | None = None
        why_cold = ""
        if self.warm:
            try:
                zygote = get_zygote(self.policy, self.python)
            except ZygoteUnavailable as exc:
                why_cold = str(exc)
        if zygote is not None:
            try:
                return await self._run(zygote, "")
            except ZygoteUnavailable as exc:
                why_cold = str(exc)
            except KernelStartError as exc:
                if not isinstance(exc.__cause__, ZygoteUnavailable):
                    raise
                why_cold = str(exc.__cause__)
            self.messages = []
        return await self._run(None, why_cold)

    async def _run(self, zygote: Zygote | None, why_cold: str) -> ExecutionResult:
        t0 = time.monotonic()
        self.deadline = t0 + self.timeout_total + STARTUP_TIMEOUT   # reset once the kernel is ready
        nb4, skipped = build_notebook(self.nb)
        sb = zygote.new_sandbox(self.policy) if zygote is not None else Sandbox(self.policy, python=self.python)
        with sb:
            isolation = sb.isolation()
            isolation.update(timeouts={"cell_s": self.timeout_cell, "total_s": self.timeout_total},
                             output_cap_chars={"cell": CELL_OUTPUT_CAP, "total": TOTAL_OUTPUT_CAP})
            if zygote is not None:
                isolation.update(WARM_ISOLATION)
                if zygote.hugepages:
                    isolation["allocator"] = f"glibc malloc on transparent huge pages (GLIBC_TUNABLES={MALLOC_TUNABLES})"
            else:
                isolation["kernel"] = "cold start" + (f" (warm path not used: {why_cold})"
                                                      if self.warm else "")
            with open(sb.workdir / "notebook.ipynb", "w", encoding="utf-8") as fh:
                json.dump(nb4, fh, ensure_ascii=False)      # built valid: no schema pass
            km_args = dict(sandbox=sb, kernel_name="python3", transport="ipc",
                           ip=str(sb.rundir / "kernel"), connection_file=str(sb.rundir / "kernel.json"))
            km = (WarmKernelManager(zygote=zygote, **km_args) if zygote is not None
                  else SandboxedKernelManager(**km_args))
            client = AuditClient(nb4, km, allow_errors=True, interrupt_on_timeout=False,
                                  timeout_func=self._cell_timeout, record_timing=True,
                                  raise_on_iopub_timeout=False, iopub_timeout=2,
                                  kernel_name="python3")
            try:
                await self._start(km, client, sb)
                # The overall timeout counts the student's cells, not our kernel start-up
                # (which a loaded batch machine may slow down).
                self.deadline = time.monotonic() + self.timeout_total
                status, values = await self._cells_then_fetch(km, client)
            finally:
                await self._kill(km, client)
        errors = reply_errors(client.replies)
        if status is ExecStatus.OK and errors:
            status = ExecStatus.ERRORS
        self.messages += output_messages(client.replies, client.idle_seen, client.truncated,
                                         CELL_OUTPUT_CAP, MAX_MESSAGE_BYTES)
        return ExecutionResult(status=status, errors=errors, stale_errors=stale_errors(self.nb, client.replies),
                               skipped=tuple(skipped), values=MappingProxyType(values),
                               isolation=freeze(isolation), duration_s=time.monotonic() - t0,
                               message="; ".join(self.messages),
                               cell_seconds=cell_seconds(nb4, client.replies))

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _cell_timeout(self, cell: Any) -> float:
        return max(0.05, min(self.timeout_cell, self._remaining()))

    async def _install_output_cap(self, kc: Any) -> None:
        """Cap stdout/stderr writes per cell inside the kernel (a courtesy: the grader-side
        cap and the ZMQ message cap hold even if the student removes it), and pin the kernel's
        message packer to the json.dumps it has before any student code runs."""
        code = (in_kernel.source("output_cap") + f"__auditor_cap({CELL_OUTPUT_CAP + 4096}, {CUT_MARKER!r})\n"
                "del __auditor_cap\n__auditor_pin_packer()\ndel __auditor_pin_packer\n")
        msg_id = kc.execute(code, silent=True,
                            store_history=False, allow_stdin=False)
        try:
            await kc._async_recv_reply(msg_id, timeout=10)
        except Exception:
            self.messages.append("kernel-side output cap not installed")

    async def _start(self, km: SandboxedKernelManager, client: AuditClient, sb: Sandbox) -> None:
        startup = STARTUP_TIMEOUT
        log_path = sb.root / "kernel-stderr.log"
        try:
            with open(log_path, "wb") as log:
                await km.start_kernel(cwd=str(sb.workdir), env=sb.env(), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=log)
            # Our own ZMQ context: a message larger than the cap is refused by the transport,
            # so one huge output never sits whole in the grader's memory.
            client.zmq_context = zmq.asyncio.Context()
            client.zmq_context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            # The channels connect before the kernel has bound its sockets: retry every 2 ms
            # instead of ZMQ's default 100 ms, which was most of a warm kernel's start (a retry
            # on a local ipc socket is one failed connect(): nothing to save by waiting longer).
            client.zmq_context.setsockopt(zmq.RECONNECT_IVL, 2)
            kc = km.client(context=client.zmq_context)
            kc.start_channels(stdin=False)  # no stdin: input() raises StdinNotImplementedError
            client.kc = kc
            await wait_for_ready(km, kc, timeout=startup)
            await self._install_output_cap(kc)
        except Exception as exc:
            try:
                with open(log_path, "rb") as log:
                    log.seek(max(0, os.path.getsize(log_path) - 2000))
                    tail = log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            except OSError:
                tail = []
            raise KernelStartError(f"the sandboxed kernel did not start: {exc} "
                                   f"(isolation: {sb.isolation().get('network')}; "
                                   f"kernel stderr: {' | '.join(tail) or 'empty'})") from exc

    async def _cells_then_fetch(self, km: SandboxedKernelManager,
                                client: AuditClient) -> tuple[ExecStatus, dict[str, Any]]:
        cells = client.nb.cells
        values: dict[str, Any] = {}
        pending = sorted(self.fetch_points)

        async def snapshot(before: int | None) -> None:
            # values of every point whose cell has run (all of them at the end)
            while pending and (before is None or pending[0] < before):
                point = pending.pop(0)
                names = self.fetch_points[point]
                got = await self._fetch(client.kc, names)
                values.update({f"{name}@{point}": v for name, v in got.items()})

        for index, cell in enumerate(cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            await snapshot(index)
            if self._remaining() <= 0:
                self.messages.append(f"overall timeout of {self.timeout_total:g} s reached "
                                     f"before cell {index}")
                return ExecStatus.TIMEOUT, {}
            try:
                await client.async_execute_cell(cell, index)
                if index in client.replies and index not in client.idle_seen:
                    await reopen_iopub(client.kc)     # a refused message broke the channel
            except CellTimeoutError:
                if self._remaining() <= 0.05:
                    self.messages.append(f"cell {index} was still running at the overall timeout "
                                         f"of {self.timeout_total:g} s; later cells not run")
                else:
                    self.messages.append(f"cell {index} exceeded the per-cell timeout of "
                                         f"{self.timeout_cell:g} s; later cells not run")
                return ExecStatus.TIMEOUT, {}
            except PROTOCOL_ERRORS as exc:
                # The kernel is the student's process: code that replaces its serializer
                # (e.g. json.dumps) or writes to its sockets sends messages nbclient cannot
                # read (duplicate or invalid signatures, missing headers).  Its fault, never ours.
                self.messages.append(f"the kernel broke the messaging protocol while running cell {index} "
                                     f"({type(exc).__name__}: {str(exc)[:120]}); later cells not run")
                return ExecStatus.CRASHED, {}
            except DeadKernelError:
                proc = getattr(km.provisioner, "process", None)
                rc = None
                if proc is not None:
                    try:
                        rc = proc.wait(timeout=2)
                    except subprocess.TimeoutExpired:
                        pass
                self.messages.append(f"the kernel died while running cell {index} "
                                     f"({describe_exit(rc)}); later cells not run")
                return ExecStatus.CRASHED, {}
        if not await client.kc.is_alive():
            self.messages.append("the kernel exited during the run (e.g. exit() or os._exit in a "
                                 "cell); its results are incomplete")
            return ExecStatus.CRASHED, {}
        await snapshot(None)
        if self.fetch:
            values.update(await self._fetch(client.kc, self.fetch))
        return ExecStatus.OK, values

    async def _fetch(self, kc: Any, names: Sequence[str]) -> dict[str, Any]:
        timeout = max(2.0, min(FETCH_TIMEOUT, self._remaining() + 5))
        return await kernel_values.fetch(kc, names, timeout, self.messages)

    async def _kill(self, km: SandboxedKernelManager, client: AuditClient) -> None:
        """Kill the whole process tree now: the results are already read."""
        proc = getattr(km.provisioner, "process", None) if km.provisioner else None
        if isinstance(proc, WarmKernelProcess):
            reap_in_background(proc)
        elif proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.kill()
            except (ProcessLookupError, OSError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if client.kc is not None:
            try:
                client.kc.stop_channels()
            except Exception:
                pass
        try:
            await km.cleanup_resources()
        except Exception:
            pass
        for ctx in (client.zmq_context, km.context):
            try:
                if ctx is not None:
                    ctx.destroy(linger=0)
            except Exception:
                pass


def _run_coroutine(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:    # called from inside an event loop
        return pool.submit(asyncio.run, coro).result()


def execute_notebook(nb: ParsedNotebook, *, fetch: Sequence[str] | Mapping[int, Sequence[str]] = (), timeout_cell: float = 60,
                     timeout_total: float = 600, sandbox: SandboxPolicy | None = None,
                     warm: bool | None = None, python: str | None = None) -> ExecutionResult:
    """Execute ``nb`` in a fresh sandboxed kernel; see the module docstring.

    ``warm=True`` forks the kernel from a zygote that has ipykernel, numpy and torch already
    imported (:mod:`auditor.execute.zygote`), with the same isolation as a cold start; where that
    isolation cannot be reproduced the kernel is started cold and ``isolation["kernel"]`` says why.
    ``warm=None`` (the default) means warm when the environment variable ``AUDITOR_WARM_KERNELS``
    is ``1`` (batch workers set it), cold otherwise.

    ``python`` is the kernel's interpreter (default: the one running the grader); it needs
    ipykernel.

    Raises KernelStartError when the kernel cannot start on this machine (not the student's
    fault: the pipeline reports it as an internal error).
    """
    policy = sandbox if sandbox is not None else SandboxPolicy()
    if warm is None:
        warm = os.environ.get(WARM_ENV, "") == "1"
    return _run_coroutine(_Run(nb, fetch, timeout_cell, timeout_total, policy, warm, python).run())
