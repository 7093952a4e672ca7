"""Both limit stores against the same expectations; the Redis one against a real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import redis as redis_sync

from sekimori.errors import ConfigError
from sekimori.limits import (
    LimitStore,
    LimitsUnavailable,
    Measure,
    Quota,
    Scope,
    StoreOptions,
    open_limit_store,
)
from sekimori.limits.estimate import estimate_tokens
from sekimori.limits.redis import WINDOWS_LUA
from sekimori.limits.windows import month_of, windows
from sekimori.sockets import free_port
from sekimori.testing.redis import unique_prefix

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


@pytest.fixture(params=["memory", "redis"])
def make_store(request: pytest.FixtureRequest) -> Callable[..., LimitStore]:
    def make(**options: Any) -> LimitStore:
        if request.param == "memory":
            return open_limit_store(None, StoreOptions(**options))
        url = request.getfixturevalue("redis_url")
        return open_limit_store(url, StoreOptions(prefix=unique_prefix(), **options))

    return make


def test_rpm_admits_exactly_n_then_refuses_with_retry_after(make_store: Any) -> None:
    async def go() -> None:
        store = make_store()
        scopes = [Scope("tenant:a", Quota(rpm=3))]
        got = [await store.acquire(scopes, f"l{i}") for i in range(5)]
        assert [a.allowed for a in got] == [True, True, True, False, False]
        assert [a.requests.remaining for a in got if a.requests] == [2, 1, 0, 0, 0]
        refused = got[3]
        assert refused.refused is Measure.RPM and refused.refused.code == "rate_limit_exceeded"
        assert refused.refused_scope == "tenant:a"
        assert 0 < refused.retry_after <= 60
        await store.aclose()

    run(go())


def test_all_scopes_or_none_are_counted(make_store: Any) -> None:
    async def go() -> None:
        store = make_store()
        tenant = Scope("tenant:a", Quota(rpm=10))
        key = Scope("key:k1", Quota(rpm=1))
        assert (await store.acquire([tenant, key], "1")).allowed
        refused = await store.acquire([tenant, key], "2")
        assert not refused.allowed and refused.refused_scope == "key:k1"
        # The refusal counted nothing on the tenant: 9 more fit.
        other = Scope("key:k2", Quota())
        admitted = [(await store.acquire([tenant, other], str(i))).allowed for i in range(10)]
        assert admitted == [True] * 9 + [False]
        await store.aclose()

    run(go())


def test_tokens_per_minute_and_quotas(make_store: Any) -> None:
    async def go() -> None:
        store = make_store()
        tpm = [Scope("tenant:t", Quota(tpm=100))]
        first = await store.acquire(tpm, "1")
        assert first.allowed and first.tokens is not None and first.tokens.remaining == 100
        assert first.lease is not None
        await store.commit(first.lease, 120)
        refused = await store.acquire(tpm, "2")
        assert refused.refused is Measure.TPM and refused.tokens is not None
        assert refused.tokens.remaining == 0
        daily = [Scope("tenant:d", Quota(tokens_per_day=50))]
        admission = await store.acquire(daily, "3")
        assert admission.lease is not None
        await store.commit(admission.lease, 50)
        over = await store.acquire(daily, "4")
        assert over.refused is Measure.TOKENS_PER_DAY and over.refused.code == "insufficient_quota"
        assert 0 < over.retry_after <= 86_400
        monthly = [Scope("tenant:m", Quota(tokens_per_month=10))]
        admission = await store.acquire(monthly, "5")
        assert admission.lease is not None
        await store.commit(admission.lease, 11)
        assert (await store.acquire(monthly, "6")).refused is Measure.TOKENS_PER_MONTH
        await store.aclose()

    run(go())


def test_concurrency_counts_requests_in_flight(make_store: Any) -> None:
    async def go() -> None:
        store = make_store()
        scopes = [Scope("key:c", Quota(concurrent=2))]
        one, two = await store.acquire(scopes, "1"), await store.acquire(scopes, "2")
        third = await store.acquire(scopes, "3")
        assert one.allowed and two.allowed and third.refused is Measure.CONCURRENT
        assert one.lease is not None
        await store.commit(one.lease, 0)
        assert (await store.acquire(scopes, "4")).allowed
        await store.aclose()

    run(go())


def test_a_dead_replicas_leases_lapse_and_a_live_ones_are_renewed(redis_url: str) -> None:
    async def go() -> None:
        options = StoreOptions(prefix=unique_prefix(), lease_s=0.6)
        scopes = [Scope("key:c", Quota(concurrent=1))]
        alive = open_limit_store(redis_url, options)
        other = open_limit_store(redis_url, options)
        assert (await alive.acquire(scopes, "alive")).allowed
        # Past twice lease_s: only renewal keeps the slot (and the set holding it) alive.
        await asyncio.sleep(1.5)
        assert (await other.acquire(scopes, "x")).refused is Measure.CONCURRENT
        await alive.aclose()  # the replica dies: nothing renews, nothing releases
        await asyncio.sleep(0.8)
        assert (await other.acquire(scopes, "y")).allowed
        await other.aclose()

    run(go())


def test_redis_down_raises_unavailable_and_pauses(tmp_path: Any) -> None:
    async def go() -> None:
        store = open_limit_store(f"redis://127.0.0.1:{free_port()}/0", StoreOptions())
        scopes = [Scope("tenant:a", Quota(rpm=1))]
        with pytest.raises(LimitsUnavailable, match="Redis limit store failed"):
            await store.acquire(scopes, "1")
        with pytest.raises(LimitsUnavailable, match="paused"):
            await store.acquire(scopes, "2")
        await store.aclose()

    run(go())


def test_unknown_store_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"limits\.url.*unknown limit store 'mysql://x'"):
        open_limit_store("mysql://x", StoreOptions())


def test_lua_windows_match_python(redis_url: str) -> None:
    client = redis_sync.Redis.from_url(redis_url)
    script = client.register_script(WINDOWS_LUA + "return {month_of(tonumber(ARGV[1]))}")
    # Month ends, leap days, century rules, and today.
    days = [
        0,
        30,
        31,
        58,
        59,
        789,
        11_016,
        11_017,
        11_046,
        10_956,
        47_541,
        int(time.time() // 86_400),
    ]
    for day in days:
        assert tuple(script(args=[day])) == month_of(day), day
    current = client.register_script(WINDOWS_LUA + "return {minute, day, month}")
    minute, day, month = current()
    w = windows(time.time())
    assert (minute, day, month) == (w.minute, w.day, w.month) or w.minute_reset < 1
    client.close()


def test_token_estimate() -> None:
    assert estimate_tokens(["hello world!"]) == 3
    assert estimate_tokens(["日本語", "ab"]) == 4
    assert estimate_tokens([]) == 0
