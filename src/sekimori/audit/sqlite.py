"""The SQLite (WAL) audit store: one table, each row chained to the one before by sha256."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import astuple
from pathlib import Path
from typing import Any

from sekimori.audit.browse import SqlBrowser, stored_row
from sekimori.audit.record import (
    FIELD_NAMES,
    GENESIS,
    AuditQuery,
    AuditRecord,
    Head,
    StoredRecord,
    VerifyReport,
    chain_hash,
    check_chain,
    where_clause,
)
from sekimori.errors import StoreError
from sekimori.home import private_file

_COLUMNS = ", ".join(FIELD_NAMES)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  ts REAL NOT NULL, request_id TEXT NOT NULL, tenant TEXT NOT NULL, key_id TEXT NOT NULL,
  model TEXT NOT NULL, upstream TEXT NOT NULL, status INTEGER NOT NULL, decision TEXT NOT NULL,
  categories TEXT NOT NULL, stream INTEGER NOT NULL, total_ms REAL NOT NULL,
  upstream_ms REAL NOT NULL, screen_ms REAL NOT NULL, prompt_tokens INTEGER,
  completion_tokens INTEGER, text_mode TEXT NOT NULL, prompt TEXT, answer TEXT,
  reasons TEXT NOT NULL DEFAULT '', client_request_id TEXT,
  version INTEGER, stages TEXT, blocked_at TEXT, held INTEGER, scores TEXT,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
-- The newest link, kept apart so that deleting the last rows is detected too.
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER, hash TEXT
);
CREATE INDEX IF NOT EXISTS audit_request ON audit (request_id);
"""
_BROWSE_INDEXES = """
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_tenant ON audit (tenant);
CREATE INDEX IF NOT EXISTS audit_key ON audit (key_id);
CREATE INDEX IF NOT EXISTS audit_decision ON audit (decision);
"""
_INSERT = (
    f"INSERT INTO audit (seq, {_COLUMNS}, prev_hash, hash) "
    f"VALUES (?, {', '.join('?' for _ in FIELD_NAMES)}, ?, ?)"
)


# Columns added after the first release, with their types: added to an older database on open.
_ADDED = (
    ("reasons", "TEXT NOT NULL DEFAULT ''"),  # decisions carry reasons
    ("client_request_id", "TEXT"),  # the gateway mints its own ids
    ("version", "INTEGER"),  # versioned structured events (record.AUDIT_VERSION)
    ("stages", "TEXT"),
    ("blocked_at", "TEXT"),
    ("held", "INTEGER"),
    ("scores", "TEXT"),
)


class SqliteAuditStore:
    def __init__(self, path: Path) -> None:
        try:
            private_file(path)  # 0600 before SQLite opens it: its -wal and -shm follow
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed batch survives power loss, not only a killed process.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(audit)")}
            for column, kind in _ADDED:
                if column not in columns:
                    self._db.execute(f"ALTER TABLE audit ADD COLUMN {column} {kind}")
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS audit_client_request ON audit (client_request_id)"
            )
            # The query side filters by these (console, watch).
            self._db.execute("CREATE INDEX IF NOT EXISTS audit_tenant_ts ON audit (tenant, ts)")
            self._db.execute("CREATE INDEX IF NOT EXISTS audit_key_ts ON audit (key_id, ts)")
            # The console's pages and time ranges (audit/browse.py): each of these indexes ends
            # in seq (SQLite's rowid), so a filtered page newest first reads only what it shows.
            self._db.executescript(_BROWSE_INDEXES)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"audit database {path}: {exc}; hint: SEKIMORI_HOME must be a writable directory"
            ) from None
        self.path = path
        self._lock = threading.Lock()

    def append(self, records: Sequence[AuditRecord]) -> None:
        if not records:
            return
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                head = self._db.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
                seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
                rows = []
                for record in records:
                    seq += 1
                    digest = chain_hash(prev, seq, record)
                    rows.append((seq, *astuple(record), prev, digest))
                    prev = digest
                self._db.executemany(_INSERT, rows)
                self._db.execute(
                    "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                    (seq, prev),
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"audit database {self.path}: {exc}") from None

    def query(self, query: AuditQuery) -> list[StoredRecord]:
        where = where_clause(query, "?")
        rows = self._db.execute(
            f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit{where.sql} "
            "ORDER BY seq DESC LIMIT ?",
            (*where.params, query.limit),
        ).fetchall()
        return [stored_row(r) for r in reversed(rows)]

    def get(self, seq: int) -> StoredRecord | None:
        row = self._db.execute(
            f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit WHERE seq = ?", (seq,)
        ).fetchone()
        return None if row is None else stored_row(row)

    def scan(self) -> Iterator[StoredRecord]:
        """Every row in seq order, read as it goes (verify, migrate)."""
        cursor = self._db.execute(
            f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit ORDER BY seq"
        )
        return (stored_row(row) for row in cursor)

    def verify(self) -> VerifyReport:
        head = self._db.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        return check_chain(self.scan(), None if head is None else Head(int(head[0]), str(head[1])))

    def hash_at(self, seq: int) -> str | None:
        row = self._db.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self._db.close()


def sqlite_browser(path: Path) -> SqlBrowser:
    """A read-only connection of its own: reads never wait on, or see into, a batch being
    written, and a console cannot change the trail through it."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as exc:
        raise StoreError(f"audit database {path}: {exc}") from None
    lock = threading.Lock()

    def run(sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with lock:
            try:
                return db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"audit database {path}: {exc}") from None

    return SqlBrowser(run, bucket_sql="CAST((ts - ?) / ? AS INTEGER)", close=db.close)
