"""Markdown cell -> a flat list of text blocks (headings, paragraphs, list items, code, html).

Parsed with markdown-it-py (CommonMark), never by regex over the raw text: emphasis markers
vanish (``**TRUE**`` -> ``TRUE``), HTML tags are dropped but their text kept (``<font ...>``,
``<b><u>Answer 3:``), HTML comments are dropped entirely (invisible text is not an answer),
list items carry the marker the student typed (``5.``, ``a)``) and their nesting depth.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt

_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_TAG = re.compile(r"<[^>]*>")
_BR = re.compile(r"<\s*br\s*/?\s*>|</\s*(p|div|li|tr|h[1-6])\s*>", re.I)


@dataclass(frozen=True)
class Block:
    kind: str            # "heading" | "paragraph" | "code" | "html"
    text: str            # plain text
    level: int = 0       # heading level (1-6); for list content: list depth (1 = top-level list)
    marker: str = ""     # the list marker of the item this block starts ("3.", "a)", "-"), "" otherwise
    item_start: bool = False  # first block of a list item
    line: int = 0        # first source line (0-based) in the cell


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def strip_html(text: str) -> str:
    """HTML fragment -> text: comments removed, line-breaking tags -> newlines, tags dropped."""
    text = _COMMENT.sub("", text)
    text = _BR.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text)


def _inline_text(token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        t = child.type
        if t in ("text", "code_inline"):
            parts.append(child.content)
        elif t in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif t == "html_inline":
            if re.match(r"<\s*br", child.content, re.I):
                parts.append("\n")
            # other inline tags are dropped; an inline comment is dropped too
        elif t == "image":
            parts.append("")  # images are never fetched; their alt text is not an answer
    text = "".join(parts)
    return _COMMENT.sub("", text)


@lru_cache(maxsize=8192)
def parse_blocks(source: str) -> tuple[Block, ...]:
    """Frozen blocks of a markdown cell (memoised: spec matching and extraction read the same cells)."""
    tokens = _parser().parse(source)
    blocks: list[Block] = []
    depth = 0
    markers: list[str] = []
    pending_item = False

    for idx, tok in enumerate(tokens):
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif t in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif t == "list_item_open":
            info = tok.info or ""
            mk = tok.markup or "-"
            markers.append(f"{info}{mk}" if info else mk)
            pending_item = True
        elif t == "list_item_close":
            if pending_item and markers:
                # an empty item ("2." with nothing after it) still holds its place in the numbering
                blocks.append(Block("paragraph", "", depth, markers[-1], True, tok.map[0] if tok.map else 0))
            markers.pop()
            pending_item = False
        elif t == "heading_open":
            pass
        elif t == "inline":
            text = _inline_text(tok).strip()
            line = tok.map[0] if tok.map else 0
            kind = "paragraph"
            level = depth
            if idx > 0 and tokens[idx - 1].type == "heading_open" and tokens[idx - 1].markup.startswith("#"):
                # ATX headings only: a paragraph above a "-----"/"=====" framing line (a setext
                # heading in CommonMark) is how students frame answers, not a heading
                kind = "heading"
                level = int(tokens[idx - 1].tag[1:])
            if text:
                blocks.append(
                    Block(kind, text, level, markers[-1] if (pending_item and markers) else "", pending_item, line)
                )
                pending_item = False
        elif t in ("fence", "code_block"):
            blocks.append(Block("code", tok.content.rstrip("\n"), depth, "", False, tok.map[0] if tok.map else 0))
        elif t == "html_block":
            text = strip_html(tok.content).strip()
            if text:
                for piece in (p for p in re.split(r"\n\s*\n", text) if p.strip()):
                    blocks.append(Block("html", piece.strip(), depth, "", False, tok.map[0] if tok.map else 0))
    return tuple(blocks)


def markdown_to_text(source: str) -> str:
    """Whole markdown cell as plain text (blocks joined by newlines)."""
    return "\n".join(b.text for b in parse_blocks(source))
