"""What one audit record holds, how it is chained, and the store and recorder interfaces."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field, fields, replace
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
    # The structured event (version 2 on): set together, hashed together (`chain_hash`).
    version: int | None = None  # None: a record from before versioned events (version 1)
    stages: str | None = None  # JSON: [{"stage", "action", "categories", "scores"}], in order
    blocked_at: str | None = None  # `input` or `output`: the screen that stopped it
    held: bool | None = None  # the prompt screen left its unsure block to the answer screen
    scores: str | None = None  # JSON: {category: score} of the screens that ran (rounded)

    def stage_decisions(self) -> tuple[StageDecision, ...]:
        """Each screen's own decision (`stages`); () for a record from before version 2."""
        if not self.stages:
            return ()
        return tuple(
            StageDecision(
                str(s["stage"]),
                str(s["action"]),
                tuple(s.get("categories", ())),
                {str(k): float(v) for k, v in s.get("scores", {}).items()},
            )
            for s in orjson.loads(self.stages)
        )

    def category_scores(self) -> dict[str, float]:
        """The category scores the screens gave (`scores`); {} before version 2."""
        if not self.scores:
            return {}
        return {str(k): float(v) for k, v in orjson.loads(self.scores).items()}


AUDIT_VERSION = 2  # what the gateway writes now; readers accept every version up to it


@dataclass(frozen=True, slots=True)
class StageDecision:
    """What one screen (`input`: the prompt, `output`: the answer) decided on its own."""

    stage: str
    action: str
    categories: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)  # this screen's category scores


def _kept(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores as stored: 3 decimals, sorted by category, those under 0.01 left out (noise)."""
    return {k: round(v, 3) for k, v in sorted(scores.items()) if v >= 0.01}


def encode_stages(stages: Iterable[StageDecision]) -> str:
    return orjson.dumps(
        [
            {
                "stage": s.stage,
                "action": s.action,
                "categories": list(s.categories),
                "scores": _kept(s.scores),
            }
            for s in stages
        ]
    ).decode()


def encode_scores(scores: Mapping[str, float]) -> str:
    return orjson.dumps(_kept(scores)).decode()


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(AuditRecord))
_LATER = FIELD_NAMES.index("client_request_id")  # the first field added after the chain began
_V2 = FIELD_NAMES.index("version")  # version 2 records hash every field, None or not


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
    if record.version is None:  # as written before versioned events: they still verify
        values = values[:_V2]
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
    """The query side (watch, console, `audit tail`): the newest matching rows up to `limit`,
    answered oldest first. None matches anything; `since`/`until` are epoch seconds; `category`
    matches one of a record's categories; `before` (a seq) pages back: `next_page` makes it."""

    limit: int = 20
    tenant: str | None = None
    decision: str | None = None
    since: float | None = None
    until: float | None = None
    key_id: str | None = None
    category: str | None = None
    before: int | None = None


def next_page(query: AuditQuery, rows: Sequence[StoredRecord]) -> AuditQuery | None:
    """The query for the page of older rows after `rows` (an answer to `query`); None at the end."""
    if len(rows) < query.limit or not rows:
        return None
    return replace(query, before=rows[0].seq)


@dataclass(frozen=True, slots=True)
class Where:
    sql: str  # "" or " WHERE ..." with one placeholder a value
    params: tuple[object, ...]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_clause(query: AuditQuery, placeholder: str) -> Where:
    """The WHERE clause of a query's filters, in the driver's placeholder (`?`, `%s`)."""
    clauses: list[str] = []
    params: list[object] = []
    for column, op, value in (
        ("tenant", "=", query.tenant),
        ("decision", "=", query.decision),
        ("key_id", "=", query.key_id),
        ("ts", ">=", query.since),
        ("ts", "<", query.until),
        ("seq", "<", query.before),
    ):
        if value is not None:
            clauses.append(f"{column} {op} {placeholder}")
            params.append(value)
    if query.category is not None:
        # `categories` is comma-joined: match a whole item, never a prefix of another.
        clauses.append(f"(',' || categories || ',') LIKE {placeholder} ESCAPE '\\'")
        params.append(f"%,{_like(query.category)},%")
    return Where(" WHERE " + " AND ".join(clauses) if clauses else "", tuple(params))


class AuditReader(Protocol):
    """What readers of the audit use (the console, the watch, `audit tail`); both stores and
    the spooling store implement it. Blocking: run it in a thread from an event loop."""

    def query(self, query: AuditQuery) -> list[StoredRecord]: ...

    def get(self, seq: int) -> StoredRecord | None:
        """Row `seq`; None when there is no such row."""
        ...


class AuditStore(AuditReader, Protocol):
    """Durable storage of the chain: SQLite in the data directory, or PostgreSQL.

    Every method blocks: code on an event loop runs it in a thread (as BatchingRecorder does).
    """

    def append(self, records: Sequence[AuditRecord]) -> None:
        """Chain and commit `records` in one transaction; returns once they are durable."""
        ...

    def verify(self) -> VerifyReport: ...

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of row `seq`; None when there is no such row."""
        ...

    def close(self) -> None: ...


class Recorder(Protocol):
    """What the gateway calls; `durable=True` returns only once the record is committed."""

    async def record(self, record: AuditRecord, *, durable: bool = False) -> None: ...
