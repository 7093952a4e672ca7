"""Near-duplicate detection: character-trigram Jaccard similarity over a normalised form.

Used to keep newly added training sets from repeating evaluation-only items or each other with
small edits (punctuation, casing, a changed word), which exact matching misses. Candidates are
found with prefix filtering (two sets with Jaccard ≥ t share a token among the first
|A| - ⌈t·|A|⌉ + 1 tokens of each, in any fixed token order), so a lookup reads a few short
posting lists instead of comparing with every indexed text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence

_NON_WORD = re.compile(r"[\W_]+")


def dedup_key(text: str) -> str:
    """NFKC, case-folded, punctuation and runs of spaces collapsed to one space."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def trigrams(key: str) -> frozenset[str]:
    padded = f" {key} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def jaccard(a: str, b: str) -> float:
    x, y = trigrams(dedup_key(a)), trigrams(dedup_key(b))
    return len(x & y) / len(x | y) if x | y else 1.0


class NearDupIndex:
    """A fixed list of texts; `matches` gives those a text equals or nearly equals."""

    def __init__(self, texts: Sequence[str], threshold: float = 0.8) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {threshold}")
        self.threshold = threshold
        keys = [dedup_key(t) for t in texts]
        self._sets = [trigrams(k) for k in keys]
        # Rare trigrams first keeps the posting lists short; any fixed order gives the same result.
        self._freq = Counter(g for s in self._sets for g in s)
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, (key, grams) in enumerate(zip(keys, self._sets, strict=True)):
            self._by_key[key].append(i)
            for g in self._prefix(grams):
                self._postings[g].append(i)
        # A text over this long is not a small edit of any indexed one (its trigrams are counted
        # only below it: the long texts of the evaluation sets cost nothing).
        self._max_chars = max((len(k) for k in keys), default=0) / threshold + 2

    def _prefix(self, grams: frozenset[str]) -> list[str]:
        ordered = sorted(grams, key=lambda g: (self._freq.get(g, 0), g))
        return ordered[: len(ordered) - math.ceil(self.threshold * len(ordered)) + 1]

    def matches(self, text: str) -> set[int]:
        """Indices of the indexed texts with the same key or trigram Jaccard ≥ threshold."""
        key = dedup_key(text)
        found = set(self._by_key.get(key, ()))
        if len(key) > self._max_chars:
            return found
        grams = trigrams(key)
        low, high = self.threshold * len(grams), len(grams) / self.threshold
        seen: set[int] = set()
        for g in self._prefix(grams):
            for i in self._postings.get(g, ()):
                if i in seen or i in found:
                    continue
                seen.add(i)
                other = self._sets[i]
                if low <= len(other) <= high:
                    inter = len(grams & other)
                    if inter / (len(grams) + len(other) - inter) >= self.threshold:
                        found.add(i)
        return found
