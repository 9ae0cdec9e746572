"""What a run gives back, built from what the notebook client saw: errors from the execute replies,
the stale saved errors, output cut or lost, each cell's own time, the warm kernel's isolation."""
from __future__ import annotations

import signal
from datetime import datetime
from typing import Any

from auditor.models import CellError, ParsedNotebook

WARM_ISOLATION = {
    "kernel": "warm: forked from a zygote that imported ipykernel, numpy and torch (shared "
              "copy-on-write; nothing else shared between students but the string-hash seed)",
    "network": "bwrap + a fresh empty network namespace per kernel",
    "pid_namespace": True,
    "kill": "pid namespace + cgroup + sandbox uid",
}


def describe_exit(rc: int | None) -> str:
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


def _seconds(execution: Any) -> float | None:
    try:
        start = datetime.fromisoformat(execution["iopub.execute_input"])
        end = datetime.fromisoformat(execution["shell.execute_reply"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(0.0, (end - start).total_seconds())


def cell_seconds(nb4: Any, replies: dict[int, Any]) -> tuple[float, ...]:
    """Each executed code cell's own time (nbclient's timing: execute_input .. execute_reply)."""
    out = []
    for index in sorted(replies):
        seconds = _seconds(nb4.cells[index].get("metadata", {}).get("execution") or {})
        if seconds is not None:
            out.append(seconds)
    return tuple(out)


def reply_errors(replies: dict[int, dict[str, Any]]) -> tuple[CellError, ...]:
    """The errors of the run, from the execute replies (a silenced traceback hides nothing)."""
    return tuple(CellError(i, str(r.get("ename", "")), str(r.get("evalue", "")))
                 for i, r in sorted(replies.items()) if r.get("status") == "error")


def stale_errors(nb: ParsedNotebook, replies: dict[int, dict[str, Any]]) -> tuple[CellError, ...]:
    """Errors saved in the submission that the run did not reproduce (cells that did not run
    cannot tell)."""
    stale = []
    for cell in nb.cells:
        if not cell.saved_errors or cell.index not in replies:
            continue
        reply = replies[cell.index]
        now = reply.get("ename") if reply.get("status") == "error" else None
        for saved in cell.saved_errors:
            if saved.ename != now:
                stale.append(CellError(saved.cell, saved.ename, saved.evalue))
    return tuple(stale)


def output_messages(replies: dict[int, Any], idle_seen: set[int], truncated: dict[int, int],
                    cell_cap: int, message_cap: int) -> list[str]:
    """One message per cell whose output was cut (``truncated``: characters dropped) or lost
    (a refused over-size message, or no idle status after the reply)."""
    lost = {cell: -1 for cell in sorted(set(replies) - idle_seen) if cell not in truncated}
    out = []
    for cell, dropped in sorted({**truncated, **lost}.items()):
        if dropped < 0:
            out.append(f"cell {cell}: output lost (a message larger than "
                       f"{message_cap} bytes was refused, or output never ended)")
        else:
            out.append(f"cell {cell}: output cut at {cell_cap} characters")
    return out
