"""Hashed character n-grams (1-4): a cheap feature that needs no tokenizer and works for Japanese.

Hashing is a fixed polynomial over code points (never Python's salted `hash`), so the same text
maps to the same buckets in every process, which the committed weights depend on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    cps = np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts: list[NDArray[np.uint64]] = []
    for n in range(1, max_n + 1):
        if len(cps) < n:
            break
        h = np.full(len(cps) - n + 1, _SALTS[n - 1], dtype=np.uint64)
        for k in range(n):
            h = (h ^ cps[k : len(cps) - n + 1 + k]) * _MULT
        parts.append(h >> np.uint64(20))
    if not parts:
        return SparseRow(np.zeros(0, np.int64), np.zeros(0, np.float32))
    ids = (np.concatenate(parts) % np.uint64(buckets)).astype(np.int64)
    index, counts = np.unique(ids, return_counts=True)
    value = np.log1p(counts.astype(np.float32))
    value /= np.float32(np.linalg.norm(value))
    return SparseRow(index, value)


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
    lowered = text.lower()
    if len(lowered) != len(text) or not spans:
        return None
    cps = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    hashed: list[NDArray[np.int64]] = []
    for n in range(1, max_n + 1):
        h = np.full(max(len(cps) - n + 1, 0), _SALTS[n - 1], dtype=np.uint64)
        for k in range(n):
            h = (h ^ cps[k : len(cps) - n + 1 + k]) * _MULT
        hashed.append(((h >> np.uint64(20)) % np.uint64(buckets)).astype(np.int64))
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
