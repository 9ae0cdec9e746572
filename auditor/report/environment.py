"""The one Jinja2 environment of every HTML page auditor writes (notebook report, class report).

Autoescape is on for every template and for strings; undefined names raise (StrictUndefined)
instead of printing nothing; the only filters that may emit markup are ``markdown_safe``
(nh3-sanitised) and the view model's ``highlight``.  Every page carries the same
Content-Security-Policy (``templates/_head.html.j2``): no scripts, no remote loads.
"""
from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from auditor.report.markdown import render_markdown_safe
from auditor.report.values import format_share, format_value

#: what a page may do: nothing but inline styles (and data: images, which we never emit).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def _value_or_blank(value: Any) -> str:
    """A score that may be missing (a submission not audited): blank, else the value."""
    return "" if value is None else format_value(value)


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment (templates from ``auditor/templates``)."""
    env = Environment(
        loader=PackageLoader("auditor", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "html.j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    env.filters["markdown_safe"] = render_markdown_safe
    env.filters["value"] = format_value
    env.filters["num"] = _value_or_blank
    env.filters["pct"] = format_share
    return env


def render_page(template: str, **context: Any) -> str:
    """Render one of ``auditor/templates`` with the shared environment."""
    return environment().get_template(template).render(**context)
