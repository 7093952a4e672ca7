"""The PostgreSQL stores: keys and one audit chain shared by every replica.

One chain, serialised in the database: a writer locks the `audit_head` row (`FOR UPDATE`),
chains its batch after it, inserts the rows and moves the head, all in one transaction. Writers
from any number of processes queue on that row lock, so the chain never forks and a failed
transaction leaves nothing behind. `bench/store/RESULTS.md` measures what it costs.

Each store keeps one connection, reopened after a failure; every database error becomes a
StoreError that names the URL without its password.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from sekimori.audit.browse import AuditBrowser, SqlBrowser
from sekimori.audit.record import (
    FIELD_NAMES,
    AuditQuery,
    AuditRecord,
    AuditStore,
    Head,
    StoredRecord,
    VerifyReport,
    chain_hash,
    check_chain,
    where_clause,
)
from sekimori.errors import StoreError
from sekimori.store.backend import STORE_BACKENDS, ReloadBus, redact
from sekimori.store.keys import (
    ActiveKey,
    ApiKey,
    KeyStore,
    NewKey,
    StoredKey,
    already_revoked,
    digest,
    mint,
    unknown_key,
)
from sekimori.store.migrations import migrate
from sekimori.store.sanctions import SanctionRow
from sekimori.store.sketches import (
    ALERT_COLUMNS,
    AlertRow,
    SketchRow,
    SketchStore,
    alert_row,
    alert_values,
)
from sekimori.store.tenants import (
    Change,
    Tenant,
    TenantStore,
    already_there,
    limits_text,
    still_used,
    tenant_from_row,
    unknown_tenant,
)

CONNECT_TIMEOUT_S = 3  # a replica notices a dead server this fast, then spools (docs/store.md)
# A partition (packets dropped, nothing refused) breaks a connection in about 10 s instead of
# the kernel's 15 minutes of retransmits: sent data unacknowledged for 10 s, or an idle link
# whose keepalive probes (after 5 s, 2 probes 2 s apart) go unanswered. Then the batch spools.
_OPTIONS = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "2",
    "tcp_user_timeout": "10000",
}


def conninfo(url: str) -> str:
    """`url` with the keepalive and TCP user timeout options above."""
    return make_conninfo(url, **_OPTIONS)


# A hung server fails a write (which then spools) instead of holding the recorder forever.
STATEMENT_TIMEOUT_MS = 30_000
_COLUMNS = ", ".join(FIELD_NAMES)
_INSERT = (
    f"INSERT INTO audit (seq, {_COLUMNS}, prev_hash, hash) "
    f"VALUES (%s, {', '.join('%s' for _ in FIELD_NAMES)}, %s, %s)"
)
_SELECT = f"SELECT seq, {_COLUMNS}, prev_hash, hash FROM audit"

Conn = psycopg.Connection[tuple[Any, ...]]


def _stored(row: Sequence[Any]) -> StoredRecord:
    return StoredRecord(
        seq=int(row[0]), record=AuditRecord(*row[1:-2]), prev_hash=str(row[-2]), hash=str(row[-1])
    )


class _Connection:
    """One connection, opened (and the schema migrated) on first use and after a failure."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redact(url)
        self._conn: Conn | None = None
        self.lock = threading.Lock()

    def error(self, exc: Exception) -> StoreError:
        detail = " ".join(str(exc).split())  # libpq's messages run over several lines
        return StoreError(f"store {self.where}: {detail} / データベースエラー")

    @contextmanager
    def use(self) -> Iterator[Conn]:
        """The live connection, under the lock; a database error closes it and raises StoreError."""
        with self.lock:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    conn = psycopg.connect(
                        conninfo(self.url),
                        autocommit=True,
                        connect_timeout=CONNECT_TIMEOUT_S,
                        options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                    )
                    try:
                        migrate(conn, self.where)
                    except BaseException:
                        conn.close()
                        raise
                    self._conn = conn
                yield self._conn
            except psycopg.Error as exc:
                self._drop()
                raise self.error(exc) from None

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self.lock:
            self._drop()


class PostgresAuditStore:
    def __init__(self, url: str) -> None:
        self._db = _Connection(url)
        with self._db.use():
            pass  # fail at start, naming the URL, rather than at the first request

    def append(self, records: Sequence[AuditRecord]) -> None:
        if not records:
            return
        with self._db.use() as conn, conn.transaction():
            head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
            row = head.fetchone()
            assert row is not None  # the first migration inserts it
            seq, prev = int(row[0]), str(row[1])
            rows = []
            for record in records:
                seq += 1
                link = chain_hash(prev, seq, record)
                rows.append((seq, *astuple(record), prev, link))
                prev = link
            with conn.cursor() as cursor:
                cursor.executemany(_INSERT.encode(), rows)
            conn.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (seq, prev))

    def import_chain(self, rows: Iterable[StoredRecord], batch: int = 2000) -> int:
        """Copy stored rows verbatim (seq, links, hashes) into an empty audit; returns how many.

        For `migrate`: the hashes are kept, so anchors taken before the move still match.
        """
        count, last = 0, Head(0, "")
        with self._db.use() as conn, conn.transaction():
            head = conn.execute("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE").fetchone()
            present = conn.execute("SELECT count(*) FROM audit").fetchone()
            if (head and int(head[0])) or (present and int(present[0])):
                raise StoreError(
                    f"store {self._db.where}: the audit table already holds records; "
                    "hint: migrate into an empty database / 移行先の監査ログが空ではありません"
                )
            chunk: list[tuple[Any, ...]] = []
            with conn.cursor() as cursor:
                for stored in rows:
                    chunk.append(
                        (stored.seq, *astuple(stored.record), stored.prev_hash, stored.hash)
                    )
                    last = Head(stored.seq, stored.hash)
                    count += 1
                    if len(chunk) >= batch:
                        cursor.executemany(_INSERT.encode(), chunk)
                        chunk = []
                if chunk:
                    cursor.executemany(_INSERT.encode(), chunk)
            if count:
                conn.execute(
                    "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (last.seq, last.hash)
                )
        return count

    def query(self, query: AuditQuery) -> list[StoredRecord]:
        where = where_clause(query, "%s")
        sql = f"{_SELECT}{where.sql} ORDER BY seq DESC LIMIT %s"
        with self._db.use() as conn:
            rows = conn.execute(sql.encode(), (*where.params, query.limit)).fetchall()
        return [_stored(r) for r in reversed(rows)]

    def get(self, seq: int) -> StoredRecord | None:
        with self._db.use() as conn:
            row = conn.execute(f"{_SELECT} WHERE seq = %s".encode(), (seq,)).fetchone()
        return None if row is None else _stored(row)

    def verify(self) -> VerifyReport:
        with self._db.use() as conn, conn.transaction():
            # One snapshot for the rows and the head, while other replicas keep writing.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            head = None if row is None else Head(int(row[0]), str(row[1]))
            with conn.cursor(name="sekimori_verify") as cursor:
                cursor.itersize = 5000
                cursor.execute(f"{_SELECT} ORDER BY seq".encode())
                return check_chain((_stored(r) for r in cursor), head)

    def hash_at(self, seq: int) -> str | None:
        with self._db.use() as conn:
            row = conn.execute("SELECT hash FROM audit WHERE seq = %s", (seq,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self._db.close()


class PostgresSketchStore:
    """The watch's sketches and alerts in the same database as the audit (`store/sketches.py`)."""

    def __init__(self, url: str) -> None:
        self._db = _Connection(url)
        with self._db.use():
            pass

    def append(self, sketches: Sequence[SketchRow], alerts: Sequence[AlertRow] = ()) -> None:
        if not sketches and not alerts:
            return
        with self._db.use() as conn, conn.transaction(), conn.cursor() as cursor:
            if sketches:
                cursor.executemany(
                    b"INSERT INTO sketches (request_id, ts, data) VALUES (%s, %s, %s)",
                    [(s.request_id, s.ts, s.data) for s in sketches],
                )
            if alerts:
                cursor.executemany(
                    f"INSERT INTO alerts ({ALERT_COLUMNS}) "
                    f"VALUES ({', '.join(['%s'] * 12)})".encode(),
                    [alert_values(a) for a in alerts],
                )

    def sketches(self, after_seq: int = 0, limit: int = 10_000) -> list[SketchRow]:
        with self._db.use() as conn:
            rows = conn.execute(
                b"SELECT seq, request_id, ts, data FROM sketches WHERE seq > %s "
                b"ORDER BY seq LIMIT %s",
                (after_seq, limit),
            ).fetchall()
        return [SketchRow(str(r), float(t), bytes(d), int(q)) for q, r, t, d in rows]

    def alerts(self, after_seq: int = 0, limit: int = 1_000) -> list[AlertRow]:
        with self._db.use() as conn:
            rows = conn.execute(
                f"SELECT seq, {ALERT_COLUMNS} FROM alerts WHERE seq > %s "
                "ORDER BY seq LIMIT %s".encode(),
                (after_seq, limit),
            ).fetchall()
        return [alert_row(r) for r in rows]

    def impose(self, row: SanctionRow, now: float) -> bool:
        with self._db.use() as conn, conn.transaction():
            # The key's row locked (or, for a first sanction, the insert serialised by its
            # primary key), so concurrent imposers keep the strongest.
            old = conn.execute(
                b"SELECT data FROM sanctions WHERE key_id = %s FOR UPDATE", (row.key_id,)
            ).fetchone()
            kept = row.outranks(None if old is None else SanctionRow.from_json(old[0]), now)
            if kept:
                conn.execute(
                    b"INSERT INTO sanctions (key_id, until, data) VALUES (%s, %s, %s) "
                    b"ON CONFLICT (key_id) DO UPDATE SET until = excluded.until, "
                    b"data = excluded.data",
                    (row.key_id, row.until, row.to_json().decode()),
                )
            conn.execute(b"DELETE FROM sanctions WHERE until <= %s", (now,))
        return kept

    def active(self, now: float) -> list[SanctionRow]:
        with self._db.use() as conn:
            rows = conn.execute(b"SELECT data FROM sanctions WHERE until > %s", (now,)).fetchall()
        return [SanctionRow.from_json(str(data)) for (data,) in rows]

    def lift(self, key_id: str, now: float) -> SanctionRow | None:
        with self._db.use() as conn, conn.transaction():
            old = conn.execute(
                b"DELETE FROM sanctions WHERE key_id = %s RETURNING until, data", (key_id,)
            ).fetchone()
        return None if old is None or float(old[0]) <= now else SanctionRow.from_json(str(old[1]))

    def close(self) -> None:
        self._db.close()


def postgres_browser(url: str) -> SqlBrowser:
    """A connection of its own, so that a long read never holds up the writer's lock."""
    db = _Connection(url)

    def run(sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with db.use() as conn:
            return conn.execute(sql.replace("?", "%s").encode(), params).fetchall()

    return SqlBrowser(run, bucket_sql="FLOOR((ts - ?) / ?)::bigint", close=db.close)


class PostgresKeyStore:
    def __init__(self, url: str) -> None:
        self._db = _Connection(url)
        with self._db.use():
            pass

    def create(self, tenant: str) -> NewKey:
        new = mint(tenant)
        info = new.info
        with self._db.use() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO api_keys (key_id, tenant, digest, created) VALUES (%s, %s, %s, %s)",
                (info.key_id, info.tenant, digest(new.key), info.created),
            )
            conn.execute("UPDATE key_generation SET n = n + 1 WHERE id = 1")
        return new

    def all_keys(self) -> list[ApiKey]:
        with self._db.use() as conn:
            rows = conn.execute(
                "SELECT key_id, tenant, created, revoked FROM api_keys ORDER BY created"
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        with self._db.use() as conn, conn.transaction():
            row = conn.execute(
                "SELECT key_id, tenant, created, revoked FROM api_keys WHERE key_id = %s "
                "FOR UPDATE",
                (key_id,),
            ).fetchone()
            if row is None:
                raise unknown_key(key_id)
            if row[3] is not None:
                raise already_revoked(key_id)
            revoked = conn.execute(
                "UPDATE api_keys SET revoked = %s "
                "WHERE key_id = %s RETURNING key_id, tenant, created, revoked",
                (time.time(), key_id),
            ).fetchone()
            conn.execute("UPDATE key_generation SET n = n + 1 WHERE id = 1")
        assert revoked is not None
        return ApiKey(*revoked)

    def generation(self) -> int:
        with self._db.use() as conn:
            row = conn.execute("SELECT n FROM key_generation WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def active(self) -> dict[str, ActiveKey]:
        with self._db.use() as conn:
            rows = conn.execute(
                "SELECT key_id, tenant, digest FROM api_keys WHERE revoked IS NULL"
            ).fetchall()
        return {str(k): ActiveKey(str(t), str(d)) for k, t, d in rows}

    def rows(self) -> list[StoredKey]:
        with self._db.use() as conn:
            rows = conn.execute(
                "SELECT key_id, tenant, created, revoked, digest FROM api_keys ORDER BY created"
            ).fetchall()
        return [StoredKey(ApiKey(*row[:4]), str(row[4])) for row in rows]

    def import_keys(self, keys: Iterable[StoredKey]) -> int:
        """Copy keys (digests, never secrets) into an empty key table; returns how many."""
        with self._db.use() as conn, conn.transaction():
            present = conn.execute("SELECT count(*) FROM api_keys").fetchone()
            if present and int(present[0]):
                raise StoreError(
                    f"store {self._db.where}: api_keys already holds {present[0]} keys; "
                    "hint: migrate into an empty database / 移行先にキーが既にあります"
                )
            rows = [
                (k.info.key_id, k.info.tenant, k.digest, k.info.created, k.info.revoked)
                for k in keys
            ]
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO api_keys (key_id, tenant, digest, created, revoked) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    rows,
                )
            conn.execute("UPDATE key_generation SET n = n + 1 WHERE id = 1")
        return len(rows)

    def close(self) -> None:
        self._db.close()


_TENANT_COLUMNS = "name, display_name, tier, status, limits, created, updated"


def _tenant_values(t: Tenant) -> tuple[object, ...]:
    return (t.name, t.display_name, t.tier, t.status.value, limits_text(t), t.created, t.updated)


class PostgresTenantStore:
    """Tenant rows; a change locks its row (or, for a new one, the primary key serialises it)
    and moves `tenant_generation` in the same transaction."""

    def __init__(self, url: str) -> None:
        self._db = _Connection(url)
        with self._db.use():
            pass

    def _select(self, conn: Conn, name: str, lock: bool = False) -> Tenant | None:
        sql = f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE name = %s" + (" FOR UPDATE" * lock)
        row = conn.execute(sql.encode(), (name,)).fetchone()
        return None if row is None else tenant_from_row(tuple(row), self._db.where)

    def add(self, tenant: Tenant) -> Tenant:
        with self._db.use() as conn, conn.transaction():
            added = conn.execute(
                f"INSERT INTO tenants ({_TENANT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (name) DO NOTHING".encode(),
                _tenant_values(tenant),
            )
            if added.rowcount == 0:
                raise already_there(tenant.name)
            conn.execute("UPDATE tenant_generation SET n = n + 1 WHERE id = 1")
        return tenant

    def get(self, name: str) -> Tenant | None:
        with self._db.use() as conn:
            return self._select(conn, name)

    def all_tenants(self) -> list[Tenant]:
        with self._db.use() as conn:
            rows = conn.execute(
                f"SELECT {_TENANT_COLUMNS} FROM tenants ORDER BY name".encode()
            ).fetchall()
        return [tenant_from_row(tuple(r), self._db.where) for r in rows]

    def update(self, name: str, change: Change) -> Tenant:
        with self._db.use() as conn, conn.transaction():
            old = self._select(conn, name, lock=True)
            if old is None:
                raise unknown_tenant(name)
            new = replace(change(old), name=old.name, created=old.created, updated=time.time())
            conn.execute(
                "UPDATE tenants SET display_name = %s, tier = %s, status = %s, limits = %s, "
                "updated = %s WHERE name = %s",
                (*_tenant_values(new)[1:5], new.updated, name),
            )
            conn.execute("UPDATE tenant_generation SET n = n + 1 WHERE id = 1")
        return new

    def remove(self, name: str) -> Tenant:
        with self._db.use() as conn, conn.transaction():
            old = self._select(conn, name, lock=True)
            if old is None:
                raise unknown_tenant(name)
            # A key created for the tenant meanwhile commits first or sees the row gone: a
            # concurrent `keys create` is not refused (keys may name tenants without a row).
            keys = conn.execute(
                "SELECT key_id FROM api_keys WHERE tenant = %s AND revoked IS NULL "
                "ORDER BY created",
                (name,),
            ).fetchall()
            if keys:
                raise still_used(name, [str(k) for (k,) in keys])
            conn.execute("DELETE FROM tenants WHERE name = %s", (name,))
            conn.execute("UPDATE tenant_generation SET n = n + 1 WHERE id = 1")
        return old

    def generation(self) -> int:
        with self._db.use() as conn:
            row = conn.execute("SELECT n FROM tenant_generation WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def import_tenants(self, tenants: Iterable[Tenant]) -> int:
        """Copy rows into an empty tenant table (`migrate`); returns how many."""
        with self._db.use() as conn, conn.transaction():
            present = conn.execute("SELECT count(*) FROM tenants").fetchone()
            if present and int(present[0]):
                raise StoreError(
                    f"store {self._db.where}: tenants already holds {present[0]} rows; "
                    "hint: migrate into an empty database / 移行先にテナントが既にあります"
                )
            rows = [_tenant_values(t) for t in tenants]
            with conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO tenants ({_TENANT_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)".encode(),
                    rows,
                )
            conn.execute("UPDATE tenant_generation SET n = n + 1 WHERE id = 1")
        return len(rows)

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True, slots=True)
class PostgresBackend:
    url: str

    @property
    def where(self) -> str:
        return redact(self.url)

    @property
    def local(self) -> bool:
        return False

    def keys(self) -> KeyStore:
        return PostgresKeyStore(self.url)

    def tenants(self) -> TenantStore:
        return PostgresTenantStore(self.url)

    def audit(self) -> AuditStore:
        return PostgresAuditStore(self.url)

    def sketches(self) -> SketchStore:
        return PostgresSketchStore(self.url)

    def browser(self) -> AuditBrowser:
        return postgres_browser(self.url)

    def reload_bus(self, group: str) -> ReloadBus | None:
        from sekimori.store.notify import PostgresReloadBus

        return PostgresReloadBus(self.url, group)


def _backend(url: str, home: Path) -> PostgresBackend:
    return PostgresBackend(url)


STORE_BACKENDS.register("postgresql")(_backend)
STORE_BACKENDS.register("postgres")(_backend)
