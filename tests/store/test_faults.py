"""Faults under load against real servers, each reporting what was lost (0 for block and flag,
a stated bound for allow) and verifying the chain afterwards:

- a replica SIGKILLed under load (two replicas on one PostgreSQL);
- a network partition between a replica and PostgreSQL (a network namespace whose link is cut:
  packets go nowhere, nothing refuses).

The others live beside what they break: PostgreSQL stopped and restarted under load in
test_gateway_postgres.py, Redis killed under a running gateway in
tests/limits/test_gateway_limits.py, a worker of `serve --workers N` killed in
tests/gateway/test_workers.py. docs/scale.md lists them all with their figures.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sekimori.audit.record import AuditQuery
from sekimori.store.postgres import PostgresAuditStore
from sekimori.testing.load import Load, fire, keywords_config
from sekimori.testing.netns import Namespace, network_namespace
from sekimori.testing.postgres import PostgresServer, start_postgres
from sekimori.testing.procs import (
    ProcessStartError,
    run_cli,
    start_fake_upstream,
    start_gateway,
    start_server,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MAX_PENDING = 1000  # audit.max_pending's default: what a killed process may take with it


def lost(load: Load, url: str) -> dict[str, str]:
    """The answered requests whose record is not in the chain (which must verify)."""
    store = PostgresAuditStore(url)
    try:
        report = store.verify()
        rows = store.query(AuditQuery(limit=1_000_000))
    finally:
        store.close()
    assert report.ok, report.problems
    stored = {r.record.client_request_id for r in rows}
    assert len(stored) == len(rows), "a record written twice"
    return {i: d for i, d in load.answered.items() if i not in stored}


def test_a_replica_killed_under_load_loses_no_block_or_flag(pg_url: str, tmp_path: Path) -> None:
    homes = [tmp_path / "a", tmp_path / "b"]
    with start_fake_upstream() as upstream:
        for home in homes:
            home.mkdir()
            (home / "c.yaml").write_text(keywords_config(upstream.url, store_url=pg_url))
        created = run_cli(homes[0], "keys", "create", "--tenant", "acme", "--store", pg_url)
        key = created.stdout.strip().splitlines()[-1]
        with (
            start_gateway(homes[0], "--config", str(homes[0] / "c.yaml")) as a,
            start_gateway(homes[1], "--config", str(homes[1] / "c.yaml")) as b,
        ):

            async def scenario() -> Load:
                killed = asyncio.Event()
                load = asyncio.ensure_future(
                    fire([a.url, b.url], key, 200, until=killed, tolerate=True)
                )
                await asyncio.sleep(1.5)
                b.proc.send_signal(signal.SIGKILL)
                await asyncio.sleep(1.0)  # the survivor carries on alone
                killed.set()
                return await load

            load = asyncio.run(scenario())
            assert a.stop(signal.SIGTERM) == -signal.SIGTERM
    missing = lost(load, pg_url)
    print(
        f"replica SIGKILL: {len(load.answered)} answered, {len(load.failed)} cut off, "
        f"{len(missing)} answered but not recorded (all allow)"
    )
    assert not {i: d for i, d in missing.items() if d != "allow"}, missing
    assert len(missing) <= MAX_PENDING
    assert load.failed, "the kill did not fall inside the load"


@pytest.fixture
def namespace() -> Iterator[Namespace]:
    try:
        with network_namespace() as ns:
            yield ns
    except ProcessStartError as exc:
        pytest.skip(f"no network namespace for a partition: {exc}")


@pytest.fixture
def reachable_server(namespace: Namespace) -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL on this side, listening on the link to the namespace too."""
    try:
        server = start_postgres()
    except ProcessStartError as exc:
        pytest.skip(f"cannot start a throwaway PostgreSQL: {exc}")
    with (server.data / "pg_hba.conf").open("a") as hba:
        hba.write(f"host all all {namespace.host_ip}/30 trust\n")  # both ends of the link
    server.listen = f"127.0.0.1,{namespace.host_ip}"
    server.restart()
    yield server
    server.remove()


def test_a_partition_from_the_database_loses_nothing(
    namespace: Namespace, reachable_server: PostgresServer, tmp_path: Path
) -> None:
    """The gateway runs in the namespace, PostgreSQL on this side; the link is cut for 15 s
    under load (longer on a starved machine, until a write has spooled). Writes in flight give
    up after the TCP user timeout (10 s), later ones after the connect timeout, and spool; the
    spool replays once the link is back."""
    ns = namespace
    url = f"postgresql://postgres@{ns.host_ip}:{reachable_server.port}/postgres"
    python = sys.executable
    upstream_argv = [python, "-m", "sekimori.testing.fake_upstream", "--port", "0"]
    with start_server(
        ns.command([*upstream_argv, "--host", ns.inside_ip]), host=ns.inside_ip
    ) as upstream:
        config = tmp_path / "c.yaml"
        config.write_text(keywords_config(upstream.url, store_url=url), encoding="utf-8")
        created = run_cli(tmp_path, "keys", "create", "--tenant", "acme", "--store", url)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[-1]
        serve = [python, "-m", "sekimori.cli", "serve", "--port", "0", "--host", ns.inside_ip]
        with start_server(
            ns.command([*serve, "--config", str(config)]),
            env={"SEKIMORI_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"},
            health_path="/readyz",
            host=ns.inside_ip,
            timeout=300,  # as start_gateway: only bounds a hang on a starved machine
        ) as gateway:

            async def spooled() -> None:
                """Until a write has given up and spooled: a write that starts later than 5 s
                into the cut (a starved gateway's can) outlives 15 s and succeeds once healed."""
                deadline = time.monotonic() + 120
                while "records spooled" not in gateway.stderr_text():
                    assert time.monotonic() < deadline, "no write failed in the partition"
                    await asyncio.sleep(0.2)

            async def scenario() -> Load:
                healed = asyncio.Event()
                load = asyncio.ensure_future(fire([gateway.url], key, 100, until=healed))
                await asyncio.sleep(1.0)
                ns.cut()
                try:
                    await asyncio.sleep(15.0)
                    await spooled()
                finally:
                    ns.heal()
                await asyncio.sleep(1.0)
                healed.set()
                return await load

            load = asyncio.run(scenario())
            assert gateway.stop(signal.SIGTERM) == -signal.SIGTERM
            log = gateway.stderr_text()
    assert "records spooled" in log, "the partition did not fall inside the load"
    assert "audit spool replayed" in log, log[-2000:]
    missing = lost(load, url)
    print(
        f"partition: {len(load.answered)} answered, {len(missing)} not recorded, "
        f"slowest answer {load.slowest:.1f} s"
    )
    assert not missing, missing
    assert {"allow", "block", "flag"} <= set(load.answered.values())
    assert not (tmp_path / "audit-spool.jsonl").stat().st_size
