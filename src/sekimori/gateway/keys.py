"""The gateway's view of the key store: active keys in memory, compared in constant time."""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass

from sekimori.errors import StoreError
from sekimori.store.keys import ID_LEN, PREFIX, ActiveKey, ApiKey, KeyStore, NewKey, digest

log = logging.getLogger("sekimori")
RETRY_S = 5.0  # after the store failed, how long the keys last read are used as they are


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: str
    key_id: str


class KeyCache:
    """Active keys in memory, reloaded when the store's `generation()` moves.

    The generation is checked at most every `check_interval` seconds, which bounds how long a
    revoked key still works (SQLite: `PRAGMA data_version`; PostgreSQL: a counter row).
    """

    def __init__(self, store: KeyStore, check_interval: float = 0.5) -> None:
        self._store = store
        self._interval = check_interval
        self._next_check = 0.0
        self._version = -1
        self._retry_at = 0.0
        self._active: dict[str, ActiveKey] = {}

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if (now < self._next_check and not force) or now < self._retry_at:
            return
        self._next_check = now + self._interval
        try:
            version = self._store.generation()
            if version != self._version:
                self._active = self._store.active()
                self._version = version
        except StoreError as exc:
            # The store is down: the keys last read stay valid (a revocation waits until it is
            # back), rather than every tenant being refused.
            # It runs on the event loop: wait before trying again, however many requests come.
            self._retry_at = now + RETRY_S
            log.error("key store unavailable, using the keys last read: %s", exc)

    def active_count(self) -> int:
        """How many unrevoked keys the store holds now (for the start-up banner).

        Read through this store: a second SQLite connection opened and closed in the gateway's
        process left this one blind to later revocations (it checkpoints and deletes the WAL).
        """
        self._refresh(force=True)
        return len(self._active)

    def authenticate(self, key: str) -> Principal | None:
        if not key.startswith(PREFIX):
            return None
        self._refresh()
        key_id = key[len(PREFIX) : len(PREFIX) + ID_LEN]
        entry = self._active.get(key_id)
        if entry is None:
            # A key created a moment ago works at once: an unknown id rechecks the store now
            # (one cheap query; the table is reread only when another process committed).
            self._refresh(force=True)
            entry = self._active.get(key_id)
        if entry is None:
            return None
        if not hmac.compare_digest(digest(key), entry.digest):
            return None
        return Principal(tenant=entry.tenant, key_id=key_id)

    def create(self, tenant: str) -> NewKey:
        """A new key through this cache's own connection (the console): in use at once."""
        new = self._store.create(tenant)
        self._version = -1  # this connection's own commit does not move SQLite's data_version
        return new

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke through this cache's connection; refused from the next request on."""
        revoked = self._store.revoke(key_id)
        self._version = -1
        self._refresh(force=True)
        return revoked

    def all_keys(self) -> list[ApiKey]:
        return self._store.all_keys()

    def close(self) -> None:
        self._store.close()
