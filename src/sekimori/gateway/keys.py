"""Tenants' API keys: stored as sha256 digests in SQLite, compared in constant time.

A key reads `sk-sek-<id><secret>`: a public 12-hex-digit id to find the row, then 43 characters
(256 bits) of secret. Only the sha256 of the whole key is stored, so a leaked keys.db reveals none.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sekimori.errors import InputError, StoreError
from sekimori.home import private_file

PREFIX = "sk-sek-"
_ID_LEN = 12
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
  key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, digest TEXT NOT NULL,
  created REAL NOT NULL, revoked REAL
);
"""


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenant: str
    created: float
    revoked: float | None


@dataclass(frozen=True, slots=True)
class NewKey:
    key: str  # shown once, never stored
    info: ApiKey


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: str
    key_id: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, path: Path) -> None:
        try:
            private_file(path)  # 0600 before SQLite opens it: its -wal and -shm follow
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"key database {path}: {exc}; hint: SEKIMORI_HOME must be a writable directory"
            ) from None
        self.path = path

    def create(self, tenant: str) -> NewKey:
        if not _TENANT.match(tenant):
            raise InputError(
                f"tenant {tenant!r} must be 1-64 letters, digits, '.', '_' or '-' "
                "(テナント名は英数字と . _ - の64文字以内)",
                source="--tenant",
            )
        key_id = secrets.token_hex(_ID_LEN // 2)
        key = f"{PREFIX}{key_id}{secrets.token_urlsafe(32)}"
        info = ApiKey(key_id=key_id, tenant=tenant, created=time.time(), revoked=None)
        self._db.execute(
            "INSERT INTO api_keys (key_id, tenant, digest, created) VALUES (?, ?, ?, ?)",
            (key_id, tenant, _digest(key), info.created),
        )
        return NewKey(key=key, info=info)

    def list(self) -> list[ApiKey]:
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
            raise InputError(f"no key with id {key_id!r} (see `sekimori keys list`)")
        if cursor.rowcount == 0:
            raise InputError(f"key {key_id!r} was already revoked")
        return ApiKey(*row)

    def close(self) -> None:
        self._db.close()


class KeyCache:
    """The gateway's view of the key store: active keys in memory, reloaded when the file changes.

    `PRAGMA data_version` moves when another process (`sekimori keys revoke`) commits; it is
    checked at most every `check_interval` seconds, which bounds how long a revoked key still works.
    """

    def __init__(self, path: Path, check_interval: float = 0.5) -> None:
        self._store = KeyStore(path)
        self._db = self._store._db
        self._interval = check_interval
        self._next_check = 0.0
        self._version = -1
        self._active: dict[str, tuple[str, str]] = {}

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if now < self._next_check and not force:
            return
        self._next_check = now + self._interval
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            rows = self._db.execute(
                "SELECT key_id, tenant, digest FROM api_keys WHERE revoked IS NULL"
            ).fetchall()
            self._active = {str(k): (str(t), str(d)) for k, t, d in rows}
            self._version = version

    def active_count(self) -> int:
        """How many unrevoked keys the store holds now (for the start-up banner).

        Read on this connection: a second connection opened and closed in the gateway's process
        left this one blind to later revocations (it checkpoints and deletes the WAL).
        """
        self._refresh(force=True)
        return len(self._active)

    def authenticate(self, key: str) -> Principal | None:
        if not key.startswith(PREFIX):
            return None
        self._refresh()
        key_id = key[len(PREFIX) : len(PREFIX) + _ID_LEN]
        entry = self._active.get(key_id)
        if entry is None:
            # A key created a moment ago works at once: an unknown id rechecks the store now
            # (one cheap PRAGMA; the table is reread only when another process committed).
            self._refresh(force=True)
            entry = self._active.get(key_id)
        if entry is None:
            return None
        tenant, digest = entry
        if not hmac.compare_digest(_digest(key), digest):
            return None
        return Principal(tenant=tenant, key_id=key_id)

    def close(self) -> None:
        self._store.close()
