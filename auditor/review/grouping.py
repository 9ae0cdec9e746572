"""Answers grouped so that one decision grades a group.

For one question across the class:
1. no answer: one group ("blank");
2. a claim was read (54, "true", [5, 6, 7]): answers with the identical claim together, whatever
   the wording ("all who wrote 54");
3. otherwise (open prose, an unreadable claim): the text normalised (Unicode NFKC, lower case,
   markdown and punctuation dropped, whitespace collapsed); identical normalised text together,
   then near-identical text together: word 3-gram shingles, Jaccard similarity at least
   ``NEAR_DUPLICATE_JACCARD`` (0.7), joined transitively (single link, union-find).  Texts under
   three words compare as word sets.
A TA can split answers off a group (``splits``: file -> tag); a tag is part of the group key, so
split answers form their own group, grouped again among themselves.

Groups are ordered as a TA works: the worst status first (fail, review, manual, ...), then the
largest, then by first file.  ``grading_actions`` counts the decisions needed with groups and
one answer at a time.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from auditor.review.classdata import STATUS_ORDER, TO_GRADE, AnswerItem

NEAR_DUPLICATE_JACCARD = 0.7
SHINGLE = 3

_MARKUP = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Formatting-invariant form of an answer: case, markdown, punctuation and spacing dropped."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = re.sub(r"\$+", " ", t)
    return " ".join(_MARKUP.sub(" ", t).split())


def shingles(norm: str, n: int = SHINGLE) -> frozenset[str]:
    words = norm.split()
    if len(words) < n:
        return frozenset(words)
    return frozenset(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Group:
    key: str                          # stable within a page: kind, value and split tag
    kind: str                         # "blank" | "claim" | "text"
    label: str                        # what the members share, in words
    members: tuple[AnswerItem, ...]

    @property
    def status(self) -> str:
        return min((m.status for m in self.members), key=lambda s: STATUS_ORDER.get(s, 9))

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(m.file for m in self.members)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _claim_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _text_groups(items: Sequence[AnswerItem], threshold: float) -> list[list[AnswerItem]]:
    norms = [normalise(a.text) for a in items]
    sets = [shingles(n) for n in norms]
    uf = _UnionFind(len(items))
    first: dict[str, int] = {}
    for i, n in enumerate(norms):
        if n in first:
            uf.union(first[n], i)
        else:
            first[n] = i
    reps = list(first.values())
    for x in range(len(reps)):
        for y in range(x + 1, len(reps)):
            i, j = reps[x], reps[y]
            if jaccard(sets[i], sets[j]) >= threshold:
                uf.union(i, j)
    clusters: dict[int, list[AnswerItem]] = {}
    for i, a in enumerate(items):
        clusters.setdefault(uf.find(i), []).append(a)
    return list(clusters.values())


def group_answers(items: Iterable[AnswerItem], splits: Mapping[str, int] | None = None, *,
                  threshold: float = NEAR_DUPLICATE_JACCARD) -> list[Group]:
    """The groups of one question's answers (see the module doc)."""
    splits = splits or {}
    by_tag: dict[int, list[AnswerItem]] = {}
    for a in items:
        by_tag.setdefault(splits.get(a.file, 0), []).append(a)
    groups: list[Group] = []
    for tag, members in sorted(by_tag.items()):
        suffix = f"#{tag}" if tag else ""
        blank: list[AnswerItem] = []
        claimed: dict[str, list[AnswerItem]] = {}
        prose: list[AnswerItem] = []
        for a in members:
            if a.status == "unanswered" or (a.claimed is None and not normalise(a.text)):
                blank.append(a)
            elif a.claimed is not None:
                claimed.setdefault(_claim_text(a.claimed), []).append(a)
            else:
                prose.append(a)
        if blank:
            groups.append(Group(f"blank{suffix}", "blank", "no answer", tuple(blank)))
        for text, ms in claimed.items():
            groups.append(Group(f"claim:{text}{suffix}", "claim", f"claimed {text}", tuple(ms)))
        for ms in _text_groups(prose, threshold):
            label = "same text" if len({normalise(m.text) for m in ms}) == 1 else "near-identical text"
            groups.append(Group(f"text:{ms[0].file}{suffix}", "text", label if len(ms) > 1 else "one answer",
                                tuple(ms)))
    groups.sort(key=lambda g: (STATUS_ORDER.get(g.status, 9), -len(g.members), g.members[0].file))
    return groups


@dataclass(frozen=True)
class ActionCount:
    items: int          # answers a person has to grade (manual + review): one action each, one by one
    groups: int         # groups holding them: one action each with groups
    questions: int

    @property
    def saved(self) -> float:
        return 1 - self.groups / self.items if self.items else 0.0


def grading_actions(items: Iterable[AnswerItem], *, threshold: float = NEAR_DUPLICATE_JACCARD) -> ActionCount:
    """Decisions needed to grade every manual and review answer: one per answer vs one per group
    (groups formed over the answers to grade, per question)."""
    per_q: dict[tuple[str, str], list[AnswerItem]] = {}
    for a in items:
        if a.status in TO_GRADE:
            per_q.setdefault((a.assignment, a.question), []).append(a)
    n_items = sum(len(v) for v in per_q.values())
    n_groups = sum(len(group_answers(v, threshold=threshold)) for v in per_q.values())
    return ActionCount(items=n_items, groups=n_groups, questions=len(per_q))
