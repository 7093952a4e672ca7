"""Limits shared by every replica through Redis (or Valkey): one Lua script a step, so each
check-and-count is atomic on the server.

Windows are fixed, as in `windows.py`, but computed from the Redis server's clock (`TIME`), so
replicas whose clocks differ still count in the same windows. Keys, under the configured prefix:
`<scope>:r:<minute>` requests, `<scope>:t:<minute>` tokens, `<scope>:d:<day>` and
`<scope>:m:<month>` tokens, each expiring after its window; `<scope>:c` a sorted set of
concurrency leases scored by their expiry. A live request's lease is renewed every third of
`lease_s`; a replica that dies stops renewing, and its leases lapse within `lease_s`.

All keys of one request are built inside the scripts, so this runs on one Redis, not a cluster.
When Redis fails, the store raises `LimitsUnavailable` and stops trying for a second, so a dead
Redis costs one timeout a second, not one a request; the gateway then fails closed or falls back
to in-process limits, per the tenant's policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

from sekimori.errors import ConfigError
from sekimori.limits.quota import Scope
from sekimori.limits.store import (
    CONCURRENT_RETRY_S,
    LIMIT_STORES,
    Admission,
    Lease,
    LimitsUnavailable,
    Measure,
    StoreOptions,
    tightest,
)

log = logging.getLogger("sekimori.limits")

PAUSE_AFTER_FAILURE_S = 1.0
_NONE = -1  # "no limit" in script arguments

# Shared by the scripts: the current windows from the server's clock (see windows.py).
WINDOWS_LUA = """
local function month_of(day)
  -- civil date from a day number (H. Hinnant's algorithm), then the next month's first day
  local z = day + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  local lengths = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
  local len = lengths[m]
  if m == 2 and ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) then len = 29 end
  return y * 12 + m - 1, day - (d - 1) + len
end
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minute = math.floor(now_ms / 60000)
local day = math.floor(now_ms / 86400000)
local month, next_month_day = month_of(day)
local minute_reset = (minute + 1) * 60000 - now_ms
local day_reset = (day + 1) * 86400000 - now_ms
local month_reset = next_month_day * 86400000 - now_ms
"""

# KEYS: one base key a scope. ARGV: lease id, lease ms, then per scope rpm, tpm, concurrent,
# tokens/day, tokens/month (-1: none). Returns {allowed, measure (1-5), retry ms, scope index,
# minute reset ms, then per scope its request and token counts this minute}.
ACQUIRE_LUA = (
    WINDOWS_LUA
    + """
local lease, lease_ms = ARGV[1], tonumber(ARGV[2])
local counts = {}
local refused = nil
for i, base in ipairs(KEYS) do
  local o = 2 + (i - 1) * 5
  local rpm, tpm, conc = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  local per_day, per_month = tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
  local r = tonumber(redis.call('GET', base .. ':r:' .. minute) or '0')
  local tk = tonumber(redis.call('GET', base .. ':t:' .. minute) or '0')
  counts[i] = {r, tk}
  if not refused then
    if rpm >= 0 and r >= rpm then
      refused = {1, minute_reset, i}
    elseif tpm >= 0 and tk >= tpm then
      refused = {2, minute_reset, i}
    elseif per_day >= 0 and
        tonumber(redis.call('GET', base .. ':d:' .. day) or '0') >= per_day then
      refused = {4, day_reset, i}
    elseif per_month >= 0 and
        tonumber(redis.call('GET', base .. ':m:' .. month) or '0') >= per_month then
      refused = {5, month_reset, i}
    elseif conc >= 0 then
      redis.call('ZREMRANGEBYSCORE', base .. ':c', '-inf', now_ms)
      if redis.call('ZCARD', base .. ':c') >= conc then refused = {3, -1, i} end
    end
  end
end
local out
if refused then
  out = {0, refused[1], refused[2], refused[3], minute_reset}
else
  for i, base in ipairs(KEYS) do
    local key = base .. ':r:' .. minute
    counts[i][1] = redis.call('INCR', key)
    if counts[i][1] == 1 then redis.call('PEXPIRE', key, minute_reset + 1000) end
    if tonumber(ARGV[2 + (i - 1) * 5 + 3]) >= 0 then
      redis.call('ZADD', base .. ':c', now_ms + lease_ms, lease)
      redis.call('PEXPIRE', base .. ':c', lease_ms * 2)
    end
  end
  out = {1, 0, 0, 0, minute_reset}
end
for i = 1, #KEYS do
  out[#out + 1] = counts[i][1]
  out[#out + 1] = counts[i][2]
end
return out
"""
)

# KEYS: base keys. ARGV: lease id, tokens, then per scope: counts tokens (0/1), has a lease (0/1).
COMMIT_LUA = (
    WINDOWS_LUA
    + """
local lease, tokens = ARGV[1], tonumber(ARGV[2])
local function add(key, ttl_ms)
  if redis.call('INCRBY', key, tokens) == tokens then redis.call('PEXPIRE', key, ttl_ms) end
end
for i, base in ipairs(KEYS) do
  if ARGV[1 + i * 2] == '1' and tokens > 0 then
    add(base .. ':t:' .. minute, minute_reset + 1000)
    add(base .. ':d:' .. day, day_reset + 1000)
    add(base .. ':m:' .. month, month_reset + 1000)
  end
  if ARGV[2 + i * 2] == '1' then redis.call('ZREM', base .. ':c', lease) end
end
return 1
"""
)

# KEYS: base keys; ARGV: lease ms, then the lease id for each key. The set itself lives on
# too, or a request longer than its expiry would take every other lease with it.
RENEW_LUA = """
local t = redis.call('TIME')
local lease_ms = tonumber(ARGV[1])
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + lease_ms
for i, base in ipairs(KEYS) do
  redis.call('ZADD', base .. ':c', 'XX', until_ms, ARGV[i + 1])
  redis.call('PEXPIRE', base .. ':c', lease_ms * 2)
end
return 1
"""
RENEW_BATCH = 500  # leases renewed per script call

_MEASURES = {
    1: Measure.RPM,
    2: Measure.TPM,
    3: Measure.CONCURRENT,
    4: Measure.TOKENS_PER_DAY,
    5: Measure.TOKENS_PER_MONTH,
}


def _arg(limit: int | None) -> int:
    return _NONE if limit is None else limit


class RedisLimitStore:
    def __init__(self, url: str, options: StoreOptions) -> None:
        try:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import RedisError
        except ImportError:  # pragma: no cover - a declared dependency
            raise ConfigError(
                "Redis limits need the redis package: pip install redis", key="limits.url"
            ) from None
        try:
            self._client: Any = aioredis.Redis.from_url(
                url,
                socket_timeout=options.timeout_s,
                socket_connect_timeout=options.timeout_s,
                # One retry replaces a pooled connection that a Redis restart closed; more
                # would only stall requests while Redis is down.
                retry=Retry(NoBackoff(), 1),
            )
        except ValueError as exc:
            raise ConfigError(f"invalid Redis URL: {exc}", key="limits.url") from None
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self._prefix = options.prefix
        self._lease_ms = int(options.lease_s * 1000)
        self._renew_every = options.lease_s / 3
        self._acquire = self._client.register_script(ACQUIRE_LUA)
        self._commit = self._client.register_script(COMMIT_LUA)
        self._renew = self._client.register_script(RENEW_LUA)
        self._leases: dict[str, list[str]] = {}  # live lease id -> its base keys
        self._renewer: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self.url = url

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """Runs one script; every failure becomes LimitsUnavailable (one place maps errors)."""
        if time.monotonic() < self._paused_until:
            raise LimitsUnavailable("Redis limits paused after a failure a moment ago")
        try:
            return await script(keys=keys, args=args)
        except self._errors as exc:
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            raise LimitsUnavailable(f"Redis limit store failed: {exc}") from None

    async def acquire(self, scopes: Sequence[Scope], lease_id: str) -> Admission:
        keys = [self._prefix + s.key for s in scopes]
        args: list[Any] = [lease_id, self._lease_ms]
        for s in scopes:
            q = s.quota
            args += [
                _arg(q.rpm),
                _arg(q.tpm),
                _arg(q.concurrent),
                _arg(q.tokens_per_day),
                _arg(q.tokens_per_month),
            ]
        reply = [int(v) for v in await self._run(self._acquire, keys, args)]
        allowed, code, retry_ms, index, reset_ms = reply[:5]
        counts = reply[5:]
        reset = reset_ms / 1000
        requests = tightest([(s.quota.rpm, counts[2 * i]) for i, s in enumerate(scopes)], reset)
        tokens = tightest([(s.quota.tpm, counts[2 * i + 1]) for i, s in enumerate(scopes)], reset)
        if not allowed:
            return Admission(
                False,
                refused=_MEASURES[code],
                refused_scope=scopes[index - 1].key,
                retry_after=CONCURRENT_RETRY_S if retry_ms < 0 else retry_ms / 1000,
                requests=requests,
                tokens=tokens,
            )
        leased = [k for k, s in zip(keys, scopes, strict=True) if s.quota.concurrent is not None]
        if leased:
            self._leases[lease_id] = leased
            if self._renewer is None or self._renewer.done():
                self._renewer = asyncio.ensure_future(self._renew_leases())
        return Admission(
            True, lease=Lease(tuple(scopes), lease_id), requests=requests, tokens=tokens
        )

    async def commit(self, lease: Lease, tokens: int) -> None:
        self._leases.pop(lease.lease_id, None)
        keys = [self._prefix + s.key for s in lease.scopes]
        args: list[Any] = [lease.lease_id, max(0, tokens)]
        for s in lease.scopes:
            args += [int(s.quota.counts_tokens), int(s.quota.concurrent is not None)]
        await self._run(self._commit, keys, args)

    async def _renew_leases(self) -> None:
        while self._leases:
            await asyncio.sleep(self._renew_every)
            pairs = [(k, lease) for lease, keys in list(self._leases.items()) for k in keys]
            for start in range(0, len(pairs), RENEW_BATCH):
                batch = pairs[start : start + RENEW_BATCH]
                try:
                    await self._renew(
                        keys=[k for k, _ in batch], args=[self._lease_ms, *(i for _, i in batch)]
                    )
                except self._errors as exc:
                    # Lapsed leases only let more requests in; the next acquire reports Redis.
                    log.warning("could not renew concurrency leases: %s", exc)
                    break

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self._client.aclose()


def _redis(url: str, options: StoreOptions) -> RedisLimitStore:
    return RedisLimitStore(url, options)


for _scheme in ("redis", "rediss", "unix"):
    LIMIT_STORES.register(_scheme)(_redis)
