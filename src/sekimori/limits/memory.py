"""Limits in this process: exact, for one replica (several replicas each count their own).

Check and count happen with no await between them, so on one event loop they are atomic.
Memory stays O(scopes): each scope keeps only its current windows' counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sekimori.limits.quota import Scope
from sekimori.limits.store import (
    CONCURRENT_RETRY_S,
    LIMIT_STORES,
    Admission,
    Lease,
    Measure,
    StoreOptions,
    tightest,
)
from sekimori.limits.windows import Windows, windows


@dataclass(slots=True)
class _Counters:
    minute: int = -1
    requests: int = 0
    tokens: int = 0
    day: int = -1
    day_tokens: int = 0
    month: int = -1
    month_tokens: int = 0
    in_flight: int = 0

    def roll(self, w: Windows) -> None:
        """Starts new windows' counts at zero."""
        if self.minute != w.minute:
            self.minute, self.requests, self.tokens = w.minute, 0, 0
        if self.day != w.day:
            self.day, self.day_tokens = w.day, 0
        if self.month != w.month:
            self.month, self.month_tokens = w.month, 0


class MemoryLimitStore:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counters: dict[str, _Counters] = {}

    def _get(self, key: str, w: Windows) -> _Counters:
        counters = self._counters.get(key)
        if counters is None:
            counters = self._counters[key] = _Counters()
        counters.roll(w)
        return counters

    async def acquire(self, scopes: Sequence[Scope], lease_id: str) -> Admission:
        w = windows(self._clock())
        pairs = [(s, self._get(s.key, w)) for s in scopes]
        for scope, c in pairs:
            q = scope.quota
            refused = _first_full(
                (Measure.RPM, q.rpm, c.requests, w.minute_reset),
                (Measure.TPM, q.tpm, c.tokens, w.minute_reset),
                (Measure.TOKENS_PER_DAY, q.tokens_per_day, c.day_tokens, w.day_reset),
                (Measure.TOKENS_PER_MONTH, q.tokens_per_month, c.month_tokens, w.month_reset),
                (Measure.CONCURRENT, q.concurrent, c.in_flight, CONCURRENT_RETRY_S),
            )
            if refused is not None:
                return _admission(pairs, w, None, refused, scope.key)
        for scope, c in pairs:
            c.requests += 1
            if scope.quota.concurrent is not None:
                c.in_flight += 1
        return _admission(pairs, w, Lease(tuple(scopes), lease_id), None, "")

    async def commit(self, lease: Lease, tokens: int) -> None:
        w = windows(self._clock())
        for scope in lease.scopes:
            c = self._get(scope.key, w)
            if scope.quota.counts_tokens:
                c.tokens += tokens
                c.day_tokens += tokens
                c.month_tokens += tokens
            if scope.quota.concurrent is not None:
                c.in_flight = max(0, c.in_flight - 1)

    async def aclose(self) -> None:
        self._counters.clear()


@dataclass(frozen=True, slots=True)
class _Full:
    measure: Measure
    retry_after: float


def _first_full(*checks: tuple[Measure, int | None, int, float]) -> _Full | None:
    for measure, limit, used, retry in checks:
        if limit is not None and used >= limit:
            return _Full(measure, retry)
    return None


def _admission(
    pairs: Sequence[tuple[Scope, _Counters]],
    w: Windows,
    lease: Lease | None,
    full: _Full | None,
    scope: str,
) -> Admission:
    return Admission(
        full is None,
        lease=lease,
        refused=full.measure if full else None,
        refused_scope=scope,
        retry_after=full.retry_after if full else 0.0,
        requests=tightest([(s.quota.rpm, c.requests) for s, c in pairs], w.minute_reset),
        tokens=tightest([(s.quota.tpm, c.tokens) for s, c in pairs], w.minute_reset),
    )


@LIMIT_STORES.register("memory")
def _memory(url: str, options: StoreOptions) -> MemoryLimitStore:
    return MemoryLimitStore()
