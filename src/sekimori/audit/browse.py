"""Reading the audit trail for people (the console): filtered pages, one record, a summary.

Pages go newest first by `seq` and continue with `before` (keyset pagination: the next page
costs the same as the first, however deep). A summary covers whole hours, from roll-ups kept in
memory (audit/rollup.py): it reads only the hours not yet read and the open ones.
Records the console writes for its own actions (`decision` = `admin`) are not traffic: the
summary leaves them out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from sekimori.audit.record import (
    FIELD_NAMES,
    AuditQuery,
    AuditRecord,
    StoredRecord,
    where_clause,
)
from sekimori.audit.rollup import HOUR, Hour, Rollups, percentile

ADMIN_DECISION = "admin"  # the decision of a record written for an admin action
MAX_PAGE = 500

Rows = list[tuple[Any, ...]]
Run = Callable[[str, tuple[object, ...]], Rows]  # sql (with `?` placeholders), params -> rows


@dataclass(frozen=True, slots=True)
class Page:
    records: tuple[StoredRecord, ...]  # newest first
    next_before: int | None  # pass as `before` for the next page; None: this was the last


@dataclass(frozen=True, slots=True)
class Count:
    name: str
    n: int


@dataclass(frozen=True, slots=True)
class Bucket:
    start: float  # epoch seconds
    requests: int
    blocked: int


@dataclass(frozen=True, slots=True)
class Summary:
    since: float
    until: float
    requests: int
    decisions: tuple[Count, ...]
    categories: tuple[Count, ...]
    tenants: tuple[Count, ...]
    buckets: tuple[Bucket, ...]
    p50_ms: float | None
    p99_ms: float | None
    server_errors: int  # answered 5xx: upstream failures, timeouts, overload


class AuditBrowser(Protocol):
    """The console's read side of an audit store; every method blocks (run it in a thread)."""

    def page(self, query: AuditQuery) -> Page: ...

    def record(self, seq: int) -> StoredRecord | None: ...

    def summary(self, since: float, until: float, buckets: int) -> Summary: ...

    def last_use(self, key_ids: Sequence[str]) -> dict[str, float]:
        """The newest record's time of each key that has one."""
        ...

    def key_timeline(self, key_id: str, since: float, until: float, buckets: int) -> list[Bucket]:
        """One key's requests (and blocks) in `buckets` equal spans of [since, until)."""
        ...

    def close(self) -> None: ...


_STREAM, _HELD = FIELD_NAMES.index("stream"), FIELD_NAMES.index("held")


def stored_row(row: Sequence[Any]) -> StoredRecord:
    """A row of `seq, *FIELD_NAMES, prev_hash, hash` (either store's driver)."""
    values = list(row[1:-2])
    values[_STREAM] = bool(values[_STREAM])
    if values[_HELD] is not None:  # SQLite keeps booleans as integers
        values[_HELD] = bool(values[_HELD])
    return StoredRecord(int(row[0]), AuditRecord(*values), str(row[-2]), str(row[-1]))


def _ranked(counts: Counter[str]) -> tuple[Count, ...]:
    return tuple(Count(k, n) for k, n in sorted(counts.items(), key=lambda c: (-c[1], c[0])))


class SqlBrowser:
    """The browser over any DB-API store with the `audit` table; `run` takes `?` placeholders.

    `bucket_sql` is the dialect's integer bucket of `ts` for two parameters (start, width).
    Summaries come from hourly roll-ups (audit/rollup.py) kept by this browser.
    """

    def __init__(self, run: Run, *, bucket_sql: str, close: Callable[[], None]) -> None:
        self._run = run
        self._bucket = bucket_sql
        self._close = close
        self._select = f"SELECT seq, {', '.join(FIELD_NAMES)}, prev_hash, hash FROM audit"
        self._rollups = Rollups(run, bucket_sql, ADMIN_DECISION)

    def page(self, query: AuditQuery) -> Page:
        where = where_clause(query, "?")
        limit = max(1, min(query.limit, MAX_PAGE))
        # The page's seqs first, then its rows: a filter an index answers alone (a time range)
        # sorts seqs only, not whole rows.
        seqs = [
            int(r[0])
            for r in self._run(
                f"SELECT seq FROM audit{where.sql} ORDER BY seq DESC LIMIT ?",
                (*where.params, limit + 1),
            )
        ]
        shown = seqs[:limit]
        rows = (
            self._run(
                f"{self._select} WHERE seq IN ({', '.join('?' for _ in shown)}) ORDER BY seq DESC",
                tuple(shown),
            )
            if shown
            else []
        )
        records = tuple(stored_row(r) for r in rows)
        more = len(seqs) > limit and records
        return Page(records, records[-1].seq if more else None)

    def record(self, seq: int) -> StoredRecord | None:
        rows = self._run(f"{self._select} WHERE seq = ?", (seq,))
        return stored_row(rows[0]) if rows else None

    def summary(self, since: float, until: float, buckets: int) -> Summary:
        """Whole hours from the one `since` falls in to the one `until` falls in; the chart
        has at most `buckets` columns of whole hours each."""
        first = int(since // HOUR)
        last = max(first, math.ceil(until / HOUR) - 1)
        hours = self._rollups.hours(first, last)
        decisions: Counter[str] = Counter()
        tenants: Counter[str] = Counter()
        categories: Counter[str] = Counter()
        latency = np.zeros_like(Hour().latency)
        errors = 0
        for h in hours.values():
            decisions.update(h.decisions)
            tenants.update(h.tenants)
            categories.update(h.categories)
            latency += h.latency
            errors += h.errors
        per = max(1, math.ceil(len(hours) / max(buckets, 1)))
        series = []
        for start in range(first, last + 1, per):
            group = [hours[h] for h in range(start, min(start + per, last + 1))]
            series.append(
                Bucket(
                    float(start * HOUR),
                    sum(h.requests for h in group),
                    sum(h.blocked for h in group),
                )
            )
        return Summary(
            since=float(first * HOUR),
            until=until,
            requests=sum(decisions.values()),
            decisions=_ranked(decisions),
            categories=_ranked(categories)[:10],
            tenants=_ranked(tenants)[:10],
            buckets=tuple(series),
            p50_ms=percentile(latency, 0.50),
            p99_ms=percentile(latency, 0.99),
            server_errors=errors,
        )

    def last_use(self, key_ids: Sequence[str]) -> dict[str, float]:
        used: dict[str, float] = {}
        for key_id in key_ids:  # one index lookup a key: cheap however long the trail
            rows = self._run(
                "SELECT ts FROM audit WHERE key_id = ? ORDER BY seq DESC LIMIT 1", (key_id,)
            )
            if rows:
                used[key_id] = float(rows[0][0])
        return used

    def key_timeline(self, key_id: str, since: float, until: float, buckets: int) -> list[Bucket]:
        width = max((until - since) / max(buckets, 1), 1.0)
        counted = {
            int(b): (int(n), int(blocked or 0))
            for b, n, blocked in self._run(
                f"SELECT {self._bucket}, COUNT(*), "
                "SUM(CASE WHEN decision = 'block' THEN 1 ELSE 0 END) FROM audit "
                "WHERE key_id = ? AND ts >= ? AND ts < ? GROUP BY 1",
                (since, width, key_id, since, until),
            )
        }
        return [Bucket(since + i * width, *counted.get(i, (0, 0))) for i in range(buckets)]

    def close(self) -> None:
        self._close()
