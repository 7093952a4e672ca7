"""What one audit record holds, how it is chained, and the store and recorder interfaces."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Protocol

import orjson

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One request. Text fields hold the text, a keyed hash of it, or nothing (`text_mode`).

    `text_mode` says which, per record: `text`, `none`, `hmac` (HMAC-SHA256 under the data
    directory's audit.key) or `hash` (a plain sha256: records written before the keyed hash).
    """

    ts: float
    request_id: str  # the gateway's own id for the request
    tenant: str
    key_id: str
    model: str
    upstream: str
    status: int
    decision: str
    categories: str = ""
    stream: bool = False
    total_ms: float = 0.0
    upstream_ms: float = 0.0
    screen_ms: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    text_mode: str = "none"
    prompt: str | None = None
    answer: str | None = None
    reasons: str = ""  # why the decision was taken; entity types and counts, never values
    # Fields added later are hashed only when set, so records written before them still verify.
    client_request_id: str | None = None  # the client's x-request-id, when it sent one


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(AuditRecord))
_LATER = FIELD_NAMES.index("client_request_id")  # the first field added after the chain began


def keyed_digest(key: bytes, text: str) -> str:
    """HMAC-SHA256 of `text` (text_mode `hmac`): without the key a short prompt is not guessable."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredRecord:
    seq: int
    record: AuditRecord
    prev_hash: str
    hash: str


def chain_hash(prev_hash: str, seq: int, record: AuditRecord) -> str:
    """sha256 over the previous hash, the sequence number and every field, in a fixed order."""
    values = astuple(record)
    if all(v is None for v in values[_LATER:]):
        values = values[:_LATER]
    payload = orjson.dumps([prev_hash, seq, *values])
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True, slots=True)
class VerifyReport:
    records: int
    ok: bool
    problems: tuple[str, ...] = ()
    head_hash: str = GENESIS


@dataclass(frozen=True, slots=True)
class Head:
    """The newest link as the store keeps it apart from the rows (catches deleted last rows)."""

    seq: int
    hash: str


def check_chain(rows: Iterable[StoredRecord], head: Head | None) -> VerifyReport:
    """Walk `rows` in seq order: every link, every hash, no gap, and the head matches the end."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for stored in rows:
        count += 1
        if stored.seq != expected_seq:
            problems.append(f"rows {expected_seq}..{stored.seq - 1} are missing (deleted)")
        if stored.prev_hash != prev:
            problems.append(f"row {stored.seq}: does not link to the row before it")
        if chain_hash(stored.prev_hash, stored.seq, stored.record) != stored.hash:
            problems.append(f"row {stored.seq}: contents do not match its hash (edited)")
        prev, expected_seq = stored.hash, stored.seq + 1
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, prev):
        problems.append(
            f"the chain head is row {head.seq} but the last row is {expected_seq - 1} "
            "(rows deleted at the end, or the head edited)"
        )
    return VerifyReport(records=count, ok=not problems, problems=tuple(problems), head_hash=prev)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """The query side (watch, console, `audit tail`): newest first up to `limit`, then oldest
    first in the answer. None matches anything; `since`/`until` are epoch seconds."""

    limit: int = 20
    tenant: str | None = None
    decision: str | None = None
    since: float | None = None
    until: float | None = None


@dataclass(frozen=True, slots=True)
class Where:
    sql: str  # "" or " WHERE ..." with one placeholder a value
    params: tuple[object, ...]


def where_clause(query: AuditQuery, placeholder: str) -> Where:
    """The WHERE clause of a query's filters, in the driver's placeholder (`?`, `%s`)."""
    clauses: list[str] = []
    params: list[object] = []
    for column, op, value in (
        ("tenant", "=", query.tenant),
        ("decision", "=", query.decision),
        ("ts", ">=", query.since),
        ("ts", "<", query.until),
    ):
        if value is not None:
            clauses.append(f"{column} {op} {placeholder}")
            params.append(value)
    return Where(" WHERE " + " AND ".join(clauses) if clauses else "", tuple(params))


class AuditStore(Protocol):
    """Durable storage of the chain: SQLite in the data directory, or PostgreSQL.

    Every method blocks: code on an event loop runs it in a thread (as BatchingRecorder does).
    """

    def append(self, records: Sequence[AuditRecord]) -> None:
        """Chain and commit `records` in one transaction; returns once they are durable."""
        ...

    def query(self, query: AuditQuery) -> list[StoredRecord]: ...

    def verify(self) -> VerifyReport: ...

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of row `seq`; None when there is no such row."""
        ...

    def close(self) -> None: ...


class Recorder(Protocol):
    """What the gateway calls; `durable=True` returns only once the record is committed."""

    async def record(self, record: AuditRecord, *, durable: bool = False) -> None: ...
