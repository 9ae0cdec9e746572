"""The snippet evaluator: ``TorchSnippet`` interprets a question's code (parsed with ``ast``,
never executed) and builds its layers and tensors on a chosen device.

What it accepts is listed in ``checks.engines.snippet_rules``; the public entry point, with the
helpers checks use (``build_model``, ``flat_layers``, ...), is ``checks.engines.torch_snippet``.
"""
from __future__ import annotations

import ast
import inspect
from typing import Any, Callable

import torch
from torch import nn
from torch.nn import functional as F

from checks.engines.snippet_rules import (
    _BINOPS, _UNARY, BUILTINS, DTYPES, FACTORIES, FUNCTIONAL, LAYERS, MAX_CPU_ELEMENTS, MAX_CPU_PARAMETERS,
    MAX_ITEMS, MODULE_ATTRIBUTES, NO_OP_METHODS, PRELUDE, TENSOR_METHODS, TORCH_FUNCTIONS,
    UnsupportedCode, _bind_loop_target, _bound_names, _check_length, _check_number, _Namespace, _Thunk,
    _Unknown, _unpack, _where,
)


class TorchSnippet:
    """The names a piece of question code binds, evaluated lazily on ``device``."""

    def __init__(self, code: str, device: str = "meta"):
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            raise UnsupportedCode(f"the code does not parse: {exc.msg} (line {exc.lineno})") from None
        self.device = device
        # notebooks import torch in an earlier cell: the usual aliases are bound up front
        self._bindings: dict[str, _Thunk] = {
            alias: _Thunk(lambda d=dotted: _Namespace(d)) for alias, dotted in PRELUDE.items()
        }
        self.last_expression: _Thunk | None = None
        for statement in tree.body:
            self._statement(statement)

    # ------------------------------------------------------------------ public

    def names(self) -> tuple[str, ...]:
        return tuple(self._bindings)

    def value(self, name: str) -> Any:
        if name not in self._bindings:
            raise UnsupportedCode(f"the code does not define {name!r}")
        return self._resolve(self._bindings[name].get(), name)

    def last_value(self) -> Any:
        if self.last_expression is None:
            raise UnsupportedCode("the code does not end with an expression")
        return self._resolve(self.last_expression.get(), "the last expression")

    @staticmethod
    def _resolve(value: Any, what: str) -> Any:
        if isinstance(value, _Unknown):
            raise UnsupportedCode(f"{what}: {value.reason}")
        return value

    # ------------------------------------------------------------------ statements

    def _statement(self, node: ast.stmt) -> None:
        scope = dict(self._bindings)
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._bind_import(alias.asname or alias.name.split(".")[0],
                                  alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                self._bind_import(alias.asname or alias.name, f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Assign):
            thunk = _Thunk(lambda: self._eval(node.value, scope))
            for target in node.targets:
                self._bind_target(target, thunk)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._bind_target(node.target, _Thunk(lambda: self._eval(node.value, scope)))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            as_binop = ast.BinOp(left=ast.Name(id=node.target.id, ctx=ast.Load()), op=node.op,
                                 right=node.value, lineno=node.lineno)
            self._bindings[node.target.id] = _Thunk(lambda: self._eval(as_binop, scope))
        elif isinstance(node, ast.Expr):
            self._expression_statement(node, scope)
        else:
            self.last_expression = None
            reason = f"bound by a {type(node).__name__} statement at {_where(node)}, which is not rebuilt"
            for name in _bound_names(node):
                self._bindings[name] = _Thunk(lambda r=reason: _Unknown(r))
            return
        if not isinstance(node, ast.Expr):
            self.last_expression = None

    def _expression_statement(self, node: ast.Expr, scope: dict[str, _Thunk]) -> None:
        call = node.value
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id in self._bindings
                and call.func.attr not in NO_OP_METHODS):
            name = call.func.value.id
            reason = f"changed in place by .{call.func.attr}() at {_where(node)}, which is not rebuilt"
            self._bindings[name] = _Thunk(lambda: _Unknown(reason))
        self.last_expression = _Thunk(lambda: self._eval(call, scope))

    def _bind_import(self, local: str, dotted: str) -> None:
        if dotted in ("torch", "torch.nn", "torch.nn.functional"):
            value: Any = _Namespace(dotted)
        elif dotted.startswith("torch.nn.") and dotted.rsplit(".", 1)[1] in LAYERS:
            value = LAYERS[dotted.rsplit(".", 1)[1]]
        elif dotted == "torch.nn.functional":
            value = _Namespace(dotted)
        else:
            value = _Unknown(f"import of {dotted} is not supported")
        self._bindings[local] = _Thunk(lambda: value)

    def _bind_target(self, target: ast.expr, thunk: _Thunk) -> None:
        if isinstance(target, ast.Name):
            self._bindings[target.id] = thunk
        elif isinstance(target, (ast.Tuple, ast.List)):
            for i, element in enumerate(target.elts):
                self._bind_target(element, _Thunk(lambda i=i: _unpack(thunk.get(), i, len(target.elts))))
        else:  # x[0] = ..., obj.attr = ...: the object changes in place
            base = target
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                reason = f"changed in place at {_where(target)}, which is not rebuilt"
                self._bindings[base.id] = _Thunk(lambda: _Unknown(reason))

    # ------------------------------------------------------------------ expressions

    def _eval(self, node: ast.expr, scope: dict[str, _Thunk]) -> Any:
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        if method is None:
            raise UnsupportedCode(f"{_where(node)}: {type(node).__name__} expressions are not rebuilt")
        return method(node, scope)

    def _eval_Constant(self, node: ast.Constant, scope: dict[str, _Thunk]) -> Any:
        if isinstance(node.value, str) and len(node.value) > MAX_ITEMS:
            raise UnsupportedCode(f"{_where(node)}: string literal too long")
        return _check_number(node.value)

    def _eval_Name(self, node: ast.Name, scope: dict[str, _Thunk]) -> Any:
        if node.id in scope:
            return self._resolve(scope[node.id].get(), node.id)
        if node.id in BUILTINS:
            return BUILTINS[node.id]
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        raise UnsupportedCode(f"{_where(node)}: name {node.id!r} is not defined in the code")

    def _eval_Tuple(self, node: ast.Tuple, scope: dict[str, _Thunk]) -> Any:
        return tuple(self._elements(node.elts, scope))

    def _eval_List(self, node: ast.List, scope: dict[str, _Thunk]) -> Any:
        return list(self._elements(node.elts, scope))

    def _elements(self, elts: list[ast.expr], scope: dict[str, _Thunk]) -> list[Any]:
        out: list[Any] = []
        for element in elts:
            if isinstance(element, ast.Starred):
                out.extend(self._iterable(self._eval(element.value, scope), element))
            else:
                out.append(self._eval(element, scope))
            _check_length(len(out), element)
        return out

    def _iterable(self, value: Any, node: ast.AST) -> list[Any]:
        if isinstance(value, (list, tuple, range, torch.Size)):
            _check_length(len(value), node)
            return list(value)
        if isinstance(value, nn.Sequential):
            return list(value)
        raise UnsupportedCode(f"{_where(node)}: cannot iterate over {type(value).__name__}")

    def _eval_ListComp(self, node: ast.ListComp, scope: dict[str, _Thunk]) -> Any:
        if len(node.generators) != 1 or node.generators[0].ifs or node.generators[0].is_async:
            raise UnsupportedCode(f"{_where(node)}: only simple list comprehensions are rebuilt")
        gen = node.generators[0]
        items = self._iterable(self._eval(gen.iter, scope), node)
        out = []
        for item in items:
            inner = dict(scope)
            _bind_loop_target(gen.target, item, inner)
            out.append(self._eval(node.elt, inner))
        return out

    def _eval_UnaryOp(self, node: ast.UnaryOp, scope: dict[str, _Thunk]) -> Any:
        op = _UNARY.get(type(node.op))
        if op is None:
            raise UnsupportedCode(f"{_where(node)}: operator {type(node.op).__name__} is not rebuilt")
        return _check_number(op(self._eval(node.operand, scope)))

    def _eval_BinOp(self, node: ast.BinOp, scope: dict[str, _Thunk]) -> Any:
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise UnsupportedCode(f"{_where(node)}: operator {type(node.op).__name__} is not rebuilt")
        left, right = self._eval(node.left, scope), self._eval(node.right, scope)
        if self.device != "meta" and (isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor)):
            raise UnsupportedCode(f"{_where(node)}: tensor arithmetic is only rebuilt on the meta device")
        if isinstance(node.op, ast.Mult):
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (list, tuple, str)) and isinstance(count, int):
                    _check_length(len(seq) * max(count, 0), node)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 64:
            raise UnsupportedCode(f"{_where(node)}: exponent {right!r} is too large")
        try:
            return _check_number(op(left, right))
        except (TypeError, ValueError, ZeroDivisionError, RuntimeError) as exc:
            raise UnsupportedCode(f"{_where(node)}: {exc}") from None

    def _eval_Subscript(self, node: ast.Subscript, scope: dict[str, _Thunk]) -> Any:
        base = self._eval(node.value, scope)
        index = self._eval(node.slice, scope)
        if not isinstance(base, (list, tuple, torch.Size, torch.Tensor, nn.Sequential)):
            raise UnsupportedCode(f"{_where(node)}: cannot index {type(base).__name__}")
        try:
            return base[index]
        except (IndexError, TypeError, RuntimeError) as exc:
            raise UnsupportedCode(f"{_where(node)}: {exc}") from None

    def _eval_Slice(self, node: ast.Slice, scope: dict[str, _Thunk]) -> Any:
        part = lambda n: None if n is None else self._eval(n, scope)  # noqa: E731
        return slice(part(node.lower), part(node.upper), part(node.step))

    def _eval_Attribute(self, node: ast.Attribute, scope: dict[str, _Thunk]) -> Any:
        base = self._eval(node.value, scope)
        attr = node.attr
        if isinstance(base, _Namespace):
            return self._namespace_member(base, attr, node)
        if isinstance(base, torch.Tensor) and attr in ("shape", "T", "dtype", "ndim"):
            return getattr(base, attr)
        if isinstance(base, torch.Tensor) and attr in TENSOR_METHODS:
            return getattr(base, attr)
        if isinstance(base, nn.Module) and attr in MODULE_ATTRIBUTES and hasattr(base, attr):
            return getattr(base, attr)
        raise UnsupportedCode(f"{_where(node)}: attribute .{attr} of {type(base).__name__} is not rebuilt")

    def _namespace_member(self, ns: _Namespace, attr: str, node: ast.AST) -> Any:
        if ns.dotted == "torch":
            if attr == "nn":
                return _Namespace("torch.nn")
            if attr in DTYPES:
                return getattr(torch, attr)
            if attr in FACTORIES:
                return self._factory(getattr(torch, attr))
            if attr == "Size":
                return torch.Size
            if attr in TORCH_FUNCTIONS:
                return getattr(torch, attr)
        elif ns.dotted == "torch.nn":
            if attr == "functional":
                return _Namespace("torch.nn.functional")
            if attr in LAYERS:
                return LAYERS[attr]
        elif ns.dotted == "torch.nn.functional" and attr in FUNCTIONAL:
            return getattr(F, attr)
        raise UnsupportedCode(f"{_where(node)}: {ns.dotted}.{attr} is not rebuilt")

    def _factory(self, fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
        def build(*args: Any, **kwargs: Any) -> torch.Tensor:
            kwargs.pop("device", None)
            kwargs.pop("requires_grad", None)
            kwargs.pop("generator", None)
            if self.device != "meta":
                probe = fn(*args, device="meta", **kwargs)
                if probe.numel() > MAX_CPU_ELEMENTS:
                    raise UnsupportedCode(f"a tensor of shape {tuple(probe.shape)} is too large to build on the CPU")
            return fn(*args, device=self.device, **kwargs)
        build.__name__ = fn.__name__
        build.is_factory = True  # type: ignore[attr-defined]
        return build

    def _eval_Call(self, node: ast.Call, scope: dict[str, _Thunk]) -> Any:
        func = self._eval(node.func, scope)
        args = self._elements(node.args, scope)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise UnsupportedCode(f"{_where(node)}: **kwargs in a call are not rebuilt")
            kwargs[kw.arg] = self._eval(kw.value, scope)
        if isinstance(func, type) and issubclass(func, nn.Module):
            return self._layer(func, args, kwargs, node)
        if isinstance(func, nn.Module):
            if not all(isinstance(a, torch.Tensor) for a in args) or kwargs:
                raise UnsupportedCode(f"{_where(node)}: a layer is called with non-tensor arguments")
        elif not (callable(func) and _is_allowed_callable(func)):
            raise UnsupportedCode(f"{_where(node)}: calling {func!r} is not rebuilt")
        builtin = func in BUILTINS.values()
        if builtin and func is not len and any(isinstance(a, torch.Tensor) for a in args):
            raise UnsupportedCode(f"{_where(node)}: {func.__name__}() over a tensor is not rebuilt")
        if self.device != "meta" and not builtin and not getattr(func, "is_factory", False):
            # off the meta device only models are built: no forward passes, no tensor arithmetic
            raise UnsupportedCode(f"{_where(node)}: computing with tensors is only rebuilt on the meta device")
        if func is range:
            _check_length(len(range(*args)), node)
        try:
            return func(*args, **kwargs)
        except UnsupportedCode:
            raise
        except Exception as exc:  # noqa: BLE001 - torch raises many kinds; all mean "cannot rebuild"
            raise UnsupportedCode(f"{_where(node)}: {type(exc).__name__}: {exc}") from None

    def _layer(self, cls: type[nn.Module], args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> nn.Module:
        if cls.__name__ not in LAYERS:
            raise UnsupportedCode(f"{_where(node)}: layer {cls.__name__} is not whitelisted")
        kwargs.pop("device", None)
        takes_device = "device" in inspect.signature(cls.__init__).parameters
        try:
            if not takes_device:
                return cls(*args, **kwargs)
            if self.device != "meta":
                probe = _construct(cls, args, kwargs, "meta")
                if parameter_count(probe) > MAX_CPU_PARAMETERS:
                    raise UnsupportedCode(f"{_where(node)}: {cls.__name__} is too large to build on the CPU")
            return _construct(cls, args, kwargs, self.device)
        except UnsupportedCode:
            raise
        except Exception as exc:  # noqa: BLE001 - a constructor refusing its arguments
            raise UnsupportedCode(f"{_where(node)}: {cls.__name__}(...): {exc}") from None


def _construct(cls: type[nn.Module], args: list[Any], kwargs: dict[str, Any], device: str) -> nn.Module:
    """``cls(*args, **kwargs)`` on ``device``.  On the meta device an ``nn.Embedding`` gets an
    empty meta weight of its shape: it would draw one with ``normal_``, whose meta implementation
    imports ``torch._dynamo`` (0.7 s of CPU, once per process) to fill a tensor that holds no
    values anyway."""
    if device == "meta" and cls is nn.Embedding and "_weight" not in kwargs:
        bound = inspect.signature(nn.Embedding.__init__).bind(None, *args, **kwargs).arguments
        kwargs = {**kwargs, "_weight": torch.empty((bound["num_embeddings"], bound["embedding_dim"]), device="meta")}
    return cls(*args, **kwargs, device=device)


def _is_allowed_callable(func: Any) -> bool:
    if func in BUILTINS.values() or func is torch.Size:
        return True
    if getattr(func, "__self__", None) is not None and isinstance(func.__self__, torch.Tensor):
        return func.__name__ in TENSOR_METHODS
    name = getattr(func, "__name__", "")
    module = getattr(func, "__module__", "") or ""
    if name in FACTORIES and module == __name__:
        return True
    return (name in TORCH_FUNCTIONS and func is getattr(torch, name, None)) or (
        name in FUNCTIONAL and func is getattr(F, name, None))


def parameter_count(model: nn.Module) -> int:
    """Distinct parameters (a module repeated in a Sequential is counted once)."""
    return sum(p.numel() for p in model.parameters())
