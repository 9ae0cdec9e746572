"""Getting values out of the student's kernel as plain data, never pickle.

Protocol
--------
1. The auditor runs :func:`fetch_code` in the kernel after the notebook's cells (:func:`fetch`
   sends it and reads the answer).  That code (``in_kernel/fetch_values.py``) reads
   the named variables, serialises each to a JSON record and publishes one ``display_data``
   message with the mimetype :data:`MIME` holding the JSON *text*::

       {"nonce": "<random per fetch>",
        "values": {"x": {"kind": "json", "value": [1, 2.5, "a", null]},
                   "g": {"kind": "array", "dtype": "<f4", "shape": [2, 3], "data": "<base64>",
                         "source": "torch"}},
        "errors": {"y": "unsupported type: Foo"}}

   Arrays (numpy arrays, torch tensors via ``detach().cpu().numpy()``) travel as their raw
   C-order bytes with the declared dtype and shape; everything else must be JSON-plain (None,
   bool, int, float, str and lists/dicts of those), checked by exact type so a subclass with an
   always-true ``__eq__`` is refused.  A variable that does not exist is simply absent.
2. The kernel-side code works in a fresh namespace, loads ``json`` and ``base64`` as fresh
   copies from the standard library's files (so a student who monkeypatched ``json.dumps``
   changes nothing), calls tensor/array methods through their base types, and catches
   everything: a failure only ever makes a value absent.
3. The auditor side (:func:`decode_values`) trusts nothing: size caps, the nonce, a dtype
   whitelist, shape x itemsize == byte length, strict base64, JSON-plain checks.  Only names that
   were asked for are kept.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import time
from queue import Empty
from typing import Any, Mapping, Sequence

import numpy as np

from auditor.execute import in_kernel
from auditor.models import freeze

MIME = "application/x-auditor-values+json"
#: what reading a kernel's malformed messages raises in jupyter_client / nbclient
PROTOCOL_ERRORS = (ValueError, KeyError, TypeError)
MAX_VALUE_BYTES = 16 * 1024 * 1024
_MAX_DEPTH = 32
_ALLOWED_DTYPES = frozenset({"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
                             "<f2", "<f4", "<f8", "<c8", "<c16"})

# The kernel side (auditor/execute/in_kernel/fetch_values.py).  Runs with exec() in a fresh
# globals dict; NAMES, NONCE, CAP, MIME and GOT (name -> object, filled by the top-level wrapper)
# are injected.
_KERNEL_SOURCE = in_kernel.source("fetch_values")


def valid_name(name: str) -> bool:
    return isinstance(name, str) and name.isidentifier() and not name.startswith("__auditor")


def fetch_code(names: Sequence[str], nonce: str, *, cap: int = MAX_VALUE_BYTES) -> str:
    """Python source to run in the kernel (top level of the user namespace)."""
    names = [n for n in dict.fromkeys(names) if valid_name(n)]
    lines = ["__auditor_got = {}"]
    for n in names:
        # A bare name lookup at top level: no function the student could have replaced.
        lines.append(f"try:\n    __auditor_got[{n!r}] = {n}\nexcept:\n    pass")
    lines.append(
        "try:\n"
        f"    exec({_KERNEL_SOURCE!r}, {{'NAMES': {names!r}, 'NONCE': {nonce!r}, 'CAP': {int(cap)},"
        f" 'MIME': {MIME!r}, 'GOT': __auditor_got, '__name__': '__auditor_fetch__'}})\n"
        "finally:\n"
        "    del __auditor_got")
    return "\n".join(lines) + "\n"


def new_nonce() -> str:
    return secrets.token_hex(8)


class PayloadError(ValueError):
    """The kernel's answer is not a valid values payload."""


def _check_plain(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise PayloadError("value nested too deeply")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, list):
        return [_check_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _check_plain(v, depth + 1) for k, v in value.items()}
    raise PayloadError(f"not plain data: {type(value).__name__}")


def _decode_array(rec: Mapping[str, Any], cap: int) -> np.ndarray:
    dtype_s = rec.get("dtype")
    if not isinstance(dtype_s, str) or dtype_s not in _ALLOWED_DTYPES:
        raise PayloadError(f"dtype not allowed: {str(dtype_s)[:40]!r}")
    shape = rec.get("shape")
    if (not isinstance(shape, list) or len(shape) > 32
            or not all(type(n) is int and 0 <= n for n in shape)):
        raise PayloadError("bad shape")
    data = rec.get("data")
    if not isinstance(data, str) or len(data) > (cap * 4) // 3 + 8:
        raise PayloadError("array data missing or larger than the cap")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise PayloadError(f"bad base64: {exc}") from None
    dtype = np.dtype(dtype_s)
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw):
        raise PayloadError(f"shape {shape} x {dtype.itemsize} bytes != {len(raw)} bytes of data")
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape)
    arr.setflags(write=False)
    return arr


def decode_values(text: Any, *, nonce: str, names: Sequence[str],
                  cap: int = MAX_VALUE_BYTES) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate one payload; return (values, problems by name).  Raises PayloadError."""
    wanted = [n for n in dict.fromkeys(names) if valid_name(n)]
    if not isinstance(text, str):
        raise PayloadError("payload is not text")
    if len(text) > (cap * 4 // 3 + 4096) * max(1, len(wanted)) + 65536:
        raise PayloadError(f"payload of {len(text)} characters exceeds the cap")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"payload is not JSON: {exc}") from None
    if not isinstance(payload, dict) or payload.get("nonce") != nonce:
        raise PayloadError("payload nonce mismatch")
    recs = payload.get("values")
    errs = payload.get("errors")
    if not isinstance(recs, dict) or not isinstance(errs, dict):
        raise PayloadError("payload has no values/errors objects")
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in wanted:
        if name in errs:
            problems[name] = str(errs[name])[:300]
        rec = recs.get(name)
        if rec is None:
            continue
        try:
            if not isinstance(rec, dict):
                raise PayloadError("record is not an object")
            kind = rec.get("kind")
            if kind == "array":
                values[name] = _decode_array(rec, cap)
            elif kind == "json":
                values[name] = _check_plain(rec.get("value"))
            else:
                raise PayloadError(f"unknown kind {str(kind)[:20]!r}")
        except PayloadError as exc:
            problems[name] = f"rejected: {exc}"
    return values, problems


async def fetch(kc: Any, names: Sequence[str], timeout: float, messages: list[str]) -> dict[str, Any]:
    """Run :func:`fetch_code` in the kernel behind the client ``kc`` and return the values that
    came back valid (read-only arrays, frozen plain data); every problem goes to ``messages``."""
    nonce = new_nonce()
    code = fetch_code(names, nonce)
    msg_id = kc.execute(code, silent=False, store_history=False, allow_stdin=False,
                        stop_on_error=False)
    deadline = time.monotonic() + timeout
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
        except PROTOCOL_ERRORS as exc:       # an unreadable message from the kernel: skip it
            if not unreadable:
                messages.append(f"fetching: messages the grader could not read were ignored "
                                     f"({type(exc).__name__}: {str(exc)[:80]})")
            unreadable += 1
            continue
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        mtype, content = msg.get("msg_type"), msg.get("content") or {}
        if mtype == "display_data" and MIME in (content.get("data") or {}):
            payloads.append(content["data"][MIME])
        elif mtype == "status" and content.get("execution_state") == "idle":
            done = True
    decoded, rejected = [], []
    for payload in payloads:
        try:
            decoded.append(decode_values(payload, nonce=nonce, names=names))
        except PayloadError as exc:
            rejected.append(str(exc))
    if rejected:
        messages.append(f"fetching: {len(rejected)} forged or invalid values payload(s) "
                             f"ignored ({rejected[0]})")
    if len(decoded) != 1:
        why = "no valid values payload came back" if not decoded else \
            "more than one payload with the right nonce (all ignored)"
        messages.append(f"fetching {', '.join(names)}: {why}")
        return {}
    values, problems = decoded[0]
    for name, why in problems.items():
        messages.append(f"value {name!r} not fetched: {why}")
    return {k: (v if hasattr(v, "dtype") else freeze(v)) for k, v in values.items()}

