"""The shared verdict cache (`screen.shared_cache`) between real gateways on one Redis.

Replica `a` starts with a lexicon that scores the system prompt's phrase as a chemical weapon;
the file is then rewritten with no phrases before `b` and `c` start, so `b` blocks that prompt
only if it took `a`'s verdict from Redis rather than scoring it itself. `c` has other screen
settings (another generation), so it must score for itself, as must `b` for another tenant.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
import redis

from sekimori.errors import ConfigError
from sekimori.gateway.screening.screen import PolicyScreen
from sekimori.home import AUDIT_KEY, secret_key
from sekimori.settings import Settings
from sekimori.sockets import free_port
from sekimori.store.sqlite_keys import SqliteKeyStore
from sekimori.testing.procs import ServerProcess, start_fake_upstream, start_gateway
from sekimori.testing.redis import forget_run_keys, redis_for_tests, unique_prefix

SYSTEM = "You are the plant's assistant. Reference code: nerve-agent-route-7."
HARMFUL_LEXICON = 'phrases:\n  "nerve-agent-route-7": {weapons.chem: 0.97}\n'


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_for_tests() as url:
        yield url
        forget_run_keys(url)


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerProcess]:
    with start_fake_upstream() as server:
        yield server


def _chat(url: str, key: str, user: str) -> bool:
    """True when the gateway blocked the request."""
    body = {
        "model": "echo",
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
    }
    r = httpx.post(
        f"{url}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return bool(r.json()["choices"][0]["finish_reason"] == "content_filter")


def _work(gateway: ServerProcess) -> dict[str, float]:
    prefix = 'sekimori_screen_work{state="'
    text = httpx.get(gateway.url + "/metrics").text
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_replicas_share_verdicts_per_tenant_and_generation(
    upstream: ServerProcess, redis_url: str, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    store = SqliteKeyStore(shared / "keys.db")
    keys = {t: store.create(t).key for t in ("acme", "other")}
    store.close()
    secret_key(shared / AUDIT_KEY)  # one audit.key for every replica, as docs/store.md asks
    lexicon = shared / "lexicon.yaml"
    lexicon.write_text(HARMFUL_LEXICON, encoding="utf-8")
    prefix = unique_prefix()

    def start(name: str, extra: str = "", cache_url: str = redis_url) -> ServerProcess:
        home = tmp_path / name
        home.mkdir()
        (home / "keys.db").symlink_to(shared / "keys.db")
        shutil.copy(shared / AUDIT_KEY, home / AUDIT_KEY)
        config = home / "sekimori.yaml"
        # Generous timeouts: on a starved machine a late score must not become on_error's block,
        # nor a late Redis write a skipped one (the test is about what is shared, not speed).
        config.write_text(
            f"upstreams: {{fake: {{url: '{upstream.url}'}}}}\n"
            f"screen:\n  name: policy\n"
            f"  options: {{scorer: lexicon, lexicon: {lexicon}, timeout_s: 60{extra}}}\n"
            f"  shared_cache: {{enabled: true, url: '{cache_url}', prefix: '{prefix}', "
            "timeout_s: 5}\n",
            encoding="utf-8",
        )
        return start_gateway(home, "--config", str(config))

    with start("a") as a:
        assert _chat(a.url, keys["acme"], "hello")
    lexicon.write_text("phrases: {}\n", encoding="utf-8")  # the others find nothing harmful
    with start("b") as b:
        # b takes a's verdict on the system prompt from Redis; the new user turn is its own.
        assert _chat(b.url, keys["acme"], "what is on the menu today?")
        assert _work(b)["shared_hits"] >= 1
    with start("d") as d:
        # Another tenant never reads acme's entries: d scores the text itself and allows it.
        assert not _chat(d.url, keys["other"], "hello")
        assert _work(d)["shared_hits"] == 0
    with start("c", extra=", whole_chars: 1400") as c:
        # Other screen settings are another generation: c scores it itself.
        assert not _chat(c.url, keys["acme"], "hello")
        assert _work(c)["shared_hits"] == 0
    with start("dead", cache_url=f"redis://127.0.0.1:{free_port()}/0") as dead:
        # A Redis that is not there is skipped: the request is scored here and answered.
        assert not _chat(dead.url, keys["acme"], "hello")
        assert _work(dead)["shared_skipped"] >= 1
    # Values not signed with the replicas' secret are ignored, not believed: each is made to say
    # "chemical weapon", which would block if it were read.
    client = redis.Redis.from_url(redis_url)
    written = list(client.scan_iter(match=prefix + "*"))
    assert written, "nothing was shared"
    stored = b"".join(k + cast(bytes, client.get(k)) for k in written)
    assert b"nerve-agent" not in stored and b"hello" not in stored, "text stored"
    forged = b'{"harmful":true,"score":0.99,"categories":{"weapons.chem":0.99},"top":null,'
    forged += b'"lang":"en","source":"x"}'
    for key in written:
        client.set(key, b"\x00" * 16 + forged)
    client.close()
    with start("e") as e:
        assert not _chat(e.url, keys["acme"], "hello")
        assert _work(e)["shared_rejected"] >= 1


def _settings(home: Path, shared_cache: dict[str, object], limits_url: str | None) -> Settings:
    lexicon = home / "lexicon.yaml"
    lexicon.write_text("phrases: {}\n", encoding="utf-8")
    screen = {
        "options": {"scorer": "lexicon", "lexicon": str(lexicon)},
        "shared_cache": shared_cache,
    }
    return Settings.model_validate({"home": home, "screen": screen, "limits": {"url": limits_url}})


def test_a_shared_cache_with_no_redis_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a Redis") as caught:
        PolicyScreen(_settings(tmp_path, {"enabled": True}, None))
    assert caught.value.key == "screen.shared_cache.url"


@pytest.mark.parametrize(
    ("shared_cache", "limits_url", "on"),
    [
        ({}, "redis://127.0.0.1:6379/0", True),  # a Redis for limits: shared by default
        ({}, None, False),  # no Redis: nothing to share through
        ({"enabled": False}, "redis://127.0.0.1:6379/0", False),
        ({"url": "redis://127.0.0.1:6379/0"}, None, True),
    ],
)
def test_the_shared_cache_is_on_where_there_is_a_redis(
    tmp_path: Path, shared_cache: dict[str, object], limits_url: str | None, on: bool
) -> None:
    screen = PolicyScreen(_settings(tmp_path, shared_cache, limits_url))
    try:
        assert (screen.shared is not None) is on
    finally:
        screen.close()


def test_a_shared_verdict_keeps_the_scores_that_may_be_sure(redis_url: str) -> None:
    """`Verdict.certain` travels with the verdict: a replica that read it from Redis holds what
    the replica that scored it held, rather than blocking on a passage's sentence."""
    import asyncio

    from sekimori.gateway.screening.shared import SharedVerdicts
    from sekimori.settings import SharedCacheSettings
    from sekimori.types import Verdict

    certain = Verdict(False, 0.2, {"crime.violent": 0.3})
    verdict = Verdict(True, 0.9, {"crime.violent": 0.8}, "crime.violent", certain=certain)
    plain = Verdict(False, 0.1, {"crime.violent": 0.1})
    options = SharedCacheSettings(prefix=unique_prefix())

    async def roundtrip() -> dict[bytes, Verdict]:
        writer = SharedVerdicts(options, redis_url, b"secret", b"gen")
        writer.put("acme", {b"a": verdict, b"b": plain})
        await writer.aclose()  # waits for the background write
        reader = SharedVerdicts(options, redis_url, b"secret", b"gen")
        try:
            return await reader.get("acme", [b"a", b"b"])
        finally:
            await reader.aclose()

    found = asyncio.run(roundtrip())
    assert found[b"a"].certain is not None
    assert found[b"a"].certain.categories == {"crime.violent": 0.3}
    assert found[b"a"].categories == {"crime.violent": 0.8}
    assert found[b"b"].certain is None
