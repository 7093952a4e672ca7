"""Runs every registered detector over a text and resolves overlapping findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

import sekimori.classify.pii.detectors  # noqa: F401  (registers the built-ins)
from sekimori.classify.pii.base import DETECTORS, Detector
from sekimori.classify.pii.text import forget_text
from sekimori.classify.pii.types import SECRET_TYPES, PiiSpan, PiiType

DEFAULT_MIN_SCORE = 0.5

# When findings overlap, the more specific kind wins: a password inside a URL is not an
# e-mail, a card number is not a bank account, a labelled name is not part of an address.
_PRIORITY: dict[PiiType, int] = {t: 4 for t in SECRET_TYPES} | {
    PiiType.EMAIL: 3,
    PiiType.CARD: 3,
    PiiType.MY_NUMBER: 3,
    PiiType.IP_ADDRESS: 3,
    PiiType.PASSPORT: 3,
    PiiType.DATE_OF_BIRTH: 3,
    PiiType.PHONE: 2,
    PiiType.BANK_ACCOUNT: 2,
    PiiType.ADDRESS: 1,
    PiiType.PERSON: 1,
}


@dataclass(frozen=True, slots=True)
class Scanner:
    """Finds PII and secrets: `scan(text)` gives non-overlapping spans sorted by start."""

    detectors: tuple[Detector, ...]
    min_score: float = DEFAULT_MIN_SCORE
    types: frozenset[PiiType] | None = None

    def scan(self, text: str) -> list[PiiSpan]:
        found: list[PiiSpan] = []
        min_score, types = self.min_score, self.types
        try:
            for detect in self.detectors:
                found.extend(
                    s
                    for s in detect(text)
                    if s.score >= min_score and (types is None or s.type in types)
                )
        finally:
            forget_text()
        return resolve_overlaps(found)


_START_END = attrgetter("start", "end")


def resolve_overlaps(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Keeps the best of overlapping spans: higher priority, then longer, then higher score.

    Spans are cut into clusters of transitively overlapping ones first, so the greedy choice
    runs on a handful of spans at a time, whatever the length of the text.
    """
    ordered = sorted(spans, key=_START_END)
    kept: list[PiiSpan] = []
    i, n = 0, len(ordered)
    while i < n:
        first = ordered[i]
        end, j = first.end, i + 1
        while j < n and ordered[j].start < end:
            end = max(end, ordered[j].end)
            j += 1
        if j == i + 1:
            kept.append(first)  # most spans overlap nothing
        else:
            kept.extend(_best_of(ordered[i:j]))
        i = j
    return kept


def _best_of(cluster: list[PiiSpan]) -> list[PiiSpan]:
    if len(cluster) == 1:
        return cluster
    ranked = sorted(
        cluster, key=lambda s: (-_PRIORITY[s.type], -(s.end - s.start), -s.score, s.start)
    )
    chosen: list[PiiSpan] = []
    for span in ranked:
        if all(span.end <= k.start or span.start >= k.end for k in chosen):
            chosen.append(span)
    chosen.sort(key=lambda s: s.start)
    return chosen


def default_scanner(
    *, min_score: float = DEFAULT_MIN_SCORE, types: frozenset[PiiType] | None = None
) -> Scanner:
    return Scanner(tuple(DETECTORS.get(n) for n in DETECTORS.names()), min_score, types)


_default: Scanner = default_scanner()


def shared_scanner() -> Scanner:
    """The default scanner, rebuilt when a plugin has registered another detector since."""
    global _default
    if len(_default.detectors) != len(DETECTORS.names()):
        _default = default_scanner()
    return _default


def scan(text: str) -> list[PiiSpan]:
    """Every PII and secret span in `text` at the default threshold."""
    return shared_scanner().scan(text)
