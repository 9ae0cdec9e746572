"""The spec file's schema: every key a spec may hold, its type, and a one-line error otherwise.

``validate_document(raw, path)`` checks a parsed TOML document (before ``extends`` is resolved)
and raises ``SpecError`` naming the file, the key as a dotted path (``questions[3].params.key``)
and the expected type. The same tables are what docs/spec-format.md documents; a test keeps the
two in agreement (``FIELDS``).

``params`` and ``canonical`` hold a check's own parameters: their names and types are the check's
signature (checked when the spec is used, see ``auditor.pipeline.validate_spec``); here only that
they are tables. ``key`` may be any TOML value (a verdict string, a number, a list of options).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

CLAIM_KINDS = ("number", "probability", "verdict", "shape", "cause", "yesno", "code", "choice")


class SpecError(Exception):
    """An assignment spec that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Type:
    """A value type: ``name`` for messages, ``accepts`` the Python types TOML gives."""

    name: str
    accepts: tuple[type, ...]
    items: "Type | None" = None        # for arrays: the type of every item
    choices: tuple[str, ...] = ()      # for strings: the allowed values

    def ok(self, value: Any) -> bool:
        if isinstance(value, bool) and bool not in self.accepts:
            return False
        if not isinstance(value, self.accepts):
            return False
        if self.choices and value not in self.choices:
            return False
        return True


STRING = Type("string", (str,))
BOOL = Type("boolean", (bool,))
INT = Type("integer", (int,))
NUMBER = Type("number", (int, float))
TABLE = Type("table", (dict,))
ANY = Type("any value", (object,))
STRINGS = Type("array of strings", (list,), STRING)
STRING_OR_STRINGS = Type("string or array of strings", (str, list), STRING)
CLAIM = Type("string (" + " | ".join(CLAIM_KINDS) + ")", (str,), choices=CLAIM_KINDS)

#: (key, type, what it means) per table; "questions" and "sections" are arrays of tables.
FIELDS: Mapping[str, tuple[tuple[str, Type, str], ...]] = {
    "": (
        ("extends", STRING, "id of the spec this one builds on (shipped or in a --specs folder)"),
        ("remove", STRINGS, "question ids of the base spec that this spec drops"),
        ("assignment", TABLE, "the spec's identity (below)"),
        ("signature", TABLE, "phrase -> weight, for --assignment auto"),
        ("sections", Type("array of tables", (list,), TABLE), "the notebook's sections, in order"),
        ("questions", Type("array of tables", (list,), TABLE), "the questions, in order"),
        ("template", TABLE, "fingerprint of the blank template (written by auditor init)"),
    ),
    "assignment": (
        ("id", STRING, "unique id; --assignment ID and extends = ID use it"),
        ("title", STRING, "shown in reports"),
        ("variant", STRING, "variant name (e.g. \"D\")"),
        ("description", STRING, "one paragraph for humans"),
    ),
    "sections": (
        ("slug", STRING, "id part before the slash (default: the heading, slugified)"),
        ("heading", STRING, "the section heading as the template writes it"),
        ("aliases", STRINGS, "other headings that mean this section"),
    ),
    "questions": (
        ("id", STRING, "<section>/<n> or <section>/<n>.<k>, by order in the template"),
        ("phrases", STRING_OR_STRINGS, "short phrases that recognise the question"),
        ("claim", CLAIM, "what to read from the answer (claim kinds below)"),
        ("check", STRING, "entry-point name of the check (default: answered)"),
        ("params", TABLE, "the check's parameters (facts of the question)"),
        ("key", ANY, "the instructor's answer; \"TODO\": not filled in yet (read, graded by hand)"),
        ("contested", BOOL, "a disagreement with the key goes to review, never fail"),
        ("reason", STRING, "why the key is what it is (shown in reports)"),
        ("demonstration", STRING, "name of a computed demonstration backing the key"),
        ("points", NUMBER, "points for a pass"),
        ("answered_elsewhere", BOOL, "answered in another file: status manual"),
        ("fetch", STRINGS, "kernel variables the check needs"),
        ("canonical", TABLE, "the question's facts as the instructor wrote them (tamper detection)"),
        ("answer_patterns", STRINGS, "regexes: a code line matching one answers this part"),
        ("answer_names", STRINGS, "variables that hold a code answer's claim: a literal is read from the code, "
                                  "a computed value from the kernel after the answer's cells ran"),
    ),
    "template": (
        ("ngram", INT, "n of the hashed word n-grams"),
        ("hashes", STRING_OR_STRINGS, "base64 of the 4-byte hashes"),
        ("after_slot", STRING_OR_STRINGS, "base64 of the 4-byte hashes of the template's lines inside answer slots"),
    ),
}


def _check_table(raw: Mapping[str, Any], fields, where: str, path: str) -> None:
    known = {name: typ for name, typ, _ in fields}
    for name, value in raw.items():
        dotted = f"{where}.{name}" if where else str(name)
        typ = known.get(name)
        if typ is None:
            expected = ", ".join(known)
            raise SpecError(f"{path}: unknown key {dotted} (expected one of: {expected})")
        _check_value(value, typ, dotted, path)


def _check_value(value: Any, typ: Type, dotted: str, path: str) -> None:
    if not typ.ok(value):
        got = type(value).__name__ if not isinstance(value, dict) else "table"
        shown = f" {value!r}" if isinstance(value, (str, int, float)) and len(repr(value)) < 40 else ""
        raise SpecError(f"{path}: {dotted} must be a {typ.name}, got {got}{shown}")
    if typ.items is not None and isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, typ.items, f"{dotted}[{i}]", path)


def validate_document(raw: Mapping[str, Any], path: str) -> None:
    """Raise ``SpecError`` for the first unknown key or wrongly typed value in a spec document."""
    _check_table(raw, FIELDS[""], "", path)
    for table in ("assignment", "template"):
        if table in raw:
            _check_table(raw[table], FIELDS[table], table, path)
    for phrase, weight in raw.get("signature", {}).items():
        _check_value(weight, NUMBER, f"signature.{phrase!r}", path)
    for array in ("sections", "questions"):
        for i, entry in enumerate(raw.get(array, [])):
            _check_table(entry, FIELDS[array], f"{array}[{i}]", path)


# --------------------------------------------------------------------------- check parameters

_ANNOTATION_TYPES = (
    (r"^(?:float|int \| float|float \| int)$", NUMBER),
    (r"^int$", INT),
    (r"^str$", STRING),
    (r"^bool$", BOOL),
    (r"^(?:list|tuple|Sequence)(?:\[.*\])?$", Type("array", (list, tuple))),
    (r"^(?:dict|Mapping)(?:\[.*\])?$", Type("table", (dict, Mapping))),
)


def annotation_type(annotation: Any) -> Type | None:
    """The schema type of a check parameter's annotation (``"str | None"`` -> string); None: any."""
    import re

    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    text = re.sub(r"\s*\|\s*None$", "", str(text).strip())
    return next((typ for pattern, typ in _ANNOTATION_TYPES if re.match(pattern, text)), None)


def param_type_problems(spec) -> list[str]:
    """``questions[i].params.NAME must be a TYPE, got ...`` for every spec parameter whose value does not
    fit the type its check declares (the check's signature, from the registry)."""
    import inspect

    from auditor.judge.registry import UnknownCheckError, get_check

    problems = []
    for i, q in enumerate(spec.questions):
        if not q.params:
            continue
        try:
            loaded = get_check(q.check or "answered")
        except UnknownCheckError:
            continue  # reported by the caller
        sig = inspect.signature(loaded.func)
        for name, value in q.params.items():
            par = sig.parameters.get(name)
            typ = annotation_type(par.annotation) if par is not None else None
            if typ is None or value is None:
                continue
            if not typ.ok(value):
                got = "table" if isinstance(value, Mapping) else type(value).__name__
                problems.append(f"questions[{i}].params.{name} must be a {typ.name}, got {got} (question {q.id}, "
                                f"check {loaded.name})")
    return problems


# --------------------------------------------------------------------------- generated documentation

#: claim kind -> the value the reader gives (docs/spec-format.md; a test keeps it equal to the readers)
CLAIM_VALUES: Mapping[str, str] = {
    "number": "int (e.g. a receptive-field side; an area is noted)",
    "probability": "float q in [0, 1] or None; extra.formula: a sympy string in p1, p2",
    "verdict": "\"true\" | \"false\" | \"hedged\"",
    "shape": "list of ints",
    "cause": "\"vanishing\" | \"exploding\" | \"other\"",
    "yesno": "\"yes\" | \"no\"",
    "code": "bool: the code was written",
    "choice": "sorted list of option labels: [1, 3], [\"a\", \"c\"], [\"iii\", \"iv\"]; [] for none",
}
_BEGIN, _END = "<!-- BEGIN generated: {} -->", "<!-- END generated: {} -->"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def fields_table() -> str:
    rows = ["| table | key | type | meaning |", "|---|---|---|---|"]
    for table, fields in FIELDS.items():
        shown = {"": "(top level)", "sections": "[[sections]]", "questions": "[[questions]]"}.get(table, f"[{table}]")
        rows += [f"| {shown} | `{name}` | {_cell(typ.name)} | {_cell(what)} |" for name, typ, what in fields]
    return "\n".join(rows)


def claims_table() -> str:
    from auditor.claims.read import READERS

    rows = ["| claim | value | reader |", "|---|---|---|"]
    for kind in CLAIM_KINDS:
        reader = READERS[kind]
        rows.append(f"| `{kind}` | {_cell(CLAIM_VALUES[kind])} | `{reader.__module__}` |")
    return "\n".join(rows)


def checks_table() -> str:
    """Every installed check's spec parameters, from its signature (the registry's view)."""
    import inspect

    from auditor.judge.registry import default_registry

    registry = default_registry()
    rows = ["| check | parameter | required | default | type |", "|---|---|---|---|---|"]
    for name in registry.names():
        loaded = registry.get(name)
        if loaded.found.distribution not in (None, "auditor"):
            continue  # third-party checks document themselves
        sig = inspect.signature(loaded.func)
        params = [*loaded.required_params, *loaded.optional_params]
        if not params:
            rows.append(f"| `{name}` | (none) | | | |")
        for p in params:
            par = sig.parameters[p]
            ann = par.annotation if isinstance(par.annotation, str) else getattr(par.annotation, "__name__", "")
            default = "" if par.default is inspect.Parameter.empty else f"`{par.default!r}`"
            rows.append(f"| `{name}` | `{p}` | {'yes' if p in loaded.required_params else 'no'} | {_cell(default)} "
                        f"| {_cell(ann)} |")
    return "\n".join(rows)


GENERATED = {"fields": fields_table, "claims": claims_table, "checks": checks_table}


def render_docs(text: str) -> str:
    """``text`` with every generated region (``<!-- BEGIN generated: NAME -->``) rewritten."""
    for name, make in GENERATED.items():
        begin, end = _BEGIN.format(name), _END.format(name)
        if begin in text and end in text:
            head, rest = text.split(begin, 1)
            _, tail = rest.split(end, 1)
            text = f"{head}{begin}\n{make()}\n{end}{tail}"
    return text


if __name__ == "__main__":  # python -m auditor.assignment.schema docs/spec-format.md: regenerate its tables
    import sys
    from pathlib import Path

    doc = Path(sys.argv[1])
    doc.write_text(render_docs(doc.read_text()))
