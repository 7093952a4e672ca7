"""The SQLite key store: `keys.db` in the data directory (WAL, 0600)."""

from __future__ import annotations

import time
from pathlib import Path

from sekimori.home import private_database
from sekimori.store.keys import (
    ActiveKey,
    ApiKey,
    NewKey,
    StoredKey,
    already_revoked,
    digest,
    mint,
    unknown_key,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
  key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, digest TEXT NOT NULL,
  created REAL NOT NULL, revoked REAL
);
"""


class SqliteKeyStore:
    def __init__(self, path: Path) -> None:
        self._db = private_database(path, "key", SCHEMA)
        self.path = path

    def create(self, tenant: str) -> NewKey:
        new = mint(tenant)
        info = new.info
        self._db.execute(
            "INSERT INTO api_keys (key_id, tenant, digest, created) VALUES (?, ?, ?, ?)",
            (info.key_id, info.tenant, digest(new.key), info.created),
        )
        return new

    def all_keys(self) -> list[ApiKey]:
        rows = self._db.execute(
            "SELECT key_id, tenant, created, revoked FROM api_keys ORDER BY created"
        ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        cursor = self._db.execute(
            "UPDATE api_keys SET revoked = ? WHERE key_id = ? AND revoked IS NULL",
            (time.time(), key_id),
        )
        row = self._db.execute(
            "SELECT key_id, tenant, created, revoked FROM api_keys WHERE key_id = ?", (key_id,)
        ).fetchone()
        if row is None:
            raise unknown_key(key_id)
        if cursor.rowcount == 0:
            raise already_revoked(key_id)
        return ApiKey(*row)

    def generation(self) -> int:
        # Moves when another connection commits (`sekimori keys revoke` in another process).
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def active(self) -> dict[str, ActiveKey]:
        rows = self._db.execute(
            "SELECT key_id, tenant, digest FROM api_keys WHERE revoked IS NULL"
        ).fetchall()
        return {str(k): ActiveKey(str(t), str(d)) for k, t, d in rows}

    def rows(self) -> list[StoredKey]:
        rows = self._db.execute(
            "SELECT key_id, tenant, created, revoked, digest FROM api_keys ORDER BY created"
        ).fetchall()
        return [StoredKey(ApiKey(*row[:4]), str(row[4])) for row in rows]

    def close(self) -> None:
        self._db.close()
