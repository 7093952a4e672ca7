"""What one audit record holds, how it is chained, and the store and recorder interfaces."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from typing import Protocol

import orjson

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One request. Text fields hold the text, its sha256, or nothing, per the tenant's option."""

    ts: float
    request_id: str
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


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(AuditRecord))


@dataclass(frozen=True, slots=True)
class StoredRecord:
    seq: int
    record: AuditRecord
    prev_hash: str
    hash: str


def chain_hash(prev_hash: str, seq: int, record: AuditRecord) -> str:
    """sha256 over the previous hash, the sequence number and every field, in a fixed order."""
    payload = orjson.dumps([prev_hash, seq, *astuple(record)])
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

    def close(self) -> None: ...


class Recorder(Protocol):
    """What the gateway calls; `durable=True` returns only once the record is committed."""

    async def record(self, record: AuditRecord, *, durable: bool = False) -> None: ...
