"""Tell the template's words from the student's: hashed word n-grams of the blank template.

A spec carries a fingerprint of its blank template (``[template] ngram, hashes``): the set of
4-byte hashes of every word n-gram of the template's lines (and the whole line for lines
shorter than n words). It holds no readable text. When reading a submission, a token is
*template* when an n-gram containing it is in the set; what is left (the residual) is the
student's. A copied statement with " F." appended leaves residual ``f``; an untouched
question cell leaves nothing; a renumbered or re-indented question cell leaves nothing.

Answer slots are told by place as well as by words (``after_slot``): the hashes of the whole lines
that the template has at or after an answer-slot marker in a markdown cell (usually none: the
slot is empty or holds a placeholder). In a submission, a line in that place which the template
did not have there is the student's even when every word of it is the question's ("1. will not
change" under "Which steps will not change ...?", "None of the above" copied from the options).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import re
import struct
from dataclasses import dataclass
from typing import Iterable

from auditor.load.markdown_blocks import parse_blocks
from auditor.assignment.conventions.slots import opens_slot, strip_slots

NGRAM = 3
# words of any script (Chinese, Korean, ... are words too), numbers; "_" and digits split words
_TOKEN = re.compile(r"[a-z]+|\d+|[^\W\d_a-z]+|[✓✔☑✅☒✗✘❌]")  # tick marks are words: "2. ... ✓" is an edit
#: words that mark where an answer starts; alone they are not an answer.
MARKER_WORDS = frozenset({"answer", "answers", "ans", "solution", "solutions", "my", "our", "here", "question",
                          "q", "below", "see"})


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _hash(words: Iterable[str]) -> int:
    return struct.unpack("<I", hashlib.blake2b(" ".join(words).encode(), digest_size=4).digest())[0]


def _code_key(line: str) -> list[str]:
    """A code line is compared whole (whitespace folded): uncommenting a template line is an edit."""
    return ["code:" + " ".join(line.split())]


def line_hashes(line: str, n: int = NGRAM, code: bool = False) -> set[int]:
    if code:
        return {_hash(_code_key(line))} if line.strip() else set()
    toks = tokens(line)
    if not toks:
        return set()
    if len(toks) < n:
        return {_hash(toks)}
    return {_hash(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def text_lines_of_cell(cell_type: str, source: str, outputs_text: str = "") -> list[tuple[str, bool]]:
    """The lines a cell is compared by, with a flag for code lines (compared whole):
    markdown blocks split into lines; code source lines; output lines."""
    lines: list[tuple[str, bool]] = []
    if cell_type == "markdown":
        for b in parse_blocks(source):
            lines.extend((ln, False) for ln in b.text.splitlines())
    else:
        lines.extend((ln, True) for ln in source.splitlines())
        lines.extend((ln, False) for ln in outputs_text.splitlines())
    return [(ln, code) for ln, code in lines if ln.strip()]


def slot_line_hash(line: str) -> int | None:
    """The whole line, slot markers and placeholders removed, as it sits in an answer slot."""
    toks = tokens(strip_slots(line))
    return _hash(["\x00slot", *toks]) if toks else None


def markdown_slot_lines(source: str) -> list[tuple[str, bool]]:
    """A markdown cell's lines (as the layout reads them), each with "at or after an answer slot"."""
    out: list[tuple[str, bool]] = []
    seen = False
    for b in parse_blocks(source):
        for ln in b.text.splitlines():
            if ln.strip():
                seen = seen or opens_slot(ln)
                out.append((ln.strip(), seen))
    return out


def after_slot_hashes(cells: Iterable[tuple[str, str, str]]) -> frozenset[int]:
    """Hashes of the template's lines that sit at or after an answer slot (see the module doc)."""
    out: set[int] = set()
    for ctype, source, _ in cells:
        if ctype == "markdown":
            out |= {h for ln, slot in markdown_slot_lines(source) if slot and (h := slot_line_hash(ln)) is not None}
    return frozenset(out)


def fingerprint_cells(cells: Iterable[tuple[str, str, str]], n: int = NGRAM) -> frozenset[int]:
    """cells: (cell_type, source, outputs_text) of a blank template."""
    out: set[int] = set()
    for ctype, source, outputs in cells:
        for line, code in text_lines_of_cell(ctype, source, outputs):
            out |= line_hashes(line, n, code)
    return frozenset(out)


def encode(hashes: Iterable[int]) -> str:
    data = b"".join(struct.pack("<I", h) for h in sorted(hashes))
    return base64.b64encode(data).decode("ascii")


def decode(text) -> frozenset[int]:
    if isinstance(text, (list, tuple)):
        text = "".join(text)
    data = base64.b64decode(text.encode("ascii"))
    return frozenset(struct.unpack(f"<{len(data) // 4}I", data))


@dataclass(frozen=True)
class Coverage:
    tokens: tuple[str, ...]
    covered: tuple[bool, ...]

    @property
    def residual(self) -> tuple[str, ...]:
        return tuple(t for t, c in zip(self.tokens, self.covered) if not c)

    @property
    def fraction(self) -> float:
        return sum(self.covered) / len(self.tokens) if self.tokens else 1.0

    def meaningful_residual(self) -> tuple[str, ...]:
        """Residual words that can be an answer: not marker words, not the number of a marker."""
        out: list[str] = []
        prev_marker = True  # a number at the very start is a label ("3." / "Answer 3:")
        for t, c in zip(self.tokens, self.covered):
            if c:
                prev_marker = False
                continue
            if t in MARKER_WORDS:
                prev_marker = True
                continue
            if t.isdigit() and prev_marker and len(t) <= 2:
                continue
            out.append(t)
            prev_marker = False
        return tuple(out)


class TemplateIndex:
    """Answers 'how much of this line is template text?'."""

    MEMO_LIMIT = 200_000

    def __init__(self, hashes: frozenset[int], n: int = NGRAM, after_slot: frozenset[int] | None = None):
        self.hashes = hashes
        self.n = n
        self.after_slot = after_slot  # None: a fingerprint made before slots were told by place
        # the template's lines recur in every submission of a class: each is hashed once
        self._memo: dict[tuple[str, bool], Coverage] = {}

    @classmethod
    def from_spec_table(cls, table) -> "TemplateIndex | None":
        if not table or "hashes" not in table:
            return None
        def joined(value) -> str:
            return "".join(value) if isinstance(value, (list, tuple)) else str(value)
        after = table.get("after_slot")
        return _index(joined(table["hashes"]), int(table.get("ngram", NGRAM)),
                      None if after is None else joined(after))

    def slot_line_is_template(self, line: str) -> bool | None:
        """For a line at or after an answer slot: did the template have it there? None: unknown."""
        if self.after_slot is None:
            return None
        h = slot_line_hash(line)
        return h is None or h in self.after_slot

    def coverage(self, line: str, code: bool = False) -> Coverage:
        key = (line, code)
        got = self._memo.get(key)
        if got is None:
            if len(self._memo) >= self.MEMO_LIMIT:
                self._memo.clear()
            got = self._memo[key] = self._coverage(line, code)
        return got

    def _coverage(self, line: str, code: bool) -> Coverage:
        toks = tokens(line)
        n = self.n
        covered = [False] * len(toks)
        if code:
            if _hash(_code_key(line)) in self.hashes:
                covered = [True] * len(toks)
        elif toks and len(toks) < n:
            if _hash(toks) in self.hashes:
                covered = [True] * len(toks)
        else:
            for i in range(len(toks) - n + 1):
                if _hash(toks[i : i + n]) in self.hashes:
                    for j in range(i, i + n):
                        covered[j] = True
        return Coverage(tuple(toks), tuple(covered))


@functools.lru_cache(maxsize=16)
def _index(hashes_text: str, n: int, after_text: str | None = None) -> TemplateIndex:
    """One index per spec fingerprint per process (decoded once, its memo kept)."""
    return TemplateIndex(decode(hashes_text), n, None if after_text is None else decode(after_text))


def fingerprint_table(cells: Iterable[tuple[str, str, str]]) -> dict:
    """The ``[template]`` table of a spec, from a blank template's (cell_type, source, outputs_text)."""
    cells = list(cells)
    return {"ngram": NGRAM, "hashes": encode(fingerprint_cells(cells)), "after_slot": encode(after_slot_hashes(cells))}


def fingerprint_notebook(nb) -> dict:
    """The ``[template]`` table of a spec, from a parsed blank template notebook."""
    return fingerprint_table((c.cell_type, c.source, c.outputs_text) for c in nb.cells)


def template_table_toml(table: dict) -> str:
    """TOML text of the ``[template]`` table (hashes wrapped at 76 columns)."""
    def wrapped(h: str) -> str:
        return "\n".join(f'  "{h[i : i + 76]}",' for i in range(0, len(h), 76))
    text = (
        "[template]\n"
        "# Fingerprint of the blank template: 4-byte hashes of its word n-grams (no readable text).\n"
        "# Regenerate with: auditor init TEMPLATE.ipynb --fingerprint-into SPEC.toml\n"
        f"ngram = {table['ngram']}\n"
        f"hashes = [\n{wrapped(table['hashes'])}\n]\n"
    )
    if "after_slot" in table:
        inside = f"[\n{wrapped(table['after_slot'])}\n]" if table["after_slot"] else "[]"
        text += ("# Hashes of the whole lines the template has inside its answer slots (usually none).\n"
                 f"after_slot = {inside}\n")
    return text
