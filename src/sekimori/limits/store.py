"""The limit store protocol, its named results, and the registry that picks a store by URL.

A request is admitted against every scope that applies to it (its tenant, its key) at once:
either all of them have room and all are counted, or none is counted. Tokens are known only
after the answer, so `commit` adds them then (and ends the request's concurrency lease); a
request is admitted while the minute's, day's and month's token counts are below their limits,
so requests already in flight may together go over by their own size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from sekimori.errors import ConfigError, StoreError
from sekimori.limits.quota import Scope
from sekimori.registry import Registry


class Measure(StrEnum):
    """What ran out; each maps to the OpenAI error code a client expects."""

    RPM = "rpm"
    TPM = "tpm"
    CONCURRENT = "concurrent"
    TOKENS_PER_DAY = "tokens_per_day"
    TOKENS_PER_MONTH = "tokens_per_month"

    @property
    def code(self) -> str:
        quota = self in (Measure.TOKENS_PER_DAY, Measure.TOKENS_PER_MONTH)
        return "insufficient_quota" if quota else "rate_limit_exceeded"


class LimitsUnavailable(StoreError):
    """The shared limit store (Redis) could not be reached or failed."""


@dataclass(frozen=True, slots=True)
class Remaining:
    """For the x-ratelimit-* headers: the tightest scope's limit, what is left, and when the
    window ends (seconds)."""

    limit: int
    remaining: int
    reset: float


@dataclass(frozen=True, slots=True)
class Lease:
    """What `commit` needs: the scopes a request was admitted under and its concurrency lease."""

    scopes: tuple[Scope, ...]
    lease_id: str


@dataclass(frozen=True, slots=True)
class Admission:
    allowed: bool
    lease: Lease | None = None  # set when allowed
    refused: Measure | None = None  # set when not allowed
    refused_scope: str = ""
    retry_after: float = 0.0  # seconds until the refused measure has room again
    requests: Remaining | None = None  # None when no scope limits requests per minute
    tokens: Remaining | None = None  # None when no scope limits tokens per minute


class LimitStore(Protocol):
    async def acquire(self, scopes: Sequence[Scope], lease_id: str) -> Admission:
        """Admit one request against all `scopes` at once, or count nothing."""
        ...

    async def commit(self, lease: Lease, tokens: int) -> None:
        """Add the request's tokens to its scopes' counters and end its concurrency lease."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """Validated settings a store needs besides its URL (`settings.LimitsSettings`)."""

    prefix: str = "sekimori:limits:"
    lease_s: float = 30.0
    timeout_s: float = 0.25


StoreFactory = Callable[[str, StoreOptions], LimitStore]
LIMIT_STORES: Registry[StoreFactory] = Registry("limit store")


def open_limit_store(url: str | None, options: StoreOptions) -> LimitStore:
    """The store for `url` by its scheme (`memory://`, `redis://`, `rediss://`, `unix://`);
    None: in process."""
    import sekimori.limits.memory  # registers the built-ins
    import sekimori.limits.redis  # noqa: F401

    scheme = urlsplit(url).scheme if url else "memory"
    if scheme not in LIMIT_STORES:
        known = ", ".join(f"{n}://" for n in LIMIT_STORES.names())
        raise ConfigError(
            f"unknown limit store {url!r}; known: {known} (none: in process) / "
            "不明なレート制限ストアです",
            key="limits.url",
        )
    return LIMIT_STORES.get(scheme)(url or "memory://", options)


# A concurrency slot frees when some request ends, which no counter predicts: ask to retry soon.
CONCURRENT_RETRY_S = 1.0


def tightest(counts: Sequence[tuple[int | None, int]], reset: float) -> Remaining | None:
    """The scope with the least room, from (limit, used) pairs; None when none has a limit."""
    rooms = [(limit, max(0, limit - used)) for limit, used in counts if limit is not None]
    if not rooms:
        return None
    limit, room = min(rooms, key=lambda r: r[1])
    return Remaining(limit, room, reset)
