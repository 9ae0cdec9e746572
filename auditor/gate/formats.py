"""How the gate's decisions are shown: text, JSON, GitHub workflow commands, JUnit XML.

Also the few lines that explain one failing item (claim, truth, how the truth was computed),
shared by the gate and the pytest plugin, and the map from a notebook cell to the line of the
``.ipynb`` file where that cell's source starts (what GitHub annotations point at).
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Mapping

from auditor.gate.run import (
    EXECUTION_ITEM,
    GateReport,
    item_ids,
    item_verdict,
    tampered_messages,
)

FORMATS = ("text", "json", "github")


# --------------------------------------------------------------------------- one item, in a few lines

def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def question_text(question: Mapping[str, Any], tampered: list[str] | None = None) -> str:
    """A failing (or noted) question in a few lines: status, claim, truth, how, where."""
    lines = [f"{question['id']}: {question['status']} (check: {question.get('check') or 'answered'})"]
    if question.get("claimed") is not None or question.get("status") in ("fail", "pass"):
        lines.append(f"  claimed:  {_short(question.get('claimed'))}")
    if question.get("expected") is not None:
        lines.append(f"  expected: {_short(question.get('expected'))}")
    if question.get("method"):
        lines.append(f"  how:      {_short(question['method'], 240)}")
    for ev in question.get("computed_evidence", [])[:3]:
        lines.append(f"            {_short(ev)}")
    if question.get("message"):
        lines.append(f"  message:  {_short(question['message'], 240)}")
    if question.get("evidence"):
        cells = question.get("cells") or []
        where = f" (cell {cells[0]})" if cells else ""
        lines.append(f"  quote:    \"{_short(question['evidence'])}\"{where}")
    for message in tampered or []:
        lines.append("  tampered: " + message.replace("\n", "\n            "))
    return "\n".join(lines)


def execution_text(execution: Mapping[str, Any]) -> str:
    lines = [f"execution: {execution.get('status')}"]
    if execution.get("message"):
        lines.append(f"  {_short(execution['message'], 240)}")
    for err in execution.get("errors", [])[:10]:
        lines.append(f"  cell {err['cell']}: {err['ename']}: {_short(err['evalue'])}")
    return "\n".join(lines)


def item_text(result: Mapping[str, Any], item: str) -> str:
    """The explanation of one item of a result (question id or ``execution``)."""
    if result.get("error"):
        return f"{result.get('notebook')}: not audited: {result['error']}"
    if item == EXECUTION_ITEM:
        return execution_text(result.get("execution", {}))
    for q in result.get("questions", []):
        if q["id"] == item:
            return question_text(q, tampered_messages(result).get(item))
    return f"{item}: not in the audit result"


def item_cell(result: Mapping[str, Any], item: str) -> int | None:
    """The notebook cell an item points at (first answer cell, tamper cell, first error cell)."""
    if item == EXECUTION_ITEM:
        errors = result.get("execution", {}).get("errors", [])
        return errors[0]["cell"] if errors else None
    for q in result.get("questions", []):
        if q["id"] == item and q.get("cells"):
            return q["cells"][0]
    for f in result.get("findings", []):
        if f.get("question") == item and f.get("cell") is not None:
            return f["cell"]
    return None


# --------------------------------------------------------------------------- cells -> lines of the file

def cell_source_lines(text: str) -> dict[int, int]:
    """cell index -> 1-based line of the raw .ipynb text where that cell's ``source`` starts.

    Walks the JSON text itself (``json.JSONDecoder.raw_decode`` skips values), so the line is the
    one a diff of the file shows.  A cell without a ``source`` key maps to the line of its ``{``.
    Returns {} when the text is not a notebook's JSON object.
    """
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    lines: dict[int, int] = {}
    if pos >= len(text) or text[pos] != "{":
        return lines
    try:
        for key, start in _object_members(text, pos, decoder):
            if key == "cells" and text[start] == "[":
                for index, cell_start in enumerate(_array_items(text, start, decoder)):
                    line_at = cell_start
                    if text[cell_start] == "{":
                        for ckey, cstart in _object_members(text, cell_start, decoder):
                            if ckey == "source":
                                line_at = _skip_ws(text, cstart + 1) if text[cstart] == "[" else cstart
                                break
                    lines[index] = text.count("\n", 0, line_at) + 1
                break
    except (ValueError, IndexError):
        return lines
    return lines


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _object_members(text: str, pos: int, decoder: json.JSONDecoder):
    """Yield (key, value_start) of the object at ``pos``; skips each value after yielding."""
    pos = _skip_ws(text, pos + 1)
    while text[pos] != "}":
        key, pos = decoder.raw_decode(text, pos)
        pos = _skip_ws(text, pos)
        if text[pos] != ":":
            raise ValueError("expected ':'")
        pos = _skip_ws(text, pos + 1)
        yield key, pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip_ws(text, pos)
        if text[pos] == ",":
            pos = _skip_ws(text, pos + 1)


def _array_items(text: str, pos: int, decoder: json.JSONDecoder):
    pos = _skip_ws(text, pos + 1)
    while text[pos] != "]":
        yield pos
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip_ws(text, pos)
        if text[pos] == ",":
            pos = _skip_ws(text, pos + 1)


def notebook_cell_lines(path: str | Path) -> dict[int, int]:
    try:
        return cell_source_lines(Path(path).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


# --------------------------------------------------------------------------- formats

def format_text(report: GateReport) -> str:
    out: list[str] = []
    for d in report.decisions:
        verdict = "PASS" if d.passed else ("ERROR" if d.result.get("error") else "FAIL")
        match = d.result.get("assignment", {})
        head = f"{verdict} {d.path}"
        if match.get("id"):
            head += f"  [assignment {match['id']}, fit {match.get('score', 0):.2f}]"
        out.append(head)
        if d.result.get("error"):
            out.append(f"  {d.result['error']}")
            continue
        for item in item_ids(d.result):
            v = item_verdict(d.result, item, report.fail_on)
            if v.failed:
                out.append("  " + item_text(d.result, item).replace("\n", "\n  "))
        for f in d.result.get("findings", []):
            if f.get("kind") == "tampered" and "tampered" not in report.fail_on:
                out.append(f"  note: {f['message'].splitlines()[0]}")
    failed = sum(1 for d in report.decisions if not d.passed)
    out.append(
        f"auditor gate: {len(report.decisions)} notebook(s), {failed} failing "
        f"(fail on: {', '.join(sorted(report.fail_on))}); exit {int(report.exit_code)}"
    )
    return "\n".join(out) + "\n"


def format_json(report: GateReport) -> str:
    payload = {
        "exit_code": int(report.exit_code),
        "fail_on": sorted(report.fail_on),
        "notebooks": [
            {
                "notebook": d.path,
                "passed": d.passed,
                "exit_code": int(d.exit_code),
                "reasons": list(d.reasons),
                "result": d.result,
            }
            for d in report.decisions
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, path: str, line: int | None, title: str, message: str) -> str:
    """``::error file=PATH,line=N,title=T::message`` with GitHub's escaping."""
    props = [f"file={_escape_property(path)}"]
    if line is not None:
        props.append(f"line={line}")
    props.append(f"title={_escape_property(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


#: order of annotations: GitHub shows only the first few error annotations of a step (10), so
#: what most needs fixing comes first
_GITHUB_RANK = {"internal error": 0, "fail": 1, "errors": 2, "timeout": 2, "crashed": 2, "tampered": 3,
                "unanswered": 4}


def format_github(report: GateReport) -> str:
    """GitHub Actions workflow commands: one ``::error`` per failing item, ``::warning`` for notes.

    Errors come first by kind (not audited, internal error, wrong answer, notebook does not run,
    tampered, unanswered, the rest), then warnings, then the one-line summary.
    """
    errors: list[tuple[int, str]] = []
    warnings: list[str] = []
    for d in report.decisions:
        if d.result.get("error"):
            errors.append((-1, workflow_command("error", d.path, None, "auditor: not audited", d.result["error"])))
            continue
        lines = notebook_cell_lines(d.path)
        for item in item_ids(d.result):
            v = item_verdict(d.result, item, report.fail_on)
            if v.failed:
                cell = item_cell(d.result, item)
                line = lines.get(cell) if cell is not None else None
                rank = _GITHUB_RANK.get(v.label.split(",")[0], len(_GITHUB_RANK))
                errors.append((rank, workflow_command(
                    "error", d.path, line, f"auditor {item}: {v.label}", item_text(d.result, item))))
        if "tampered" not in report.fail_on:
            for f in d.result.get("findings", []):
                if f.get("kind") == "tampered":
                    line = lines.get(f["cell"]) if f.get("cell") is not None else None
                    warnings.append(workflow_command(
                        "warning", d.path, line, f"auditor {f.get('question')}: tampered", f["message"]))
    out = [cmd for _, cmd in sorted(errors, key=lambda e: e[0])] + warnings
    out.append(format_text(report).rstrip("\n").splitlines()[-1])
    return "\n".join(out) + "\n"


def render(report: GateReport, fmt: str) -> str:
    return {"text": format_text, "json": format_json, "github": format_github}[fmt](report)


# --------------------------------------------------------------------------- JUnit XML

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (ANSI escapes in tracebacks, stray control bytes)."""
    return _XML_INVALID.sub("", text)


def junit_tree(report: GateReport) -> ET.ElementTree:
    """One <testsuite> per notebook, one <testcase> per question plus one for execution."""
    suites = ET.Element("testsuites", name="auditor gate")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for d in report.decisions:
        suite = ET.SubElement(suites, "testsuite", name=d.path)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        items = item_ids(d.result) if not d.result.get("error") else ["audit"]
        lines = notebook_cell_lines(d.path)
        for item in items:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=d.path, name=item, file=d.path)
            if d.result.get("error"):
                tag = "error" if d.result.get("error_kind") == "internal" else "failure"
                error = _xml_safe(d.result["error"])
                ET.SubElement(case, tag, message=error).text = error
                counts["errors" if tag == "error" else "failures"] += 1
                continue
            cell = item_cell(d.result, item)
            if cell is not None and cell in lines:
                case.set("line", str(lines[cell]))
            v = item_verdict(d.result, item, report.fail_on)
            text = _xml_safe(item_text(d.result, item))
            if v.failed:
                tag = "error" if v.internal else "failure"
                ET.SubElement(case, tag, message=_xml_safe("; ".join(v.reasons)), type=v.label).text = text
                counts["errors" if v.internal else "failures"] += 1
            elif v.skipped:
                ET.SubElement(case, "skipped", message=f"{item}: {v.status}")
                counts["skipped"] += 1
            else:
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="status", value=v.status)
                if v.status in ("review", "manual", "tampered") or item in tampered_messages(d.result):
                    ET.SubElement(case, "system-out").text = text
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        suites.set(k, str(v))
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    return tree


def write_junit(report: GateReport, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    junit_tree(report).write(path, encoding="utf-8", xml_declaration=True)
