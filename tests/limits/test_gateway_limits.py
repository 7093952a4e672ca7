"""Rate limits through real gateways: two replicas sharing one Redis, one in-process gateway,
and a Redis killed under a running gateway."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sekimori.store.sqlite_keys import SqliteKeyStore
from sekimori.testing.procs import (
    ServerProcess,
    run_cli,
    start_fake_upstream,
    start_gateway,
)
from sekimori.testing.redis import start_redis, unique_prefix

RPM = 5
TENANTS = ("flood", "tokens", "quota", "slow", "open", "shut")
POLICY = f"""
policy:
  tenants:
    flood: {{limits: {{rpm: {RPM}}}}}
    tokens: {{limits: {{tpm: 40}}}}
    quota: {{limits: {{tokens_per_day: 10}}}}
    slow: {{limits: {{per_key: {{concurrent: 1}}}}}}
    open: {{limits: {{rpm: 3, when_unavailable: local}}}}
    shut: {{limits: {{rpm: 100, when_unavailable: closed}}}}
"""


@dataclass
class Replicas:
    gateways: list[ServerProcess]
    homes: list[Path]
    keys: dict[str, str]

    @property
    def urls(self) -> list[str]:
        return [g.url for g in self.gateways]

    def stop(self) -> None:
        for gateway in self.gateways:
            gateway.__exit__(None, None, None)  # stops it and closes its stderr file


@dataclass
class Timed:
    response: httpx.Response
    at: float  # time.time() when it arrived


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerProcess]:
    with start_fake_upstream() as server:
        yield server


def _replicas(tmp: Path, upstream: ServerProcess, limits: str, count: int) -> Replicas:
    # One key store shared by the replicas (as one database would be), one audit trail each.
    keys_home = tmp / "keys"
    keys_home.mkdir(mode=0o700)
    store = SqliteKeyStore(keys_home / "keys.db")  # in process: six `keys create` runs cost seconds
    keys = {t: store.create(t).key for t in TENANTS}
    store.close()
    homes, gateways = [], []
    for i in range(count):
        home = tmp / f"gw{i}"
        home.mkdir()
        (home / "keys.db").symlink_to(keys_home / "keys.db")
        config = home / "sekimori.yaml"
        config.write_text(
            f"upstreams: {{fake: {{url: '{upstream.url}'}}}}\nscreen: {{name: allow}}\n"
            f"{limits}\n{POLICY}",
            encoding="utf-8",
        )
        homes.append(home)
        gateways.append(start_gateway(home, "--config", str(config)))
    return Replicas(gateways, homes, keys)


@pytest.fixture(scope="module")
def shared(
    upstream: ServerProcess, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicas]:
    limits = f"limits: {{url: '{redis_url}', prefix: '{unique_prefix()}'}}"
    replicas = _replicas(tmp_path_factory.mktemp("shared"), upstream, limits, 2)
    yield replicas
    replicas.stop()


@pytest.fixture(scope="module")
def local(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    replicas = _replicas(tmp_path_factory.mktemp("local"), upstream, "", 1)
    yield replicas
    replicas.stop()


def _chat(model: str = "text:3", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hello there"}], **extra}


def _post(url: str, key: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions",
        json=body or _chat(),
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


async def _flood(urls: list[str], key: str, n: int) -> list[Timed]:
    auth = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(url: str) -> Timed:
            response = await client.post(f"{url}/v1/chat/completions", json=_chat(), headers=auth)
            return Timed(response, time.time())

        return list(await asyncio.gather(*(one(urls[i % len(urls)]) for i in range(n))))


def _check_flood(results: list[Timed]) -> None:
    admitted = [t for t in results if t.response.status_code == 200]
    refused = [t.response for t in results if t.response.status_code == 429]
    assert len(admitted) + len(refused) == len(results)
    # Fixed minute windows: each admitted request is placed in the window its reset header
    # points to, so a flood that straddles a minute boundary is judged per window.
    windows = Counter(
        round(t.at + float(t.response.headers["x-ratelimit-reset-requests"].rstrip("s"))) // 60
        for t in admitted
    )
    assert max(windows.values()) == RPM, windows
    assert all(count <= RPM for count in windows.values()), windows
    error = refused[0].json()["error"]
    assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests"
    assert "requests per minute" in error["message"] and "秒後に再試行" in error["message"]
    assert 1 <= int(refused[0].headers["retry-after"]) <= 60
    assert refused[0].headers["x-ratelimit-remaining-requests"] == "0"
    assert admitted[0].response.headers["x-ratelimit-limit-requests"] == str(RPM)


def test_two_replicas_sharing_redis_admit_exactly_n_under_a_flood(shared: Replicas) -> None:
    _check_flood(asyncio.run(_flood(shared.urls, shared.keys["flood"], 40)))


def test_one_in_process_gateway_admits_exactly_n_under_a_flood(local: Replicas) -> None:
    results = asyncio.run(_flood(local.urls, local.keys["flood"], 40))
    _check_flood(results)
    refused = sum(t.response.status_code == 429 for t in results)
    metrics = httpx.get(local.urls[0] + "/metrics").text
    assert f'sekimori_rate_limited_total{{measure="rpm"}} {refused}' in metrics


def _audit(home: Path) -> list[dict[str, Any]]:
    result = run_cli(home, "audit", "tail", "-n", "200", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_tokens_count_from_usage_then_refuse(shared: Replicas) -> None:
    key = shared.keys["tokens"]
    first = _post(shared.urls[0], key, _chat("text:50"))  # usage: 2 prompt + 50 completion
    assert first.status_code == 200 and first.headers["x-ratelimit-limit-tokens"] == "40"
    refused = _post(shared.urls[1], key)
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["type"]) == ("rate_limit_exceeded", "tokens")
    assert refused.headers["x-ratelimit-remaining-tokens"] == "0"


def test_streamed_answer_without_usage_is_estimated_against_the_daily_quota(
    shared: Replicas,
) -> None:
    key = shared.keys["quota"]
    streamed = _post(shared.urls[0], key, _chat("text:60", stream=True))  # no include_usage
    assert streamed.status_code == 200 and "[DONE]" in streamed.text
    refused = _post(shared.urls[1], key)
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == error["type"] == "insufficient_quota"
    assert "tokens per day" in error["message"]
    # The refusal is audited with its reason.
    record = [r for r in _audit(shared.homes[1]) if r["status"] == 429][-1]
    assert "tokens_per_day of tenant:quota reached" in record["reasons"]


def test_concurrency_is_counted_per_key_across_replicas(
    shared: Replicas, upstream: ServerProcess
) -> None:
    key = shared.keys["slow"]

    async def go() -> tuple[httpx.Response, httpx.Response]:
        auth = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(timeout=30) as client:
            seen = (await client.get(f"{upstream.url}/_fake/stats")).json()["requests"]
            slow = asyncio.ensure_future(
                client.post(
                    f"{shared.urls[0]}/v1/chat/completions",
                    json=_chat("text:3;first=2"),
                    headers=auth,
                )
            )
            # Once the upstream holds the slow request, it was admitted and holds the slot.
            while (await client.get(f"{upstream.url}/_fake/stats")).json()["requests"] == seen:
                await asyncio.sleep(0.05)
            second = await client.post(
                f"{shared.urls[1]}/v1/chat/completions", json=_chat(), headers=auth
            )
            return await slow, second

    slow, second = asyncio.run(go())
    assert slow.status_code == 200
    assert second.status_code == 429 and "concurrent requests" in second.json()["error"]["message"]
    assert _post(shared.urls[1], key).status_code == 200  # the lease ended with the slow answer


def test_redis_killed_under_a_running_gateway(upstream: ServerProcess, tmp_path: Path) -> None:
    redis = start_redis()
    limits = f"limits: {{url: '{redis.url}', timeout_s: 0.2}}"
    replicas = _replicas(tmp_path, upstream, limits, 1)
    try:
        url, home = replicas.urls[0], replicas.homes[0]
        keys = replicas.keys
        assert _post(url, keys["shut"]).status_code == 200
        assert _post(url, keys["open"]).status_code == 200
        redis.stop()
        closed = _post(url, keys["shut"])
        assert closed.status_code == 503, closed.text
        assert closed.json()["error"]["code"] == "rate_limits_unavailable"
        assert closed.headers["retry-after"] == "1"
        # Fallback: counted in this process from zero, so rpm 3 admits three more.
        fallback = [_post(url, keys["open"]).status_code for _ in range(4)]
        assert fallback == [200, 200, 200, 429]
        metrics = httpx.get(url + "/metrics").text
        assert 'sekimori_rate_limited_total{measure="store_unavailable"} 1' in metrics
        assert "sekimori_limits_local_total 4" in metrics
        records = _audit(home)
        local = [r for r in records if r["tenant"] == "open" and r["status"] == 200][-1]
        assert "counted in this process (when_unavailable: local)" in local["reasons"]
        shut = [r for r in records if r["tenant"] == "shut"][-1]
        assert shut["status"] == 503 and "refused (closed)" in shut["reasons"]
        replicas.stop()  # what was pending is written; the chain holds every request
        verify = run_cli(home, "audit", "verify")
        assert verify.returncode == 0 and "chain intact" in verify.stdout, verify.stdout
    finally:
        replicas.stop()
        redis.stop()


def test_reload_changes_limits_with_a_plain_proxy(upstream: ServerProcess, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    store = SqliteKeyStore(home / "keys.db")
    key = store.create("acme").key
    store.close()
    policy = tmp_path / "policy.yaml"
    policy.write_text("tenants: {acme: {limits: {rpm: 1}}}\n", encoding="utf-8")
    config = tmp_path / "sekimori.yaml"
    config.write_text(
        f"upstreams: {{fake: {{url: '{upstream.url}'}}}}\nscreen: {{name: allow}}\n"
        f"policy_file: {policy}\n",
        encoding="utf-8",
    )
    with start_gateway(home, "--config", str(config)) as gateway:
        assert _post(gateway.url, key).status_code == 200
        assert _post(gateway.url, key).status_code == 429
        policy.write_text("tenants: {acme: {limits: {rpm: 100}}}\n", encoding="utf-8")
        reloaded = httpx.post(gateway.url + "/admin/policy/reload")
        assert reloaded.status_code == 200 and reloaded.json()["source"] == str(policy)
        assert _post(gateway.url, key).headers["x-ratelimit-limit-requests"] == "100"
