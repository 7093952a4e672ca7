"""Hashed character n-grams (1-4): a cheap feature that needs no tokenizer and works for Japanese.

Hashing is a fixed polynomial over code points (never Python's salted `hash`), so the same text
maps to the same buckets in every process, which the committed weights depend on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

_MULT = np.uint64(0x9E3779B97F4A7C15)
_SALTS = tuple(np.uint64(s) for s in (0x51ED270B, 0x2545F491, 0x9B05688C, 0x1F83D9AB))


@dataclass(frozen=True, slots=True)
class SparseRow:
    """Bucket indices and their L2-normalised weights for one text."""

    index: NDArray[np.int64]
    value: NDArray[np.float32]


def hashed_ngrams(text: str, *, buckets: int, max_n: int = 4) -> SparseRow:
    """Sublinear (log1p) counts of lowercased char n-grams, n = 1..max_n, hashed into `buckets`."""
    return HashedText(text, max_n).row(buckets)


def _row(ids: NDArray[np.int64]) -> SparseRow:
    """The sparse row of a bag of bucket ids (any order: `np.unique` sorts them)."""
    if not len(ids):
        return SparseRow(np.zeros(0, np.int64), np.zeros(0, np.float32))
    index, counts = np.unique(ids, return_counts=True)
    value = np.log1p(counts.astype(np.float32))
    value /= np.float32(np.linalg.norm(value))
    return SparseRow(index, value)


class HashedText:
    """A text's char n-grams hashed once, read as often as needed: the row of the whole text
    (`hashed_ngrams`), of a piece ``text[a:b]`` (`piece_row`) and the scores of many pieces
    (`span_scores`), in as many bucket counts as asked. An n-gram's hash reads only its own
    characters, so a piece's n-grams are a run of the text's, the same numbers: rows come out
    exactly as hashing the piece alone gives them."""

    __slots__ = ("_aligned", "_ids", "_raw", "_same_length", "text")

    def __init__(self, text: str, max_n: int = 4) -> None:
        self.text = text
        lowered = text.lower()
        self._same_length = len(lowered) == len(text)
        # A piece lowercased alone is the lowered text's run when no character lowers to
        # more than one and none lowers by its context (Python's only one: capital sigma,
        # final or not by the letters after it)
        self._aligned = self._same_length and "\u03a3" not in text
        cps = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        self._raw: list[NDArray[np.uint64]] = []
        for n in range(1, max_n + 1):
            h = np.full(max(len(cps) - n + 1, 0), _SALTS[n - 1], dtype=np.uint64)
            for k in range(n):
                h = (h ^ cps[k : len(cps) - n + 1 + k]) * _MULT
            self._raw.append(h >> np.uint64(20))
        self._ids: dict[int, list[NDArray[np.int64]]] = {}

    def ids(self, buckets: int) -> list[NDArray[np.int64]]:
        """Bucket ids of every n-gram, one array a length n (position i: the n-gram at i)."""
        found = self._ids.get(buckets)
        if found is None:
            found = self._ids[buckets] = [
                (h % np.uint64(buckets)).astype(np.int64) for h in self._raw
            ]
        return found

    def row(self, buckets: int) -> SparseRow:
        """`hashed_ngrams` of the whole text."""
        ids = self.ids(buckets)
        return _row(np.concatenate(ids) if ids else np.zeros(0, np.int64))

    def piece_row(self, a: int, b: int, buckets: int) -> SparseRow:
        """`hashed_ngrams(text[a:b])`, read from the text's n-grams where lowercasing lines
        the piece up with the text (else the piece is hashed alone)."""
        if not self._aligned:
            return hashed_ngrams(self.text[a:b], buckets=buckets, max_n=len(self._raw))
        ids = [h[a : b - n + 1] for n, h in enumerate(self.ids(buckets), start=1) if b - a >= n]
        return _row(np.concatenate(ids) if ids else np.zeros(0, np.int64))

    def span_scores(
        self,
        spans: Sequence[tuple[int, int]],
        weights: NDArray[np.float32],
        bias: NDArray[np.float32],
        *,
        buckets: int,
    ) -> NDArray[np.float32] | None:
        """`span_scores` of this text."""
        if not self._same_length or not spans:
            return None
        hashed = self.ids(buckets)
        keys = [
            h[a : b - n + 1] + i * buckets
            for n, h in enumerate(hashed, start=1)
            for i, (a, b) in enumerate(spans)
            if b - a >= n
        ]
        out = np.zeros((len(spans), weights.shape[1]), np.float32) + bias
        if not keys:
            return out
        unique, counts = np.unique(np.concatenate(keys), return_counts=True)
        span, bucket = unique // buckets, unique % buckets
        value = np.log1p(counts.astype(np.float32))
        norm = np.sqrt(np.bincount(span, value * value, minlength=len(spans))).astype(np.float32)
        value = value / norm[span]
        for j in range(weights.shape[1]):
            out[:, j] += np.bincount(span, value * weights[bucket, j], minlength=len(spans))
        return out


# A screened prompt's views are hashed by the prompt model's plan and read again by the copyright
# detector (the same bucket count): the latest texts' n-grams are kept. Only a few, and only of
# texts up to KEPT_CHARS (about 1.3 MB of arrays each at most), so a long prompt's arrays do not
# stay in memory: the two read a text one after the other in one thread, so four suffice. The
# cache is the process's, shared by every thread and tenant; it is keyed by the text alone and a
# `HashedText` depends on nothing else (its bucket ids, filled on first use, are the same whichever
# thread fills them), so it never gives one text's n-grams for another.
KEPT_CHARS = 20_000


def hashed_text(text: str) -> HashedText:
    """`HashedText(text)` (n-grams up to 4), shared by the readers of the latest texts: its
    rows are those of hashing the text anew, whoever asked first."""
    return _kept(text) if len(text) <= KEPT_CHARS else HashedText(text)


@lru_cache(maxsize=4)
def _kept(text: str) -> HashedText:
    return HashedText(text)


def linear_scores(
    row: SparseRow, weights: NDArray[np.float32], bias: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Logits of a linear model over buckets: weights has shape (buckets, outputs)."""
    out: NDArray[np.float32] = row.value @ weights[row.index].astype(np.float32) + bias
    return out


def span_scores(
    text: str,
    spans: Sequence[tuple[int, int]],
    weights: NDArray[np.float32],
    bias: NDArray[np.float32],
    *,
    buckets: int,
    max_n: int = 4,
) -> NDArray[np.float32] | None:
    """`linear_scores(hashed_ngrams(text[a:b]), ...)` for every span ``(a, b)`` at once: the
    text is hashed once and each span reads its own positions' n-grams (the same n-grams, so
    the same features; sums run in another order). None when lowercasing changes the text's
    length (positions would not line up): then score the pieces one by one."""
    return HashedText(text, max_n).span_scores(spans, weights, bias, buckets=buckets)
