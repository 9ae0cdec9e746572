"""``auditor batch --scheduler ADDRESS``: the same batch on an existing Dask distributed cluster.

One task per submission (``auditor.batch.task.run_task``); each task carries the notebook's bytes
(and the spec's, when one is given) so the cluster's workers need the auditor installed but no
shared file system.  Results come back to this process as they finish and go through the same
recording path as the local pool: cache entry first, then the per-submission reports; the class
outputs are written at the end.  A task whose worker dies repeatedly (Dask's ``KilledWorker``) or
that raises is recorded as "could not be audited"; the batch goes on.  Ctrl-C cancels what is
left on the cluster and keeps what is done.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Sequence

from auditor.batch.task import Job, crash_payload, run_task


def run_on_dask(
    address: str,
    todo: Sequence[Job],
    on_result: Callable[[Any, dict[str, Any]], None],
) -> None:
    """Run ``(submission, AuditTask)`` pairs on the cluster at ``address``; ``on_result`` per finished one."""
    from distributed import Client, as_completed

    if not todo:
        return
    client = Client(address, set_as_default=False)
    futures = {}
    try:
        for s, t in todo:
            key = "auditor-" + hashlib.sha256(f"{t.display}\0{id(t)}".encode()).hexdigest()[:16]
            futures[client.submit(run_task, t, key=key, pure=False)] = (s, t)
        for fut in as_completed(list(futures), loop=client.loop):
            s, t = futures.pop(fut)
            try:
                payload = fut.result()
            except Exception as exc:  # KilledWorker, CancelledError, a bug of ours: recorded
                payload = crash_payload(
                    t, f"the task failed on the Dask cluster: {type(exc).__name__}: {exc}".splitlines()[0][:500]
                )
            finally:
                fut.release()
            on_result(s, payload)
    except BaseException:
        if futures:
            client.cancel(list(futures), force=True)
        raise
    finally:
        client.close()
