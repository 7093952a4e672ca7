"""The gateway's limiter in process: scopes, headers, token counting, reload and Redis faults."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from sekimori.gateway.chat import Exchange, RequestIds, mint_id
from sekimori.gateway.errors import HttpError
from sekimori.gateway.keys import Principal
from sekimori.gateway.limiting import Limiter, used_tokens
from sekimori.gateway.parse import ChatRequest
from sekimori.settings import load_settings
from sekimori.sockets import free_port
from sekimori.types import Message

REQUEST = ChatRequest(
    model="m", stream=False, include_usage=False, messages=(Message("user", "x" * 40),), body={}
)


def _exchange(tenant: str = "acme", key: str = "0123456789ab") -> Exchange:
    ex = Exchange(Principal(tenant, key), REQUEST, RequestIds(mint_id()), time.perf_counter())
    ex.upstream = "fake"
    return ex


def _limiter(tmp_path: Path, policy: str, **limits: Any) -> Limiter:
    path = tmp_path / "policy.yaml"
    path.write_text(policy, encoding="utf-8")
    return Limiter(
        load_settings(overrides={"home": tmp_path, "policy_file": path, "limits": limits})
    )


def test_no_limits_anywhere_costs_nothing(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "tenants: {acme: {}}\n")
    assert not limiter.active
    assert asyncio.run(limiter.admit(_exchange())) is None


def test_key_limit_over_per_key_and_reload(tmp_path: Path) -> None:
    policy = "tenants:\n  acme:\n    limits: {per_key: {rpm: 5}, keys: {0123456789ab: {rpm: 1}}}\n"
    limiter = _limiter(tmp_path, policy)

    async def go() -> None:
        first = _exchange()
        assert await limiter.admit(first) is not None
        assert (b"x-ratelimit-limit-requests", b"1") in first.headers
        with pytest.raises(HttpError) as refused:
            await limiter.admit(_exchange())
        assert refused.value.status == 429 and refused.value.code == "rate_limit_exceeded"
        assert "key:0123456789ab" in refused.value.message
        assert await limiter.admit(_exchange(key="ba9876543210")) is not None  # per_key: 5
        (tmp_path / "policy.yaml").write_text("tenants: {acme: {}}\n", encoding="utf-8")
        limiter.reload()
        assert await limiter.admit(_exchange()) is None  # no limits any more

    asyncio.run(go())


def test_tokens_from_usage_else_estimated_never_for_refused_or_failed() -> None:
    ex = _exchange()
    ex.prompt_tokens, ex.completion_tokens = 7, 11
    assert used_tokens(ex) == 18
    ex = _exchange()
    ex.answer.append("y" * 80)  # no usage: 40 + 80 ASCII characters at 4 a token
    assert used_tokens(ex) == 30
    blocked = _exchange()
    blocked.blocked_at = "input"
    failed = _exchange()
    failed.status = 502
    assert used_tokens(blocked) == used_tokens(failed) == 0


def test_dead_redis_falls_back_or_fails_closed_per_tenant(tmp_path: Path) -> None:
    policy = (
        "tenants:\n  open: {limits: {rpm: 1}}\n"
        "  shut: {limits: {rpm: 1, when_unavailable: closed}}\n"
    )
    limiter = _limiter(tmp_path, policy, url=f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)

    async def go() -> None:
        ex = _exchange("open")
        grant = await limiter.admit(ex)
        assert grant is not None and grant.store is limiter.local
        assert any("counted in this process" in n for n in ex.notes)
        await limiter.settle(grant, ex)
        with pytest.raises(HttpError) as local_limit:
            await limiter.admit(_exchange("open"))
        assert local_limit.value.status == 429  # the local count holds the limit
        shut = _exchange("shut")
        with pytest.raises(HttpError) as closed:
            await limiter.admit(shut)
        assert closed.value.status == 503 and closed.value.code == "rate_limits_unavailable"
        assert (b"retry-after", b"1") in closed.value.headers
        assert any("refused (closed)" in n for n in shut.notes)
        await limiter.aclose()

    asyncio.run(go())
