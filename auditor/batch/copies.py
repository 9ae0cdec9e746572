"""Near-identical answers across submissions (copied answers), by word 8-gram overlap.

Method: each answer text is lower-cased and split into words (runs of letters/digits); its
set of word 8-grams (shingles) is taken per question.  Shingles that many submissions share are
the question's own text, the template, or boilerplate, not copying: a shingle found in more than
``max_share`` of the class (and more than ``min_common`` submissions) is ignored, the way MOSS
ignores base code.  For every pair of submissions the remaining shingles are compared question by
question (a shingle only matches the same question's shingle):

- ``overlap``  = shared / union   (Jaccard over all their answer shingles; 0.8 = "share 80 %")
- ``containment`` = shared / the smaller submission's shingles (one copied part of the other)

A pair is reported when ``containment >= min_containment`` and they share at least
``min_shared`` shingles (short answers share little by chance, but nothing to flag either).
The questions involved are those where the pair shares at least one shingle, with each
question's own overlap.  Finding candidates uses an inverted index (shingle -> submissions), so
the cost grows with the shared shingles, not with the square of the class size.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

N = 8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=1 << 16)
def shingles(text: str, n: int = N) -> frozenset[int]:
    """The text's word n-grams, each as the hash of its words (one process compares them: the
    hash is stable there; a collision of two 64-bit hashes does not happen in a class).
    Memoised: a batch computes them as each result arrives (:func:`prepare`), not all at the end."""
    w = words(text)
    # zip of n shifted views yields each n-gram as a tuple, built in C
    return frozenset(map(hash, zip(*(w[i:] for i in range(n)))))


@dataclass(frozen=True)
class QuestionOverlap:
    question: str
    shared: int
    overlap: float          # Jaccard of this question's shingles


@dataclass(frozen=True)
class CopiedPair:
    a: str                  # submission ids (a < b)
    b: str
    shared: int
    overlap: float          # Jaccard over all answer shingles
    containment: float      # shared / smaller set
    questions: tuple[QuestionOverlap, ...] = field(default_factory=tuple)


def find_copied_pairs(
    answers: Mapping[str, Mapping[str, str]],
    *,
    n: int = N,
    min_containment: float = 0.5,
    min_shared: int = 10,
    max_share: float = 0.25,
    min_common: int = 4,
) -> list[CopiedPair]:
    """``answers``: submission id -> question id -> answer text. Pairs, most similar first."""
    per_sub: dict[str, dict[str, frozenset[int]]] = {}
    for sid, qs in answers.items():
        per_sub[sid] = {qid: shingles(text, n) for qid, text in qs.items() if text}

    # per question: document frequency of each shingle, the class's common ones dropped
    limit = max(min_common, math.floor(max_share * len(per_sub)))
    sizes: dict[str, dict[str, int]] = {sid: {} for sid in per_sub}
    shared: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    questions = sorted({qid for qs in per_sub.values() for qid in qs})
    for qid in questions:
        df: dict[int, list[str]] = defaultdict(list)
        for sid, qs in per_sub.items():
            for g in qs.get(qid, ()):
                df[g].append(sid)
        common = {g for g, subs in df.items() if len(subs) > limit}
        for sid, qs in per_sub.items():
            if qid in qs:
                sizes[sid][qid] = len(qs[qid] - common)
        # shingles held by the same submissions count once per pair together (copies of one
        # text share nearly all their shingles: one group instead of one pass per shingle)
        holders: dict[tuple[str, ...], int] = defaultdict(int)
        for g, subs in df.items():
            if len(subs) >= 2 and g not in common:
                holders[tuple(sorted(subs))] += 1
        for subs_sorted, count in holders.items():
            for i, a in enumerate(subs_sorted):
                for b in subs_sorted[i + 1 :]:
                    shared[(a, b)][qid] += count

    pairs: list[CopiedPair] = []
    for (a, b), by_q in shared.items():
        total_shared = sum(by_q.values())
        size_a = sum(sizes[a].values())
        size_b = sum(sizes[b].values())
        union = size_a + size_b - total_shared
        smaller = min(size_a, size_b)
        if total_shared < min_shared or not smaller:
            continue
        containment = total_shared / smaller
        if containment < min_containment:
            continue
        questions = tuple(
            QuestionOverlap(
                question=qid,
                shared=cnt,
                overlap=cnt / max(1, sizes[a].get(qid, 0) + sizes[b].get(qid, 0) - cnt),
            )
            for qid, cnt in by_q.items()
        )
        pairs.append(
            CopiedPair(
                a=a,
                b=b,
                shared=total_shared,
                overlap=total_shared / union if union else 0.0,
                containment=containment,
                questions=tuple(sorted(questions, key=lambda q: (-q.overlap, q.question))),
            )
        )
    pairs.sort(key=lambda p: (-p.overlap, -p.shared, p.a, p.b))
    return pairs


def prepare(result: Mapping[str, Any]) -> None:
    """Compute the shingles of one result's answers now (memoised for :func:`find_copied_pairs`):
    a batch calls it as each result comes in, while the workers run, instead of at the end."""
    for text in answer_texts(result).values():
        shingles(text, N)      # called as find_copied_pairs calls it: the same memo key


def answer_texts(result: Mapping[str, Any]) -> dict[str, str]:
    """question id -> answer text of one JSON result dict: each question's full answer text
    (``answer_text``) when the result carries it, else its ``answer_excerpt``."""
    qs: dict[str, str] = {}
    for q in result.get("questions", []) or []:
        text = q.get("answer_text") or q.get("answer_excerpt") or ""
        if text:
            qs[q["id"]] = text
    return qs


def answers_from_results(results: Iterable[tuple[str, Mapping]]) -> dict[str, dict[str, str]]:
    """submission id -> question id -> answer text, from JSON result dicts (:func:`answer_texts`)."""
    return {sid: answer_texts(result) for sid, result in results}
