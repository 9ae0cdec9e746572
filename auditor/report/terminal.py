"""The terminal view of one audit: a rich table (id, status, claimed, expected, message) and a
summary line.  Student text is wrapped in ``rich.text.Text`` so console markup in an answer
(``[bold]``, ``[link=...]``) is printed literally, never interpreted.
"""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.models import AuditResult, Status
from auditor.report.values import format_value

MESSAGE_WIDTH = 70

STATUS_STYLES = {
    "pass": "green",
    "fail": "bold red",
    "review": "yellow",
    "unanswered": "magenta",
    "manual": "cyan",
    "error": "bold white on red",
}


def _short(text: str, width: int = MESSAGE_WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _cell(value: Any) -> Text:
    return Text(_short(format_value(value), 30))


def question_table(result: AuditResult, width: int = 100) -> Table:
    """A table fitted to ``width`` columns: long ids and values end in an ellipsis, the message
    wraps only on a narrow terminal (the HTML report has everything in full)."""
    id_w = min(max((len(q.id) for q in result.questions), default=8), 40)
    status_w, value_w = 10, 10
    # widths here are content widths: 5 columns with 2 spaces of padding each, 6 border characters
    message_w = max(16, width - id_w - status_w - 2 * value_w - 5 * 2 - 6)
    table = Table(title=Text(result.notebook), title_justify="left", show_lines=False)
    table.add_column("question", no_wrap=True, overflow="ellipsis", width=id_w)
    table.add_column("status", no_wrap=True, width=status_w)
    table.add_column("claimed", no_wrap=True, overflow="ellipsis", width=value_w)
    table.add_column("expected", no_wrap=True, overflow="ellipsis", width=value_w)
    table.add_column("message", width=message_w)
    for q in result.questions:
        table.add_row(
            Text(q.id),
            Text(q.status.value, style=STATUS_STYLES[q.status.value]),
            _cell(q.claimed),
            _cell(q.expected),
            Text(_short(q.message, 160)),
        )
    return table


def summary_line(result: AuditResult, report_paths: tuple[Any, ...] = ()) -> Text:
    """One line: counts by status, execution, assignment fit, where the reports are."""
    if result.error:
        return Text(f"not audited: {result.error}", style="bold red")
    counts = result.counts()
    parts = [f"{counts[s.value]} {s.value}" for s in Status if counts[s.value]]
    line = Text(", ".join(parts) or "no questions")
    ex = result.execution
    line.append(" | execution: ")
    line.append(ex.status.value, style="green" if ex.status.value in ("ok", "skipped") else "red")
    if ex.errors:
        line.append(f" ({len(ex.errors)} error{'s' if len(ex.errors) != 1 else ''})")
    if ex.stale_errors:
        line.append(f", {len(ex.stale_errors)} stale output{'s' if len(ex.stale_errors) != 1 else ''}")
    if result.findings:
        line.append(f" | {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}")
    match = result.assignment
    line.append(" | assignment: ")
    line.append(f"{match.spec.id} ({match.score:.2f})" if match.spec else f"none (best {match.score:.2f})")
    if report_paths:
        line.append(" | report: " + ", ".join(str(p) for p in report_paths))
    return line


def print_result(result: AuditResult, console: Console | None = None,
                 report_paths: tuple[Any, ...] = ()) -> None:
    """Print the table (when there are questions) and the summary line."""
    if console is None:
        console = Console()
        if not console.is_terminal:  # a log or a pipe: no terminal width to fit, keep rows readable
            console = Console(width=140)
    if result.questions:
        console.print(question_table(result, console.width))
    console.print(summary_line(result, report_paths))
