"""The watch's sanctions on keys (throttle, suspend, hold for review), shared by every worker and
replica, lapsing on their own and lifted early by an operator (`sekimori watch lift`).

One entry a key: the strongest sanction in force, then the longest (`impose` keeps it so, in one
transaction or script). Where: Redis when the limits count there (`limits.url`: the hash
`<limits.prefix>watch:sanctions`, key id -> JSON), else the watch's database (`sanctions` in
watch.db, or the PostgreSQL table). A gateway process reads them all every second
(`watch/actions.py`): few keys are ever sanctioned, so the request path reads memory only.
Every method blocks: the gateway calls them in a thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import orjson

from sekimori.errors import ConfigError, StoreError
from sekimori.settings import Settings

if TYPE_CHECKING:
    from sekimori.store.backend import StoreBackend

SANCTIONS_HASH = "watch:sanctions"  # under the limits prefix
_RANK = {"throttle": 1, "hold_for_review": 2, "suspend": 3}


@dataclass(frozen=True, slots=True)
class SanctionRow:
    key_id: str
    tenant: str
    action: str  # a WatchAction value other than `alert`
    since: float  # epoch seconds: the alert that imposed it
    until: float
    detector: str
    reason_en: str
    reason_ja: str
    quota: Mapping[str, int]  # a throttle's figures (rpm, tpm, ...); empty otherwise

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self) | {"quota": dict(self.quota)})

    @classmethod
    def from_json(cls, data: str | bytes) -> SanctionRow:
        return cls(**orjson.loads(data))

    def outranks(self, other: SanctionRow | None, now: float) -> bool:
        """Whether this replaces `other` as the key's sanction: stronger, or as strong and longer
        (a lapsed one always)."""
        return (
            other is None
            or other.until <= now
            or (_RANK[self.action], self.until) > (_RANK[other.action], other.until)
        )


class SanctionStore(Protocol):
    def impose(self, row: SanctionRow, now: float) -> bool:
        """Keeps `row` unless a sanction that outranks it is in force; True when kept."""
        ...

    def active(self, now: float) -> list[SanctionRow]:
        """Every sanction in force at `now`."""
        ...

    def lift(self, key_id: str, now: float) -> SanctionRow | None:
        """Ends the key's sanction; what was in force, or None."""
        ...

    def close(self) -> None: ...


# Redis: one script a step, so concurrent imposers keep the strongest. ARGV: key id, JSON, now.
_IMPOSE_LUA = """
local now = tonumber(ARGV[3])
local new = cjson.decode(ARGV[2])
local rank = {throttle = 1, hold_for_review = 2, suspend = 3}
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local o = cjson.decode(old)
  if o['until'] > now and (rank[o.action] > rank[new.action]
      or (rank[o.action] == rank[new.action] and o['until'] >= new['until'])) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
-- lapsed entries go here, where writes already are; sanctions are few
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1])['until'] <= now then redis.call('HDEL', KEYS[1], all[i]) end
end
return 1
"""
_LIFT_LUA = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return old
"""


class RedisSanctionStore:
    def __init__(self, url: str, prefix: str, timeout_s: float) -> None:
        try:
            import redis
            from redis.exceptions import RedisError
        except ImportError:  # pragma: no cover - a declared dependency
            raise ConfigError("Redis needs the redis package: pip install redis") from None
        try:
            self._client: Any = redis.Redis.from_url(
                url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
            )
        except ValueError as exc:
            raise ConfigError(f"invalid Redis URL: {exc}", key="limits.url") from None
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self._hash = prefix + SANCTIONS_HASH
        self._impose = self._client.register_script(_IMPOSE_LUA)
        self._lift = self._client.register_script(_LIFT_LUA)
        self.where = f"Redis {self._hash}"

    def _call(self, step: Any, *args: Any) -> Any:
        try:
            return step(*args)
        except self._errors as exc:
            raise StoreError(f"watch sanctions in {self.where}: {exc}") from None

    def impose(self, row: SanctionRow, now: float) -> bool:
        args: list[str | bytes | float] = [row.key_id, row.to_json(), now]
        return bool(self._call(lambda: self._impose(keys=[self._hash], args=args)))

    def active(self, now: float) -> list[SanctionRow]:
        values = self._call(self._client.hvals, self._hash)
        rows = [SanctionRow.from_json(v) for v in values]
        return [r for r in rows if r.until > now]

    def lift(self, key_id: str, now: float) -> SanctionRow | None:
        old = self._call(lambda: self._lift(keys=[self._hash], args=[key_id]))
        row = None if old is None else SanctionRow.from_json(old)
        return row if row is not None and row.until > now else None

    def close(self) -> None:
        self._client.close()


def open_sanction_store(settings: Settings, backend: StoreBackend) -> SanctionStore:
    """Where this deployment keeps its sanctions: Redis beside the limits when they count there,
    else the watch's database in `backend` (shared by the workers of one data directory, and by
    replicas on PostgreSQL)."""
    url = settings.limits.url
    if url is not None and urlsplit(url).scheme in ("redis", "rediss", "unix"):
        return RedisSanctionStore(url, settings.limits.prefix, settings.limits.timeout_s)
    return backend.sketches()
