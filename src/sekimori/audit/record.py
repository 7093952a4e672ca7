"""What one audit record holds, how it is chained, and the store and recorder interfaces."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
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


class AuditStore(Protocol):
    """Durable storage of the chain; SQLite now, PostgreSQL later."""

    def append(self, records: Sequence[AuditRecord]) -> None:
        """Chain and commit `records` in one transaction; returns once they are durable."""
        ...

    def tail(self, limit: int) -> list[StoredRecord]: ...

    def verify(self) -> VerifyReport: ...

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of row `seq`; None when there is no such row."""
        ...

    def close(self) -> None: ...


class Recorder(Protocol):
    """What the gateway calls; `durable=True` returns only once the record is committed."""

    async def record(self, record: AuditRecord, *, durable: bool = False) -> None: ...
