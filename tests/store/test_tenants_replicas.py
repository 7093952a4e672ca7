"""Tenant rows across replicas: two gateways on one PostgreSQL and one Redis; a suspension and
a limit set once with `sekimori tenants --store` reach both, with no reload and no notice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sekimori.testing.load import keywords_config
from sekimori.testing.procs import ServerProcess, run_cli, start_gateway
from sekimori.testing.redis import redis_for_tests, unique_prefix
from tests.gateway.test_tenants_gateway import early_in_a_minute

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_for_tests() as url:
        yield url


def _status(url: str, key: str) -> int:
    body = {"model": "echo", "messages": [{"role": "user", "content": "hello"}]}
    auth = {"Authorization": f"Bearer {key}"}
    return httpx.post(url + "/v1/chat/completions", json=body, headers=auth, timeout=30).status_code


def _applied(replicas: list[ServerProcess], before: list[int]) -> None:
    """Each replica applied one more change of the rows."""
    for replica, count in zip(replicas, before, strict=True):
        replica.wait_for_log(" rows applied", count + 1)


def test_a_change_reaches_every_replica(
    upstream: ServerProcess, pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    def cli(*args: str) -> str:
        ran = run_cli(tmp_path, "tenants", *args, "--store", pg_url)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        return ran.stdout

    limits = f"limits: {{url: '{redis_url}', prefix: '{unique_prefix()}'}}\n"
    homes = [tmp_path / "a", tmp_path / "b"]
    configs = []
    for home in homes:
        home.mkdir()
        config = home / "c.yaml"
        config.write_text(keywords_config(upstream.url, store_url=pg_url, extra=limits), "utf-8")
        configs.append(config)
    made = run_cli(homes[0], "keys", "create", "--tenant", "acme", "--store", pg_url)
    key = made.stdout.strip().splitlines()[-1]
    with (
        start_gateway(homes[0], "--config", str(configs[0])) as a,
        start_gateway(homes[1], "--config", str(configs[1])) as b,
    ):
        replicas = [a, b]
        urls = [a.url, b.url]

        def counts() -> list[int]:
            return [r.stderr_text().count(" rows applied") for r in replicas]

        assert [_status(u, key) for u in urls] == [200, 200]  # a key without a row
        before = counts()
        cli("add", "acme", "--suspended")
        _applied(replicas, before)
        assert [_status(u, key) for u in urls] == [403, 403]
        before = counts()
        cli("resume", "acme")
        _applied(replicas, before)
        assert [_status(u, key) for u in urls] == [200, 200]
        # Counted in the shared Redis: 3 a minute for the tenant, whichever replica answers.
        before = counts()
        cli("set", "acme", "--rpm", "3")
        _applied(replicas, before)
        early_in_a_minute()
        answered = [_status(urls[i % 2], key) for i in range(8)]
        assert sorted(answered) == [200] * 3 + [429] * 5, answered
        for replica in replicas:
            assert "Traceback" not in replica.stderr_text()
