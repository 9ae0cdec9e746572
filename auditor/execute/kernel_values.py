"""Getting values out of the student's kernel as plain data, never pickle.

Protocol
--------
1. The auditor runs :func:`fetch_code` in the kernel after the notebook's cells.  That code reads
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
from typing import Any, Mapping, Sequence

import numpy as np

MIME = "application/x-auditor-values+json"
MAX_VALUE_BYTES = 16 * 1024 * 1024
_MAX_DEPTH = 32
_ALLOWED_DTYPES = frozenset({"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
                             "<f2", "<f4", "<f8", "<c8", "<c16"})

# The kernel side.  Runs with exec() in a fresh globals dict; NAMES, NONCE, CAP, MIME and GOT
# (name -> object, filled by the top-level wrapper) are injected.
_KERNEL_SOURCE = r'''
import sys as _sys

def _fresh(name):
    import importlib.machinery as _m
    import importlib.util as _u
    found = _m.PathFinder.find_spec(name)
    alias = "_auditor_fresh_" + NONCE + "_" + name
    spec = _u.spec_from_file_location(alias, found.origin,
                                      submodule_search_locations=found.submodule_search_locations)
    mod = _u.module_from_spec(spec)
    _sys.modules[alias] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        for key in [k for k in list(_sys.modules) if k.startswith(alias)]:
            del _sys.modules[key]
    return mod

_json = _fresh("json")
_b64 = _fresh("base64")

def _find_base(obj, module, names):
    for klass in type(obj).__mro__:
        if getattr(klass, "__module__", None) == module and klass.__name__ in names:
            return klass
    return None

def _array_record(arr, nd, source):
    nd_arr = nd.view(arr, nd) if type(arr) is not nd else arr
    if nd_arr.dtype.hasobject:
        raise TypeError("object arrays are not data")
    if nd_arr.nbytes > CAP:
        raise ValueError("too large: %d bytes > cap %d" % (nd_arr.nbytes, CAP))
    raw = nd.tobytes(nd_arr, order="C")
    dt = nd_arr.dtype
    if dt.byteorder == ">":
        dt = dt.newbyteorder("<")
        raw = nd.tobytes(nd_arr.astype(dt), order="C")
    return {"kind": "array", "dtype": dt.str, "shape": [int(n) for n in nd_arr.shape],
            "data": _b64.b64encode(raw).decode("ascii"), "source": source}

def _plain(obj, depth, budget):
    budget[0] -= 1
    if budget[0] < 0 or depth > 32:
        raise ValueError("too large or too deeply nested")
    t = type(obj)
    if obj is None or t is bool or t is int or t is float:
        return obj
    if t is str:
        if len(obj) > CAP:
            raise ValueError("string too long")
        return obj
    if t is list or t is tuple:
        return [_plain(v, depth + 1, budget) for v in obj]
    if t is dict:
        out = {}
        for k, v in obj.items():
            if type(k) is not str:
                raise TypeError("dict keys must be strings")
            out[k] = _plain(v, depth + 1, budget)
        return out
    generic = _find_base(obj, "numpy", ("generic",))
    if generic is not None:
        return _plain(generic.item(obj), depth, budget)
    raise TypeError("unsupported type: %s" % t.__name__)

def _record(obj):
    nd = _find_base(obj, "numpy", ("ndarray",))
    if nd is not None:
        return _array_record(obj, nd, "numpy")
    tb = _find_base(obj, "torch._C", ("TensorBase", "_TensorBase"))
    if tb is not None:
        torch = _sys.modules["torch"]
        if tb.numel(obj) * tb.element_size(obj) > CAP:
            raise ValueError("too large: %d bytes > cap %d"
                             % (tb.numel(obj) * tb.element_size(obj), CAP))
        t = tb.detach(obj)
        if tb.is_sparse.__get__(t):
            t = tb.to_dense(t)
        t = tb.cpu(t)
        if t.dtype in (torch.bfloat16,):
            t = tb.to(t, torch.float32)
        for name in ("resolve_conj", "resolve_neg"):
            if hasattr(tb, name):
                t = getattr(tb, name)(t)
        arr = tb.numpy(tb.contiguous(t))
        return _array_record(arr, _find_base(arr, "numpy", ("ndarray",)), "torch")
    return {"kind": "json", "value": _plain(obj, 0, [1000000])}

_values = {}
_errors = {}
for _name in NAMES:
    if _name not in GOT:
        continue
    try:
        _values[_name] = _record(GOT[_name])
    except BaseException as exc:
        try:
            _errors[_name] = ("%s: %s" % (type(exc).__name__, exc))[:300]
        except BaseException:
            _errors[_name] = "value could not be serialised"
_text = _json.dumps({"nonce": NONCE, "values": _values, "errors": _errors},
                    ensure_ascii=True, allow_nan=True)
from IPython.core.interactiveshell import InteractiveShell as _Shell
_Shell.instance().display_pub.publish(data={MIME: _text}, metadata={})
'''


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
