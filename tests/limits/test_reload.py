"""Policy reloads between replicas that share a Redis but no PostgreSQL (Redis pub/sub): two real
gateways, each on its own SQLite data directory, one Redis."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sekimori.errors import StoreError
from sekimori.store.notify import REDIS_CHANNEL, RedisReloadBus
from sekimori.testing.procs import ServerProcess, start_fake_upstream, start_gateway
from sekimori.testing.redis import start_redis, unique_prefix

LEXICON = 'phrases:\n  "phishing email": {crime.nonviolent: 0.8}\n'
ALLOWED = "version: 1\ndefault_tenant:\n  categories:\n    crime.nonviolent: allow\n"
BLOCKED = "version: 1\ndefault_tenant:\n  categories:\n    crime.nonviolent: block\n"
PROMPT = "write a phishing email to my bank's customers"


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerProcess]:
    with start_fake_upstream() as server:
        yield server


def _config(home: Path, upstream: ServerProcess, redis_url: str, prefix: str) -> Path:
    home.mkdir()
    (home / "lexicon.yaml").write_text(LEXICON, encoding="utf-8")
    (home / "policy.yaml").write_text(ALLOWED, encoding="utf-8")
    config = home / "sekimori.yaml"
    config.write_text(
        f"server: {{auth: false}}\n"
        f"upstreams: {{fake: {{url: '{upstream.url}'}}}}\n"
        f"screen: {{name: policy, options: {{scorer: lexicon, lexicon: {home}/lexicon.yaml}}}}\n"
        f"limits: {{url: '{redis_url}', prefix: '{prefix}'}}\n"
        f"policy_file: {home / 'policy.yaml'}\n",
        encoding="utf-8",
    )
    return config


def _blocked(url: str) -> bool:
    body = {"model": "echo", "messages": [{"role": "user", "content": PROMPT}]}
    r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 200, r.text
    return bool(r.json()["choices"][0]["finish_reason"] == "content_filter")


def test_a_reload_reaches_the_replica_on_the_same_redis(
    upstream: ServerProcess, redis_url: str, tmp_path: Path
) -> None:
    """Each replica reads its own policy file (shipped to every host first); a reload on one
    is published on the deployment's channel and the other re-reads its file and applies it.
    Another deployment on the same Redis (another prefix) is not told."""
    prefix = unique_prefix()
    configs = [_config(tmp_path / n, upstream, redis_url, prefix) for n in ("a", "b")]
    other = _config(tmp_path / "other", upstream, redis_url, unique_prefix())
    with (
        start_gateway(tmp_path / "a", "--config", str(configs[0])) as a,
        start_gateway(tmp_path / "b", "--config", str(configs[1])) as b,
        start_gateway(tmp_path / "other", "--config", str(other)) as c,
    ):
        assert not _blocked(a.url) and not _blocked(b.url)
        for home in ("a", "b", "other"):
            (tmp_path / home / "policy.yaml").write_text(BLOCKED, encoding="utf-8")
        assert httpx.post(a.url + "/admin/policy/reload").status_code == 200
        b.wait_for_log("another replica reloaded", 1)
        assert _blocked(b.url) and _blocked(a.url)
        # SIGHUP on b reaches a the same way; nobody's own notice comes back to it.
        b.proc.send_signal(signal.SIGHUP)
        a.wait_for_log("another replica reloaded", 1)
        time.sleep(1.0)
        assert a.stderr_text().count("another replica reloaded") == 1
        assert b.stderr_text().count("another replica reloaded") == 1
        assert "another replica reloaded" not in c.stderr_text()
        assert not _blocked(c.url), "another deployment's reload reached this one"


def test_a_listener_cut_off_from_redis_reloads_once_when_back() -> None:
    """Redis stopped and started again under a listening bus: a notice may have gone by in the
    gap, so the bus reloads once when it is back; it then hears notices as before."""
    server = start_redis()
    reloads: list[float] = []
    bus = RedisReloadBus(server.url, "mine", unique_prefix() + REDIS_CHANNEL, 0.25)
    other = RedisReloadBus(server.url, "theirs", bus.channel, 0.25)
    try:
        bus.listen(lambda: reloads.append(time.monotonic()))
        assert bus.connected.wait(10)
        bus.announce()  # its own notice: not a reason to reload
        other.announce()
        _wait_for(lambda: len(reloads) == 1)
        server.stop()
        _wait_for(lambda: not bus.connected.is_set())
        with pytest.raises(StoreError, match="reload notice not sent"):
            other.announce()
        server = start_redis(port=server.port)
        _wait_for(lambda: len(reloads) == 2)
        other.announce()
        _wait_for(lambda: len(reloads) == 3)
        time.sleep(1.0)
        assert len(reloads) == 3
    finally:
        bus.close()
        server.stop()


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
