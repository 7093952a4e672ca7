"""The store backend protocol and the registry that picks one by URL.

No URL: SQLite files in the data directory (keys.db, audit.db), as always. `postgresql://` (or
`postgres://`): one PostgreSQL database shared by every replica. The URL comes from
`store.url` in the settings, or `SEKIMORI_STORE_URL` (settings.STORE_URL_ENV).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from sekimori.audit.browse import AuditBrowser
from sekimori.audit.record import AuditStore
from sekimori.errors import ConfigError
from sekimori.home import AUDIT_DB, KEYS_DB
from sekimori.registry import Registry
from sekimori.store.keys import KeyStore
from sekimori.store.sketches import WATCH_DB, SketchStore
from sekimori.store.tenants import TenantStore


class StoreBackend(Protocol):
    """Opens the key and audit stores of one place (a data directory, a database)."""

    @property
    def where(self) -> str:
        """What to show a person: a path, or the URL without its password."""
        ...

    @property
    def local(self) -> bool:
        """True for files on this machine (no spool needed: the disk is the store)."""
        ...

    def keys(self) -> KeyStore: ...

    def tenants(self) -> TenantStore:
        """Tenant rows (tier, status, limit overrides), beside the keys."""
        ...

    def audit(self) -> AuditStore: ...

    def sketches(self) -> SketchStore:
        """The watch's sketches and alerts, beside the audit."""
        ...

    def browser(self) -> AuditBrowser:
        """The console's read side of the audit trail, on a connection of its own."""
        ...

    def reload_bus(self, group: str) -> ReloadBus | None:
        """Policy reload notices between replicas on this store; None: one machine only."""
        ...


class ReloadBus(Protocol):
    """Tells the gateways sharing a store to re-read their policy (`sekimori.store.notify`)."""

    def announce(self) -> None: ...

    def listen(self, on_reload: Callable[[], None]) -> None:
        """Call `on_reload`, from another thread, for each notice from another group."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SqliteBackend:
    home: Path

    @property
    def where(self) -> str:
        return str(self.home)

    @property
    def local(self) -> bool:
        return True

    def keys(self) -> KeyStore:
        from sekimori.store.sqlite_keys import SqliteKeyStore

        return SqliteKeyStore(self.home / KEYS_DB)

    def tenants(self) -> TenantStore:
        from sekimori.store.sqlite_tenants import SqliteTenantStore

        return SqliteTenantStore(self.home / KEYS_DB)

    def audit(self) -> AuditStore:
        from sekimori.audit.sqlite import SqliteAuditStore

        return SqliteAuditStore(self.home / AUDIT_DB)

    def sketches(self) -> SketchStore:
        from sekimori.store.sketches import SqliteSketchStore

        return SqliteSketchStore(self.home / WATCH_DB)

    def browser(self) -> AuditBrowser:
        from sekimori.audit.sqlite import sqlite_browser

        return sqlite_browser(self.home / AUDIT_DB)

    def reload_bus(self, group: str) -> ReloadBus | None:
        return None  # one machine: its supervisor tells its workers (sekimori.gateway.workers)


BackendFactory = Callable[[str, Path], StoreBackend]
STORE_BACKENDS: Registry[BackendFactory] = Registry("store backend")
STORE_BACKENDS.register("sqlite")(lambda url, home: SqliteBackend(home))


def redact(url: str) -> str:
    """`url` without its password, for logs and banners."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def open_backend(url: str | None, home: Path) -> StoreBackend:
    """The backend for `url` by its scheme; None: SQLite in `home`."""
    import sekimori.store.postgres  # noqa: F401  (registers postgresql://)

    scheme = urlsplit(url).scheme if url else "sqlite"
    if scheme not in STORE_BACKENDS:
        known = ", ".join(f"{n}://" for n in STORE_BACKENDS.names())
        raise ConfigError(
            f"unknown store {redact(url or '')!r}; known: {known} (none: SQLite in the data "
            "directory) / 不明なストアです",
            key="store.url",
        )
    return STORE_BACKENDS.get(scheme)(url or "sqlite://", home)
