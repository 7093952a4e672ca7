"""Gateways on one PostgreSQL: two replicas share keys and one audit chain; a dead server loses
nothing (records spool on local disk and replay in order when it is back)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sekimori.audit.record import AuditQuery
from sekimori.store.postgres import PostgresAuditStore, PostgresSketchStore
from sekimori.store.sketches import WATCH_DB, all_sketches
from sekimori.testing.load import fire, keywords_config
from sekimori.testing.postgres import PostgresServer, start_postgres
from sekimori.testing.procs import (
    ProcessStartError,
    ServerProcess,
    run_cli,
    start_gateway,
)

pytestmark = [pytest.mark.integration]


def _config(home: Path, upstream: ServerProcess, url: str) -> Path:
    path = home / "c.yaml"
    path.write_text(keywords_config(upstream.url, store_url=url), encoding="utf-8")
    return path


async def _fire(
    urls: list[str], key: str, n: int, *, until: asyncio.Event | None = None
) -> dict[str, str]:
    return (await fire(urls, key, n, until=until)).answered


def test_two_gateways_share_keys_and_one_chain(
    upstream: ServerProcess, pg_url: str, tmp_path: Path
) -> None:
    homes = [tmp_path / "a", tmp_path / "b"]
    for home in homes:
        home.mkdir()
    created = run_cli(homes[0], "keys", "create", "--tenant", "acme", "--store", pg_url)
    key = created.stdout.strip().splitlines()[-1]
    with (
        start_gateway(homes[0], "--config", str(_config(homes[0], upstream, pg_url))) as a,
        start_gateway(homes[1], "--config", str(_config(homes[1], upstream, pg_url))) as b,
    ):
        answered = asyncio.run(_fire([a.url, b.url], key, 200))
        for gateway in (a, b):  # a clean stop writes what is pending
            assert gateway.stop(signal.SIGTERM) == -signal.SIGTERM
    store = PostgresAuditStore(pg_url)
    report = store.verify()
    records = store.query(AuditQuery(limit=1000))
    stored = {r.record.client_request_id: r.record.decision for r in records}
    store.close()
    assert report.ok, report.problems
    assert stored == answered and report.records == 200
    assert {"allow", "block", "flag"} <= set(answered.values())
    assert not (homes[0] / "audit.db").exists() and not (homes[1] / "keys.db").exists()
    # Each request's sketch is in the same database, keyed by its audit record's id.
    sketches = PostgresSketchStore(pg_url)
    sketched = {row.request_id for row in all_sketches(sketches)}
    sketches.close()
    assert sketched == {r.record.request_id for r in records}
    assert not (homes[0] / WATCH_DB).exists()


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own, to stop and start (never the shared one)."""
    try:
        server = start_postgres()
    except ProcessStartError as exc:
        pytest.skip(f"cannot start a throwaway PostgreSQL to stop: {exc}")
    yield server
    server.remove()


def test_a_dead_server_loses_no_decision(
    upstream: ServerProcess, own_server: PostgresServer, tmp_path: Path
) -> None:
    url = own_server.url
    created = run_cli(tmp_path, "keys", "create", "--tenant", "acme", "--store", url)
    key = created.stdout.strip().splitlines()[-1]
    config = _config(tmp_path, upstream, url)
    spool = tmp_path / "audit-spool.jsonl"
    with start_gateway(tmp_path, "--config", str(config)) as gateway:
        before = asyncio.run(_fire([gateway.url], key, 10))
        own_server.stop()
        # Blocks and flags are answered (the key cache keeps the keys it read), and kept on disk.
        during = asyncio.run(_fire([gateway.url], key, 10))
        assert spool.exists() and spool.stat().st_size > 0
        # Allowed requests' records are flushed within 50 ms of their answer: wait for all ten.
        # The deadline and the read timeout only bound a hang: a gateway at nice 19 behind
        # other jobs answers /metrics seconds late.
        deadline = time.monotonic() + 120
        while "\nsekimori_audit_spooled 10\n" not in (
            metrics := httpx.get(gateway.url + "/metrics", timeout=60).text
        ):
            assert time.monotonic() < deadline, metrics[-400:]
            time.sleep(0.1)
        own_server.start()
        after = asyncio.run(_fire([gateway.url], key, 5))  # the next write replays the spool
        assert gateway.stop(signal.SIGTERM) == -signal.SIGTERM
        assert "Traceback" not in gateway.stderr_text()
    assert spool.read_bytes() == b""
    store = PostgresAuditStore(url)
    report = store.verify()
    rows = store.query(AuditQuery(limit=1000))
    store.close()
    assert report.ok and report.records == 25, report.problems
    decisions = [r.record.decision for r in rows]
    expected = [*before.values(), *during.values(), *after.values()]
    assert sorted(decisions) == sorted(expected)
    assert decisions.count("block") == 5 and decisions.count("flag") == 5


def test_a_restart_under_load_loses_nothing(
    upstream: ServerProcess, own_server: PostgresServer, tmp_path: Path
) -> None:
    url = own_server.url
    created = run_cli(tmp_path, "keys", "create", "--tenant", "acme", "--store", url)
    key = created.stdout.strip().splitlines()[-1]
    with start_gateway(tmp_path, "--config", str(_config(tmp_path, upstream, url))) as gateway:

        async def scenario() -> dict[str, str]:
            restarted = asyncio.Event()
            load = asyncio.ensure_future(_fire([gateway.url], key, 100, until=restarted))
            await asyncio.sleep(1.0)
            # Broken connections mid-transaction, refused connects while it is down.
            await asyncio.to_thread(own_server.restart)
            restarted.set()
            return await load

        answered = asyncio.run(scenario())
        assert gateway.stop(signal.SIGTERM) == -signal.SIGTERM
        log = gateway.stderr_text()
    assert "audit spool replayed" in log, "the restart did not fall inside the load"
    store = PostgresAuditStore(url)
    report = store.verify()
    rows = store.query(AuditQuery(limit=1_000_000))
    store.close()
    assert report.ok, report.problems
    stored = [r.record.client_request_id for r in rows]
    assert sorted(stored) == sorted(answered), "records lost or written twice"


def test_a_policy_reload_reaches_every_replica(
    upstream: ServerProcess, pg_url: str, tmp_path: Path
) -> None:
    """Reload on one replica (admin request or SIGHUP): the others reload through NOTIFY; a
    supervisor's SIGHUP reaches its own workers once, the other replica once."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\n", encoding="utf-8")
    homes = [tmp_path / "a", tmp_path / "b"]
    starts = []
    for home in homes:
        home.mkdir()
        config = _config(home, upstream, pg_url)
        config.write_text(config.read_text() + f"policy_file: {policy}\n", encoding="utf-8")
        starts.append(("--config", str(config)))
    with (
        start_gateway(homes[0], *starts[0]) as a,
        start_gateway(homes[1], *starts[1], "--workers", "2") as b,
    ):
        b.wait_for_log("2 workers ready")
        assert httpx.post(a.url + "/admin/policy/reload").status_code == 200
        b.wait_for_log("another replica reloaded", 2)  # both workers, through NOTIFY
        b.proc.send_signal(signal.SIGHUP)
        a.wait_for_log("another replica reloaded", 1)
        b.wait_for_log("policy reloaded from", 4)
        time.sleep(1.0)  # nothing more comes: b's own notice is not echoed to its workers
        assert b.stderr_text().count("policy reloaded from") == 4
        assert a.stderr_text().count("policy reloaded from") == 2
