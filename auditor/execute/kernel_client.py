"""The kernel manager and notebook client a run drives: the auditor's own ipykernel started through
the sandbox's wrapper chain (or forked warm), nbclient with output caps and errors read from the
execute replies, and the readiness wait."""
from __future__ import annotations

import asyncio
import os
import time
import uuid
from queue import Empty
from typing import Any

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from auditor.execute import kernel_values
from auditor.execute.sandbox import Sandbox
from auditor.execute.warm_kernel import ZygoteProvisioner
from auditor.execute.zygote_server import KERNEL_ARGS, Zygote

CELL_OUTPUT_CAP = 1 * 1024 * 1024          # characters of output kept per cell
TOTAL_OUTPUT_CAP = 16 * 1024 * 1024        # characters of output kept for the notebook
MAX_MESSAGE_BYTES = 4 * kernel_values.MAX_VALUE_BYTES + (1 << 20)   # per ZMQ message
CUT_MARKER = "[auditor: output cut]"       # what the kernel-side cap (in_kernel/output_cap.py) prints


def _content_size(content: dict[str, Any]) -> int:
    if "text" in content:
        return len(content.get("text") or "")
    total = 0
    for value in (content.get("data") or {}).values():
        total += len(value) if isinstance(value, str) else len(str(value))
    return total + 64


class AuditClient(NotebookClient):
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
        if msg.get("msg_type") == "stream" and CUT_MARKER in str((msg.get("content") or {}).get("text") or ""):
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


async def wait_for_ready(km: Any, kc: Any, timeout: float) -> None:
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


async def reopen_iopub(kc: Any) -> None:
    """Replace the IOPub channel (its socket was disconnected by an over-size message)."""
    old = kc._iopub_channel
    if old is not None:
        old.stop()
    kc._iopub_channel = None
    kc.iopub_channel.start()
    await asyncio.sleep(0.2)        # let the new subscription reach the kernel
