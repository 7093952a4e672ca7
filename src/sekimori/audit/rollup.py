"""Hourly roll-ups of the audit trail, so that an overview costs what is new, not what is stored.

An hour that is over (and `SETTLE_S` past, for batches still being written) is read once: counts
by decision, tenant, category, 5xx answers and blocks, and a latency histogram; then kept in
memory. Only the open hours are read again on each overview. Records are appended only; one
written long after its time (a spool replayed after an outage) is seen by watching the newest
`seq`: the hours it falls in are read again.

Latency percentiles come from the histogram: 256 bins, log-spaced from 0.05 ms to 10 minutes, so
a percentile is within about 3.5 % of the exact value, in fixed memory an hour.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

HOUR = 3600
SETTLE_S = 300.0
MAX_HOURS = 24 * 120  # hours kept; an overview reaches back 90 days at most
_BINS = 256
_LOW_MS, _HIGH_MS = 0.05, 600_000.0
_STEP = math.log(_HIGH_MS / _LOW_MS) / _BINS

Rows = list[tuple[Any, ...]]
Run = Callable[[str, tuple[object, ...]], Rows]


@dataclass(slots=True)
class Hour:
    decisions: Counter[str] = field(default_factory=Counter)
    tenants: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    blocked: int = 0
    latency: np.ndarray = field(default_factory=lambda: np.zeros(_BINS, np.int64))

    @property
    def requests(self) -> int:
        return sum(self.decisions.values())


def percentile(histogram: np.ndarray, q: float) -> float | None:
    """The value below which `q` of the counts lie (the bin's geometric middle)."""
    total = int(histogram.sum())
    if total == 0:
        return None
    index = int(np.searchsorted(np.cumsum(histogram), q * total, side="left"))
    return _LOW_MS * math.exp((min(index, _BINS - 1) + 0.5) * _STEP)


def _bins(values: Iterable[float]) -> np.ndarray:
    ms = np.clip(np.fromiter(values, np.float64), _LOW_MS, _HIGH_MS)
    index = np.minimum((np.log(ms / _LOW_MS) / _STEP).astype(np.int64), _BINS - 1)
    return np.bincount(index, minlength=_BINS)


class Rollups:
    """Hours by their number (`ts // 3600`); `hours(first, last)` reads what it lacks."""

    def __init__(self, run: Run, hour_sql: str, exclude_decision: str) -> None:
        self._run = run
        self._hour_sql = hour_sql  # the dialect's integer hour of `ts`
        self._exclude = exclude_decision
        self._kept: dict[int, Hour] = {}
        self._seen_seq = 0
        self._lock = threading.Lock()

    def hours(self, first: int, last: int) -> dict[int, Hour]:
        with self._lock:
            self._forget_late_writes()
            now = time.time()
            wanted = range(first, last + 1)
            missing = [h for h in wanted if h not in self._kept]
            read: dict[int, Hour] = {}
            if missing:
                read = self._read(missing[0], missing[-1])
                for h in missing:
                    if (h + 1) * HOUR + SETTLE_S < now:  # over: it will not change
                        self._kept[h] = read.get(h, Hour())
                while len(self._kept) > MAX_HOURS:
                    del self._kept[min(self._kept)]
            return {h: self._kept.get(h) or read.get(h) or Hour() for h in wanted}

    def _forget_late_writes(self) -> None:
        """Hours that rows appended since the last look fall in are read again."""
        if not self._kept:  # nothing to forget: only note where the trail ends
            rows = self._run("SELECT MAX(seq) FROM audit", ())
            self._seen_seq = int(rows[0][0] or 0) if rows else 0
            return
        rows = self._run("SELECT MIN(ts), MAX(seq) FROM audit WHERE seq > ?", (self._seen_seq,))
        if not rows or rows[0][1] is None:
            return
        oldest, newest = float(rows[0][0]), int(rows[0][1])
        self._seen_seq = newest
        for h in [h for h in self._kept if (h + 1) * HOUR > oldest]:
            del self._kept[h]

    def _read(self, first: int, last: int) -> dict[int, Hour]:
        span = (first * HOUR, (last + 1) * HOUR, self._exclude)
        where = "ts >= ? AND ts < ? AND decision <> ?"
        out: dict[int, Hour] = {}
        for hour, decision, tenant, categories, error, n in self._run(
            f"SELECT {self._hour_sql}, decision, tenant, categories, "
            f"CASE WHEN status >= 500 THEN 1 ELSE 0 END, COUNT(*) FROM audit WHERE {where} "
            "GROUP BY 1, 2, 3, 4, 5",
            (0, HOUR, *span),
        ):
            h = out.setdefault(int(hour), Hour())
            n = int(n)
            h.decisions[str(decision)] += n
            h.tenants[str(tenant)] += n
            for category in str(categories).split(","):
                if category:
                    h.categories[category] += n
            h.errors += n if int(error) else 0
            h.blocked += n if decision == "block" else 0
        by_hour: dict[int, list[float]] = {}
        for hour, ms in self._run(
            f"SELECT {self._hour_sql}, total_ms FROM audit WHERE {where}", (0, HOUR, *span)
        ):
            by_hour.setdefault(int(hour), []).append(float(ms))
        for hour, values in by_hour.items():
            out.setdefault(hour, Hour()).latency = _bins(values)
        return out
