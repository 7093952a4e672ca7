"""Reading the audit trail for people (the console): filtered pages, one record, a summary.

Pages go newest first by `seq` and continue with `before` (keyset pagination: the next page
costs the same as the first, however deep). A summary covers one time range and reads only that
range through the `ts` index, so it costs what the range holds, not what the trail holds.
Records the console writes for its own actions (`decision` = `admin`) are not traffic: the
summary leaves them out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sekimori.audit.record import (
    FIELD_NAMES,
    AuditQuery,
    AuditRecord,
    StoredRecord,
    where_clause,
)

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

    def close(self) -> None: ...


_STREAM, _HELD = FIELD_NAMES.index("stream"), FIELD_NAMES.index("held")


def stored_row(row: Sequence[Any]) -> StoredRecord:
    """A row of `seq, *FIELD_NAMES, prev_hash, hash` (either store's driver)."""
    values = list(row[1:-2])
    values[_STREAM] = bool(values[_STREAM])
    if values[_HELD] is not None:  # SQLite keeps booleans as integers
        values[_HELD] = bool(values[_HELD])
    return StoredRecord(int(row[0]), AuditRecord(*values), str(row[-2]), str(row[-1]))


class SqlBrowser:
    """The browser over any DB-API store with the `audit` table; `run` takes `?` placeholders.

    `bucket_sql` is the dialect's integer bucket of `ts` for two parameters (start, width).
    """

    def __init__(self, run: Run, *, bucket_sql: str, close: Callable[[], None]) -> None:
        self._run = run
        self._bucket = bucket_sql
        self._close = close
        self._select = f"SELECT seq, {', '.join(FIELD_NAMES)}, prev_hash, hash FROM audit"

    def page(self, query: AuditQuery) -> Page:
        where = where_clause(query, "?")
        limit = max(1, min(query.limit, MAX_PAGE))
        rows = self._run(
            f"{self._select}{where.sql} ORDER BY seq DESC LIMIT ?", (*where.params, limit + 1)
        )
        records = tuple(stored_row(r) for r in rows[:limit])
        more = len(rows) > limit and records
        return Page(records, records[-1].seq if more else None)

    def record(self, seq: int) -> StoredRecord | None:
        rows = self._run(f"{self._select} WHERE seq = ?", (seq,))
        return stored_row(rows[0]) if rows else None

    def summary(self, since: float, until: float, buckets: int) -> Summary:
        span = ("ts >= ? AND ts < ? AND decision <> ?", (since, until, ADMIN_DECISION))
        where, params = span
        decisions = self._counts(
            f"SELECT decision, COUNT(*) FROM audit WHERE {where} GROUP BY 1", params
        )
        requests = sum(c.n for c in decisions)
        by_category: Counter[str] = Counter()
        for joined, n in self._run(
            f"SELECT categories, COUNT(*) FROM audit WHERE {where} AND categories <> '' "
            "GROUP BY categories",
            params,
        ):
            for category in str(joined).split(","):
                if category:
                    by_category[category] += int(n)
        tenants = self._counts(
            f"SELECT tenant, COUNT(*) FROM audit WHERE {where} GROUP BY 1", params
        )
        width = max((until - since) / max(buckets, 1), 1.0)
        counted = {
            int(b): (int(n), int(blocked or 0))
            for b, n, blocked in self._run(
                f"SELECT {self._bucket} AS b, COUNT(*), "
                "SUM(CASE WHEN decision = 'block' THEN 1 ELSE 0 END) "
                f"FROM audit WHERE {where} GROUP BY 1",
                (since, width, *params),
            )
        }
        series = tuple(
            Bucket(since + i * width, *counted.get(i, (0, 0))) for i in range(max(buckets, 1))
        )
        errors = self._run(f"SELECT COUNT(*) FROM audit WHERE {where} AND status >= 500", params)
        return Summary(
            since=since,
            until=until,
            requests=requests,
            decisions=decisions,
            categories=tuple(Count(k, v) for k, v in by_category.most_common(10)),
            tenants=tenants[:10],
            buckets=series,
            p50_ms=self._percentile(where, params, requests, 0.50),
            p99_ms=self._percentile(where, params, requests, 0.99),
            server_errors=int(errors[0][0]) if errors else 0,
        )

    def _counts(self, sql: str, params: tuple[object, ...]) -> tuple[Count, ...]:
        counts = [Count(str(name), int(n)) for name, n in self._run(sql, params)]
        return tuple(sorted(counts, key=lambda c: (-c.n, c.name)))

    def _percentile(self, where: str, params: tuple[object, ...], n: int, q: float) -> float | None:
        if n == 0:
            return None
        rows = self._run(
            f"SELECT total_ms FROM audit WHERE {where} ORDER BY total_ms LIMIT 1 OFFSET ?",
            (*params, min(n - 1, int(q * n))),
        )
        return float(rows[0][0]) if rows else None

    def last_use(self, key_ids: Sequence[str]) -> dict[str, float]:
        used: dict[str, float] = {}
        for key_id in key_ids:  # one index lookup a key: cheap however long the trail
            rows = self._run(
                "SELECT ts FROM audit WHERE key_id = ? ORDER BY seq DESC LIMIT 1", (key_id,)
            )
            if rows:
                used[key_id] = float(rows[0][0])
        return used

    def close(self) -> None:
        self._close()
