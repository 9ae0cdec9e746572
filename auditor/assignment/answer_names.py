"""Which variables hold a code question's claim, read from the template's code and the question's words.

* ``name = ...`` placeholders in the template's code (Otter and most courses' stubs): the names
  the student fills in, except a name whose value the question itself states (``$\\mu = 61$``
  makes ``mu`` an input, not an answer); when the question's text names some of the others
  (``$\\sigma$ equal to your choice``), only those;
* else a function the student completes (``def compute_a_hat(x, y): ...``) whose result the
  template's own lines assign (``a_hat = compute_a_hat(x, y)``): those names, in order;
* nbgrader questions get theirs from discovery (the names the test cell reads that the question
  names, ``auditor.assignment.conventions``).

The template is parsed, never run. The claim is then read from these names: a literal from the
student's code, a computed value from the kernel after the answer's cells ran
(``auditor.claims.kernel_value``).
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from auditor.assignment.proposals import Proposal
    from auditor.assignment.structure import FoundQuestion
    from auditor.models import ParsedNotebook

#: LaTeX / Unicode spellings of Greek-letter variable names (``sigma`` is written $\sigma$ or σ)
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
          "lambda": "λ", "lam": "λ", "mu": "μ", "nu": "ν", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ",
          "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω"}


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _is_ellipsis(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def stub_names(code: str) -> list[str]:
    """Names a top-level ``name = ...`` / ``a, b = ...`` placeholder leaves for the student."""
    tree = _parse(code)
    out: list[str] = []
    for node in tree.body if tree else ():
        if isinstance(node, ast.Assign) and _is_ellipsis(node.value):
            for target in node.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                out.extend(e.id for e in elts if isinstance(e, ast.Name) and e.id not in out)
    return out


def _stub_functions(tree: ast.Module) -> set[str]:
    """Functions whose body the template leaves as ``...`` (after an optional docstring)."""
    out = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            body = [b for b in node.body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant)
                                                 and isinstance(b.value.value, str))]
            if body and all(isinstance(b, ast.Expr) and _is_ellipsis(b.value) for b in body):
                out.add(node.name)
    return out


def result_names(code: str) -> list[str]:
    """Names the template assigns from a call of a function the student completes."""
    tree = _parse(code)
    if tree is None:
        return []
    funcs = _stub_functions(tree)
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) \
                and node.value.func.id in funcs and node.targets[0].id not in out:
            out.append(node.targets[0].id)
    return out


def _spellings(name: str) -> list[str]:
    out = [re.escape(name), r"\\" + re.escape(name)]
    if name.lower() in _GREEK:
        out.append(_GREEK[name.lower()])
    return out


def fixed_by_text(name: str, text: str) -> bool:
    """The question states the name's value itself (``$\\mu = 61$``, ``mu = 61``, ``μ=61``)."""
    spelled = "|".join(_spellings(name))
    return bool(re.search(rf"(?<![\w\\])(?:{spelled})(?!\w)\s*=\s*-?\d", text.replace("$", " ")))


def mentioned(name: str, text: str) -> bool:
    """The question names the variable as code: in backticks, as LaTeX (``$\\sigma$``) or Greek
    (σ), or bare when it cannot be an English word (``q6a_i``, ``x2``); "the curve" is not ``curve``."""
    if re.search(rf"`\s*{re.escape(name)}\s*`", text):
        return True
    spelled = [s for s in _spellings(name)[1:]] + ([re.escape(name)] if re.search(r"[_\d]", name) else [])
    return bool(re.search(rf"(?<![\w\\])(?:{'|'.join(spelled)})(?!\w)", text))


def answer_names(text: str, codes: Iterable[str]) -> tuple[str, ...]:
    """The variables holding the claim of a code question with ``text`` and template ``codes``."""
    codes = list(codes)
    stubs = list(dict.fromkeys(n for code in codes for n in stub_names(code)))
    free = [n for n in stubs if not fixed_by_text(n, text)]
    named = [n for n in free if mentioned(n, text)]
    if named or free:
        return tuple(named or free)
    return tuple(dict.fromkeys(n for code in codes for n in result_names(code)))


def for_found_question(q: "FoundQuestion", nb: "ParsedNotebook") -> tuple[str, ...]:
    """The answer variables of a question found by convention (its sub-questions name their own)."""
    d = q.found
    if d is None or d.variables:
        return ()
    if d.answer_names:
        return tuple(d.answer_names)
    return answer_names(d.text, (nb.cells[i].source for i in q.code_cells if nb.cells[i].cell_type == "code"))


def code_value_proposal() -> "Proposal":
    """A code question with answer variables whose wording asks for no claim kind: their values are
    read as numbers (a list for several) and judged against a key."""
    from auditor.assignment.proposals import Proposal

    return Proposal("number", "keyed_number", key_example="0",
                    comment="the values of the answer variables (a list for several)")
