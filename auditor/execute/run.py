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
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime
from queue import Empty
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from auditor.execute import kernel_values
from auditor.models import CellError, ExecStatus, ExecutionResult, ParsedNotebook, freeze
from auditor.execute.sandbox import Sandbox, SandboxPolicy
from auditor.execute.zygote import (KERNEL_ARGS, MALLOC_TUNABLES, WarmKernelProcess, Zygote, ZygoteProvisioner,
                            ZygoteUnavailable, get_zygote, reap_in_background)

CELL_OUTPUT_CAP = 1 * 1024 * 1024          # characters of output kept per cell
TOTAL_OUTPUT_CAP = 16 * 1024 * 1024        # characters of output kept for the notebook
MAX_MESSAGE_BYTES = 4 * kernel_values.MAX_VALUE_BYTES + (1 << 20)   # per ZMQ message
FETCH_TIMEOUT = 30.0
STARTUP_TIMEOUT = 60.0
WARM_ENV = "AUDITOR_WARM_KERNELS"           # "1": execute_notebook forks warm kernels by default
PIP_SKIPPED = "pip install not run"
CONDA_SKIPPED = "conda install not run"

# A line that installs packages: `!pip ...`, `%pip ...`, `!python -m pip ...`,
# `!{sys.executable} -m pip ...`, `%conda ...`, `!conda/mamba ...`.
_INSTALL_LINE = re.compile(
    r"^(?P<indent>[ \t]*)[!%]\s*(?:(?:\S*python[\d.]*|\{[^}]*\})\s+-m\s+)?"
    r"(?P<tool>pip3?|conda|mamba|micromamba)\b")
# Inside %%bash / %%sh / %%script cells the lines are shell: `pip install`, `conda install`.
_SHELL_INSTALL_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:sudo\s+)?(?:(?:\S*python[\d.]*)\s+-m\s+)?(?P<tool>pip3?|conda|mamba)\s")
_SHELL_CELL = re.compile(r"^\s*%%(bash|sh|script)\b")


#: what reading a kernel's malformed messages raises in jupyter_client / nbclient
_PROTOCOL_ERRORS = (ValueError, KeyError, TypeError)


class KernelStartError(RuntimeError):
    """The sandboxed kernel could not be started: a problem of this machine, not the student."""


def neutralise_installs(source: str) -> tuple[str, str | None]:
    """Replace package-install lines by no-ops; return (new source, skip reason or None)."""
    shell = bool(_SHELL_CELL.match(source))
    pattern = _SHELL_INSTALL_LINE if shell else _INSTALL_LINE
    lines = source.split("\n")
    reason = None
    for i, line in enumerate(lines):
        m = pattern.match(line) if not (shell and i == 0) else None
        if m:
            tool = m.group("tool")
            reason = reason or (CONDA_SKIPPED if tool in ("conda", "mamba", "micromamba") else PIP_SKIPPED)
            noop = ":" if shell else "pass"
            lines[i] = f"{m.group('indent')}{noop}  # auditor: package install not run"
    return "\n".join(lines), reason


def _content_size(content: dict[str, Any]) -> int:
    if "text" in content:
        return len(content.get("text") or "")
    total = 0
    for value in (content.get("data") or {}).values():
        total += len(value) if isinstance(value, str) else len(str(value))
    return total + 64


class _AuditClient(NotebookClient):
    """nbclient with output caps and error capture from the execute replies."""

    def __init__(self, nb: Any, km: AsyncKernelManager, **kw: Any) -> None:
        super().__init__(nb, km=km, **kw)
        self.out_chars: dict[int, int] = {}
        self.total_chars = 0
        self.truncated: dict[int, int] = {}       # cell -> characters dropped
        self.replies: dict[int, dict[str, Any]] = {}
        self.idle_seen: set[int] = set()
        self.zmq_context: Any = None
        self.on_cell_executed = self._record_reply

    def _record_reply(self, cell: Any, cell_index: int, execute_reply: dict[str, Any] | None) -> None:
        if execute_reply is not None:
            self.replies[cell_index] = execute_reply.get("content", {})

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg.get("msg_type") == "stream" and _CUT_MARKER in str((msg.get("content") or {}).get("text") or ""):
            # the kernel-side cap cut this cell's output (it stays within the grader's cap)
            self.truncated[cell_index] = max(self.truncated.get(cell_index, 0), 0)
        if msg.get("msg_type") in ("stream", "display_data", "execute_result", "update_display_data"):
            size = _content_size(msg.get("content") or {})
            used = self.out_chars.get(cell_index, 0)
            if used + size > CELL_OUTPUT_CAP or self.total_chars + size > TOTAL_OUTPUT_CAP:
                self.truncated[cell_index] = self.truncated.get(cell_index, 0) + size
                return None
            self.out_chars[cell_index] = used + size
            self.total_chars += size
        elif msg.get("msg_type") == "status" and (msg.get("content") or {}).get("execution_state") == "idle":
            self.idle_seen.add(cell_index)
        return super().process_message(msg, cell, cell_index)


class SandboxedKernelManager(AsyncKernelManager):
    """The auditor's own ipykernel, started through the sandbox's wrapper chain."""

    def __init__(self, *, sandbox: Sandbox, **kw: Any) -> None:
        super().__init__(**kw)
        self._sandbox = sandbox
        # The command is ours (format_kernel_cmd): no kernelspec lookup, which scans the
        # kernel directories and imports IPython's whole shell into the grader for each kernel.
        self._kernel_spec = KernelSpec(argv=[sandbox.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                       display_name="Python 3 (auditor sandbox)", language="python")

    def write_connection_file(self, **kw: Any) -> None:
        super().write_connection_file(**kw)
        if self._sandbox.uid is not None:      # the kernel runs as the sandbox uid: let it read
            os.chown(self.connection_file, self._sandbox.uid, self._sandbox.uid)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = [self._sandbox.python, "-m", "ipykernel_launcher", "-f", self.connection_file, *KERNEL_ARGS,
               *(extra_arguments or [])]
        return self._sandbox.wrap(cmd)


class WarmKernelManager(SandboxedKernelManager):
    """The same kernel, forked by the warm zygote instead of started (see auditor.execute.zygote)."""

    def __init__(self, *, sandbox: Sandbox, zygote: Zygote, **kw: Any) -> None:
        super().__init__(sandbox=sandbox, **kw)
        self._zygote = zygote

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        self.kernel_id = self.kernel_id or str(uuid.uuid4())
        if self.provisioner is None:
            prov = ZygoteProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            prov.zygote, prov.sandbox = self._zygote, self._sandbox
            self.provisioner = prov
        return await super()._async_pre_start_kernel(**kw)

    pre_start_kernel = _async_pre_start_kernel


def _cell(cell_type: str, source: str, number: int) -> Any:
    """One nbformat v4 cell, built directly (nbformat's constructors validate every cell against
    the schema, which cost more than the rest of the build; what is built here is valid)."""
    node = {"cell_type": cell_type, "id": f"cell-{number}", "metadata": {}, "source": source}
    if cell_type == "code":
        node.update(execution_count=None, outputs=[])
    return nbformat.from_dict(node)


def _build_notebook(nb: ParsedNotebook) -> tuple[Any, list[tuple[int, str]]]:
    cells = []
    skipped: list[tuple[int, str]] = []
    for c in nb.cells:
        if c.cell_type == "code":
            source, reason = neutralise_installs(c.source)
            if reason:
                skipped.append((c.index, reason))
            cells.append(_cell("code", source, len(cells)))
        else:
            cells.append(_cell("markdown" if c.cell_type == "markdown" else "raw", c.source, len(cells)))
    new = nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}})
    return new, skipped


def _describe_exit(rc: int | None) -> str:
    if rc is None:
        return "no exit status"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    if rc > 128:
        try:
            return f"exit status {rc} ({signal.Signals(rc - 128).name}?)"
        except ValueError:
            pass
    return f"exit status {rc}"


class _Run:
    def __init__(self, nb: ParsedNotebook, fetch: Sequence[str], timeout_cell: float,
                 timeout_total: float, policy: SandboxPolicy, warm: bool = False) -> None:
        self.nb = nb
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
                zygote = get_zygote(self.policy, sys.executable)
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
        nb4, skipped = _build_notebook(self.nb)
        sb = zygote.new_sandbox(self.policy) if zygote is not None else Sandbox(self.policy)
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
            client = _AuditClient(nb4, km, allow_errors=True, interrupt_on_timeout=False,
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
        errors = tuple(CellError(i, str(r.get("ename", "")), str(r.get("evalue", "")))
                       for i, r in sorted(client.replies.items()) if r.get("status") == "error")
        if status is ExecStatus.OK and errors:
            status = ExecStatus.ERRORS
        for cell in sorted(set(client.replies) - client.idle_seen):
            if cell not in client.truncated:
                client.truncated[cell] = -1
        for cell, dropped in sorted(client.truncated.items()):
            if dropped < 0:
                self.messages.append(f"cell {cell}: output lost (a message larger than "
                                     f"{MAX_MESSAGE_BYTES} bytes was refused, or output never ended)")
                continue
            self.messages.append(f"cell {cell}: output cut at {CELL_OUTPUT_CAP} characters")
        stale = self._stale(client.replies)
        return ExecutionResult(status=status, errors=errors, stale_errors=stale,
                               skipped=tuple(skipped), values=MappingProxyType(values),
                               isolation=freeze(isolation), duration_s=time.monotonic() - t0,
                               message="; ".join(self.messages),
                               cell_seconds=_cell_seconds(nb4, client.replies))

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _cell_timeout(self, cell: Any) -> float:
        return max(0.05, min(self.timeout_cell, self._remaining()))

    async def _install_output_cap(self, kc: Any) -> None:
        """Cap stdout/stderr writes per cell inside the kernel (a courtesy: the grader-side
        cap and the ZMQ message cap hold even if the student removes it), and pin the kernel's
        message packer to the json.dumps it has before any student code runs."""
        code = _OUTPUT_CAP_CODE % {"limit": CELL_OUTPUT_CAP + 4096, "marker": _CUT_MARKER}
        msg_id = kc.execute(code, silent=True,
                            store_history=False, allow_stdin=False)
        try:
            await kc._async_recv_reply(msg_id, timeout=10)
        except Exception:
            self.messages.append("kernel-side output cap not installed")

    async def _start(self, km: SandboxedKernelManager, client: _AuditClient, sb: Sandbox) -> None:
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
            await _wait_for_ready(km, kc, timeout=startup)
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
                                client: _AuditClient) -> tuple[ExecStatus, dict[str, Any]]:
        cells = client.nb.cells
        values: dict[str, Any] = {}
        pending = sorted(self.fetch_points)

        async def snapshot(before: int | None) -> None:
            # values of every point whose cell has run (all of them at the end)
            while pending and (before is None or pending[0] < before):
                point = pending.pop(0)
                names = self.fetch_points[point]
                got = await self._fetch(client, names)
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
                    await _reopen_iopub(client.kc)     # a refused message broke the channel
            except CellTimeoutError:
                if self._remaining() <= 0.05:
                    self.messages.append(f"cell {index} was still running at the overall timeout "
                                         f"of {self.timeout_total:g} s; later cells not run")
                else:
                    self.messages.append(f"cell {index} exceeded the per-cell timeout of "
                                         f"{self.timeout_cell:g} s; later cells not run")
                return ExecStatus.TIMEOUT, {}
            except _PROTOCOL_ERRORS as exc:
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
                                     f"({_describe_exit(rc)}); later cells not run")
                return ExecStatus.CRASHED, {}
        if not await client.kc.is_alive():
            self.messages.append("the kernel exited during the run (e.g. exit() or os._exit in a "
                                 "cell); its results are incomplete")
            return ExecStatus.CRASHED, {}
        await snapshot(None)
        if self.fetch:
            values.update(await self._fetch(client, self.fetch))
        return ExecStatus.OK, values

    async def _fetch(self, client: _AuditClient, names: Sequence[str]) -> dict[str, Any]:
        kc = client.kc
        nonce = kernel_values.new_nonce()
        code = kernel_values.fetch_code(names, nonce)
        msg_id = kc.execute(code, silent=False, store_history=False, allow_stdin=False,
                            stop_on_error=False)
        deadline = time.monotonic() + max(2.0, min(FETCH_TIMEOUT, self._remaining() + 5))
        payloads: list[Any] = []
        done = False
        unreadable = 0
        while not done and time.monotonic() < deadline:
            try:
                msg = await kc.get_iopub_msg(timeout=max(0.05, min(1.0, deadline - time.monotonic())))
            except Empty:
                if not await kc.is_alive():
                    break
                continue
            except _PROTOCOL_ERRORS as exc:       # an unreadable message from the kernel: skip it
                if not unreadable:
                    self.messages.append(f"fetching: messages the grader could not read were ignored "
                                         f"({type(exc).__name__}: {str(exc)[:80]})")
                unreadable += 1
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            mtype, content = msg.get("msg_type"), msg.get("content") or {}
            if mtype == "display_data" and kernel_values.MIME in (content.get("data") or {}):
                payloads.append(content["data"][kernel_values.MIME])
            elif mtype == "status" and content.get("execution_state") == "idle":
                done = True
        decoded, rejected = [], []
        for payload in payloads:
            try:
                decoded.append(kernel_values.decode_values(payload, nonce=nonce, names=names))
            except kernel_values.PayloadError as exc:
                rejected.append(str(exc))
        if rejected:
            self.messages.append(f"fetching: {len(rejected)} forged or invalid values payload(s) "
                                 f"ignored ({rejected[0]})")
        if len(decoded) != 1:
            why = "no valid values payload came back" if not decoded else \
                "more than one payload with the right nonce (all ignored)"
            self.messages.append(f"fetching {', '.join(names)}: {why}")
            return {}
        values, problems = decoded[0]
        for name, why in problems.items():
            self.messages.append(f"value {name!r} not fetched: {why}")
        return {k: (v if hasattr(v, "dtype") else freeze(v)) for k, v in values.items()}

    async def _kill(self, km: SandboxedKernelManager, client: _AuditClient) -> None:
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

    def _stale(self, replies: dict[int, dict[str, Any]]) -> tuple[CellError, ...]:
        stale = []
        for cell in self.nb.cells:
            if not cell.saved_errors or cell.index not in replies:
                continue      # not run (or not a code cell): cannot tell
            reply = replies[cell.index]
            now = reply.get("ename") if reply.get("status") == "error" else None
            for saved in cell.saved_errors:
                if saved.ename != now:
                    stale.append(CellError(saved.cell, saved.ename, saved.evalue))
        return tuple(stale)


_CUT_MARKER = "[auditor: output cut]"
_OUTPUT_CAP_CODE = r'''
def __auditor_cap(limit, marker):
    import sys
    state = {"n": 0, "cut": False}
    def install():
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if getattr(stream.write, "_auditor_cap", False):
                continue
            original = stream.write
            def write(text, _original=original):
                n = state["n"]
                state["n"] = n + len(text)
                if n + len(text) <= limit:
                    return _original(text)
                if not state["cut"]:
                    state["cut"] = True
                    _original(text[: max(0, limit - n)] + "\n" + marker + "\n")
                return len(text)
            write._auditor_cap = True
            stream.write = write
    def reset(*args, **kwargs):
        state["n"] = 0
        state["cut"] = False
        install()       # again: a context that wrapped write (IPython 9's tee) restores it on exit
    get_ipython().events.register("pre_run_cell", reset)
    install()
    # IPython 9 also copies every write of a cell into its output history ("tee"), uncapped:
    # 500 MB printed would sit in the kernel's memory.  Nobody reads that history here.
    if hasattr(type(get_ipython()), "_tee"):
        import contextlib
        get_ipython()._tee = lambda channel: contextlib.nullcontext()
__auditor_cap(%(limit)d, %(marker)r)
del __auditor_cap

def __auditor_pin_packer():
    # The kernel's messages are packed with the json.dumps it has now: a student who replaces
    # json.dumps (to forge values) cannot corrupt them.  (Replacing the session's own packer
    # breaks the protocol instead, which the grader reports as the kernel's failure.)
    import json
    from jupyter_client.jsonutil import json_clean, json_default
    dumps = json.dumps
    def pack(obj):
        try:
            text = dumps(obj, default=json_default, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            text = dumps(json_clean(obj), default=json_default, ensure_ascii=False, allow_nan=False)
        return text.encode("utf8", errors="surrogateescape")
    get_ipython().kernel.session.pack = pack
__auditor_pin_packer()
del __auditor_pin_packer
'''


async def _wait_for_ready(km: Any, kc: Any, timeout: float) -> None:
    """jupyter_client's wait_for_ready without its final 0.2 s of waiting for IOPub to go quiet:
    ready once a kernel_info request got its reply on shell *and* a status message on IOPub
    (so the subscription is live).  Both channels are awaited at once (a message is taken the
    moment it arrives).  Later stray messages are harmless: nbclient and the fetch only take
    the messages whose parent is their own request."""
    deadline = time.monotonic() + timeout
    while True:
        msg_id = kc.kernel_info()
        round_end = min(deadline, time.monotonic() + 1.0)
        shell = asyncio.ensure_future(_first_reply_to(kc.get_shell_msg, msg_id, round_end))
        iopub = asyncio.ensure_future(_first_reply_to(kc.get_iopub_msg, msg_id, round_end))
        try:
            reply = await shell
            if reply is not None and not iopub.done():
                # its IOPub status comes at once if subscribed; else ask again soon
                await asyncio.wait({iopub}, timeout=0.1)
        finally:
            if not iopub.done():
                iopub.cancel()
        status = iopub.result() if iopub.done() and not iopub.cancelled() else None
        if reply is not None and status is not None:
            kc._handle_kernel_info_reply(reply)
            return
        if not await km.is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


async def _first_reply_to(get: Any, msg_id: str, until: float) -> dict[str, Any] | None:
    """The first message from ``get`` (a channel's get_msg) whose parent is ``msg_id``, or None
    when ``until`` (a monotonic time) passes first."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return None
        try:
            msg = await get(timeout=left)
        except Empty:
            return None
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


async def _reopen_iopub(kc: Any) -> None:
    """Replace the IOPub channel (its socket was disconnected by an over-size message)."""
    old = kc._iopub_channel
    if old is not None:
        old.stop()
    kc._iopub_channel = None
    kc.iopub_channel.start()
    await asyncio.sleep(0.2)        # let the new subscription reach the kernel


def _run_coroutine(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:    # called from inside an event loop
        return pool.submit(asyncio.run, coro).result()


def execute_notebook(nb: ParsedNotebook, *, fetch: Sequence[str] | Mapping[int, Sequence[str]] = (), timeout_cell: float = 60,
                     timeout_total: float = 600, sandbox: SandboxPolicy | None = None,
                     warm: bool | None = None) -> ExecutionResult:
    """Execute ``nb`` in a fresh sandboxed kernel; see the module docstring.

    ``warm=True`` forks the kernel from a zygote that has ipykernel, numpy and torch already
    imported (:mod:`auditor.execute.zygote`), with the same isolation as a cold start; where that
    isolation cannot be reproduced the kernel is started cold and ``isolation["kernel"]`` says why.
    ``warm=None`` (the default) means warm when the environment variable ``AUDITOR_WARM_KERNELS``
    is ``1`` (batch workers set it), cold otherwise.

    Raises KernelStartError when the kernel cannot start on this machine (not the student's
    fault: the pipeline reports it as an internal error).
    """
    policy = sandbox if sandbox is not None else SandboxPolicy()
    if warm is None:
        warm = os.environ.get(WARM_ENV, "") == "1"
    return _run_coroutine(_Run(nb, fetch, timeout_cell, timeout_total, policy, warm).run())


WARM_ISOLATION = {
    "kernel": "warm: forked from a zygote that imported ipykernel, numpy and torch (shared "
              "copy-on-write; nothing else shared between students but the string-hash seed)",
    "network": "bwrap + a fresh empty network namespace per kernel",
    "pid_namespace": True,
    "kill": "pid namespace + cgroup + sandbox uid",
}


def _seconds(execution: Any) -> float | None:
    try:
        start = datetime.fromisoformat(execution["iopub.execute_input"])
        end = datetime.fromisoformat(execution["shell.execute_reply"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(0.0, (end - start).total_seconds())


def _cell_seconds(nb4: Any, replies: dict[int, Any]) -> tuple[float, ...]:
    """Each executed code cell's own time (nbclient's timing: execute_input .. execute_reply)."""
    out = []
    for index in sorted(replies):
        seconds = _seconds(nb4.cells[index].get("metadata", {}).get("execution") or {})
        if seconds is not None:
            out.append(seconds)
    return tuple(out)
