"""The watch's store: one packed sketch per screened request, and the alerts raised on them.

Kept beside the audit, never inside it: a sketch row is the gateway's request id (the audit
record's `request_id`), a time and the packed sketch (`sekimori.watch.sketch`, no text); an
alert row names the detector, the unit, the action taken and the features that drove it.
SQLite in the data directory (`watch.db`) by default, PostgreSQL tables when the store is
PostgreSQL (`store/migrations.py`). Every method blocks: the gateway calls them in a thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from sekimori.errors import StoreError
from sekimori.home import private_database
from sekimori.store.sanctions import SanctionRow, SanctionStore

WATCH_DB = "watch.db"


@dataclass(frozen=True, slots=True)
class SketchRow:
    request_id: str  # the audit record's request_id
    ts: float
    data: bytes  # `Sketch.pack()`
    seq: int = 0  # set by the store


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An alert as stored: who (key id and tenant, never a secret), what was done and why."""

    ts: float
    detector: str
    unit: str
    action: str
    tenant: str
    key_id: str
    score: float
    level: float
    category: str | None
    reason_en: str
    reason_ja: str
    features: Mapping[str, float]
    seq: int = 0  # set by the store


ALERT_COLUMNS = (
    "ts, detector, unit, action, tenant, key_id, score, level, category, reason_en, reason_ja, "
    "features"
)


def alert_values(alert: AlertRow) -> tuple[object, ...]:
    return (
        alert.ts,
        alert.detector,
        alert.unit,
        alert.action,
        alert.tenant,
        alert.key_id,
        alert.score,
        alert.level,
        alert.category,
        alert.reason_en,
        alert.reason_ja,
        orjson.dumps(dict(alert.features)).decode(),
    )


def alert_row(row: Sequence[Any]) -> AlertRow:
    """An AlertRow from `seq, <ALERT_COLUMNS>` as selected."""
    seq, ts, detector, unit, action, tenant, key_id, score, level, cat, en, ja, feats = row
    return AlertRow(
        ts=float(ts),
        detector=str(detector),
        unit=str(unit),
        action=str(action),
        tenant=str(tenant),
        key_id=str(key_id),
        score=float(score),
        level=float(level),
        category=None if cat is None else str(cat),
        reason_en=str(en),
        reason_ja=str(ja),
        features=orjson.loads(feats),
        seq=int(seq),
    )


class SketchStore(SanctionStore, Protocol):
    def append(self, sketches: Sequence[SketchRow], alerts: Sequence[AlertRow] = ()) -> None:
        """Commit both in one transaction."""
        ...

    def sketches(self, after_seq: int = 0, limit: int = 10_000) -> list[SketchRow]:
        """Sketches with seq > `after_seq`, oldest first, at most `limit`."""
        ...

    def alerts(self, after_seq: int = 0, limit: int = 1_000) -> list[AlertRow]: ...

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sketches (
  seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL, ts REAL NOT NULL, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sketches_request ON sketches (request_id);
CREATE TABLE IF NOT EXISTS alerts (
  seq INTEGER PRIMARY KEY, ts REAL NOT NULL, detector TEXT NOT NULL, unit TEXT NOT NULL,
  action TEXT NOT NULL, tenant TEXT NOT NULL, key_id TEXT NOT NULL, score REAL NOT NULL,
  level REAL NOT NULL, category TEXT, reason_en TEXT NOT NULL, reason_ja TEXT NOT NULL,
  features TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sanctions (
  key_id TEXT PRIMARY KEY, until REAL NOT NULL, data TEXT NOT NULL
);
"""


class SqliteSketchStore:
    def __init__(self, path: Path) -> None:
        # Not durable: a sketch lost to a power cut costs a little evidence, not an audit record.
        self._db = private_database(path, "watch", _SCHEMA, durable=False)
        self.path = path
        self._lock = threading.Lock()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a failure rolls it back and is a StoreError naming the file."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"watch database {self.path}: {exc}") from None

    def append(self, sketches: Sequence[SketchRow], alerts: Sequence[AlertRow] = ()) -> None:
        if not sketches and not alerts:
            return
        with self._writing() as db:
            db.executemany(
                "INSERT INTO sketches (request_id, ts, data) VALUES (?, ?, ?)",
                [(s.request_id, s.ts, s.data) for s in sketches],
            )
            db.executemany(
                f"INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ({', '.join('?' * 12)})",
                [alert_values(a) for a in alerts],
            )

    def impose(self, row: SanctionRow, now: float) -> bool:
        with self._writing() as db:
            old = db.execute(
                "SELECT data FROM sanctions WHERE key_id = ?", (row.key_id,)
            ).fetchone()
            kept = row.outranks(None if old is None else SanctionRow.from_json(old[0]), now)
            if kept:
                db.execute(
                    "INSERT OR REPLACE INTO sanctions (key_id, until, data) VALUES (?, ?, ?)",
                    (row.key_id, row.until, row.to_json().decode()),
                )
            db.execute("DELETE FROM sanctions WHERE until <= ?", (now,))
        return kept

    def active(self, now: float) -> list[SanctionRow]:
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT data FROM sanctions WHERE until > ?", (now,)
                ).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"watch database {self.path}: {exc}") from None
        return [SanctionRow.from_json(data) for (data,) in rows]

    def lift(self, key_id: str, now: float) -> SanctionRow | None:
        with self._writing() as db:
            old = db.execute(
                "DELETE FROM sanctions WHERE key_id = ? RETURNING until, data", (key_id,)
            ).fetchone()
        return None if old is None or old[0] <= now else SanctionRow.from_json(old[1])

    def sketches(self, after_seq: int = 0, limit: int = 10_000) -> list[SketchRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, request_id, ts, data FROM sketches WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [SketchRow(str(r), float(t), bytes(d), int(q)) for q, r, t, d in rows]

    def alerts(self, after_seq: int = 0, limit: int = 1_000) -> list[AlertRow]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT seq, {ALERT_COLUMNS} FROM alerts WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [alert_row(r) for r in rows]

    def close(self) -> None:
        self._db.close()


def all_sketches(store: SketchStore, batch: int = 10_000) -> Iterator[SketchRow]:
    """Every stored sketch, oldest first, read a batch at a time."""
    seq = 0
    while rows := store.sketches(seq, batch):
        yield from rows
        seq = rows[-1].seq
