"""The SQLite tenant store: the `tenants` table in `keys.db`, beside the keys it is checked
against (removing a tenant and creating its key cannot interleave)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from sekimori.errors import StoreError
from sekimori.home import private_database
from sekimori.store.sqlite_keys import SCHEMA as KEYS_SCHEMA
from sekimori.store.tenants import (
    Change,
    Tenant,
    already_there,
    limits_text,
    still_used,
    tenant_from_row,
    unknown_tenant,
)

# Tables are created if absent (as keys.db always has been); a counter row moves with each change,
# so a gateway notices another process's change, and its own, with one read.
SCHEMA = (
    KEYS_SCHEMA
    + """
CREATE TABLE IF NOT EXISTS tenants (
  name TEXT PRIMARY KEY, display_name TEXT NOT NULL, tier TEXT,
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
  limits TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tenant_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER);
INSERT OR IGNORE INTO tenant_generation VALUES (1, 0);
"""
)
_COLUMNS = "name, display_name, tier, status, limits, created, updated"


class SqliteTenantStore:
    def __init__(self, path: Path) -> None:
        self._db = private_database(path, "key", SCHEMA)
        self.path = path
        self._lock = threading.Lock()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (other processes wait on SQLite's lock); errors name the file."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("UPDATE tenant_generation SET n = n + 1 WHERE id = 1")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"key database {self.path}: {exc} / データベースエラー") from None

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"key database {self.path}: {exc} / データベースエラー") from None

    def _row(self, db: sqlite3.Connection, name: str) -> Tenant | None:
        row = db.execute(f"SELECT {_COLUMNS} FROM tenants WHERE name = ?", (name,)).fetchone()
        return None if row is None else tenant_from_row(tuple(row), str(self.path))

    def add(self, tenant: Tenant) -> Tenant:
        with self._write() as db:
            if self._row(db, tenant.name) is not None:
                raise already_there(tenant.name)
            db.execute(
                f"INSERT INTO tenants ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                _values(tenant),
            )
        return tenant

    def get(self, name: str) -> Tenant | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM tenants WHERE name = ?", (name,))
        return tenant_from_row(rows[0], str(self.path)) if rows else None

    def all_tenants(self) -> list[Tenant]:
        rows = self._read(f"SELECT {_COLUMNS} FROM tenants ORDER BY name")
        return [tenant_from_row(r, str(self.path)) for r in rows]

    def update(self, name: str, change: Change) -> Tenant:
        with self._write() as db:
            old = self._row(db, name)
            if old is None:
                raise unknown_tenant(name)
            new = replace(change(old), name=old.name, created=old.created, updated=time.time())
            db.execute(
                "UPDATE tenants SET display_name = ?, tier = ?, status = ?, limits = ?, "
                "updated = ? WHERE name = ?",
                (*_values(new)[1:5], new.updated, name),
            )
        return new

    def remove(self, name: str) -> Tenant:
        with self._write() as db:
            old = self._row(db, name)
            if old is None:
                raise unknown_tenant(name)
            keys = db.execute(
                "SELECT key_id FROM api_keys WHERE tenant = ? AND revoked IS NULL ORDER BY created",
                (name,),
            ).fetchall()
            if keys:
                raise still_used(name, [str(k) for (k,) in keys])
            db.execute("DELETE FROM tenants WHERE name = ?", (name,))
        return old

    def generation(self) -> int:
        rows = self._read("SELECT n FROM tenant_generation WHERE id = 1")
        return int(str(rows[0][0])) if rows else 0

    def close(self) -> None:
        self._db.close()


def _values(t: Tenant) -> tuple[object, ...]:
    return (t.name, t.display_name, t.tier, t.status.value, limits_text(t), t.created, t.updated)
