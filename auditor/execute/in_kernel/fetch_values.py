"""Runs INSIDE the student's kernel (sent as text by auditor.execute.kernel_values.fetch_code):
read the named values and publish them as one plain-data display_data message.

Executed with exec() in a fresh globals dict holding NAMES, NONCE, CAP, MIME and GOT (name ->
object, filled by the top-level wrapper); never imported by the grader.  ``json`` and ``base64``
are loaded as fresh copies from the standard library's files (a student who monkeypatched
``json.dumps`` changes nothing), tensor/array methods are called through their base types, and
every failure only makes a value absent.
"""
NAMES = globals()["NAMES"]
NONCE = globals()["NONCE"]
CAP = globals()["CAP"]
MIME = globals()["MIME"]
GOT = globals()["GOT"]
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
