"""Student markdown as sanitised HTML: the one place student text may become markup.

markdown-it-py renders it with raw HTML off and images replaced by a note (never fetched); nh3
then keeps only a short list of harmless tags and attributes.  Both HTML reports use this
through the ``markdown_safe`` filter of the shared Jinja environment.
"""
from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

SANITISE_TAGS = frozenset({
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a", "span",
})
# no style attributes: CSS url() would be a way to load remote content
SANITISE_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def _image_as_text(renderer, tokens, idx, options, env) -> str:
    """Student images are never rendered or fetched: show their alt text instead."""
    alt = "".join(child.content for child in (tokens[idx].children or ()))
    return f'<span class="img-note">[image not shown{": " + str(escape(alt)) if alt else ""}]</span>'


@functools.lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.add_render_rule("image", _image_as_text)
    return md


@functools.lru_cache(maxsize=8192)
def render_markdown_safe(text: str) -> Markup:
    """Student markdown -> sanitised HTML (no scripts, no event handlers, no images, no js: links)."""
    html = _markdown().render(text or "")
    cleaned = nh3.clean(
        html,
        tags=set(SANITISE_TAGS),
        attributes=SANITISE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        allowed_classes={"span": {"img-note"}},
        strip_comments=True,
    )
    return Markup(cleaned)
