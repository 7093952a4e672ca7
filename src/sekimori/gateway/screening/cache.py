"""Verdicts of texts already seen, so a long conversation pays only for its new turn.

Keyed by the sha256 of the text (the text itself is not kept); bounded by entry count, so its
memory stays bounded too (one digest and one small verdict an entry). Least recently used goes
first.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sekimori.types import Verdict


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0


class VerdictCache:
    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[bytes, Verdict] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = CacheStats()

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()

    def get(self, key: bytes) -> Verdict | None:
        with self._lock:
            verdict = self._items.get(key)
            if verdict is None:
                self.stats.misses += 1
                return None
            self._items.move_to_end(key)
            self.stats.hits += 1
            return verdict

    def put(self, key: bytes, verdict: Verdict) -> None:
        with self._lock:
            self._items[key] = verdict
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
