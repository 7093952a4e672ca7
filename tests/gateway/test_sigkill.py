"""A hard kill under load loses at most `audit.max_pending` allowed records and no block or flag.

The bound the README states is checked here: the gateway runs with a long flush interval and a
small pending limit so that the limit, not luck, is what keeps the loss small.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from sekimori.testing.procs import ServerProcess, create_key, run_cli, start_gateway
from tests.gateway.conftest import write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_PENDING = 20


async def _load(url: str, key: str, seconds: float) -> dict[str, str]:
    """8 workers send requests until time is up; returns request id -> decision of full answers."""
    done: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5, headers={"Authorization": f"Bearer {key}"}) as client:

        async def worker(w: int) -> None:
            i = 0
            while time.monotonic() < deadline:
                i += 1
                rid = f"w{w}-{i}"
                # mostly allowed requests, whose records wait in memory; 1 in 10 blocked or flagged
                word = {0: "forbidden-word", 5: "suspicious-word"}.get(i % 10, "plain")
                body = {"model": "echo", "messages": [{"role": "user", "content": f"a {word}"}]}
                try:
                    r = await client.post(
                        url + "/v1/chat/completions", json=body, headers={"x-request-id": rid}
                    )
                except httpx.HTTPError:
                    return  # the gateway is gone
                if r.status_code == 200:
                    done[rid] = r.headers["x-sekimori-decision"]

        await asyncio.gather(*(worker(w) for w in range(8)))
    return done


def test_sigkill_under_load_keeps_the_bound(upstream: ServerProcess, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        f"""
upstreams: {{fake: {{url: {upstream.url}}}}}
screen:
  name: keywords
  options: {{block: [forbidden-word], flag: [suspicious-word]}}
audit: {{flush_interval_ms: 5000, max_pending: {MAX_PENDING}}}
""",
    )
    key = create_key(tmp_path, "acme")

    with start_gateway(tmp_path, "--config", str(config)) as gateway:

        async def scenario() -> dict[str, str]:
            load = asyncio.ensure_future(_load(gateway.url, key, seconds=10))
            await asyncio.sleep(1.5)
            gateway.proc.send_signal(signal.SIGKILL)  # mid-load, no chance to flush
            return await load

        answered = asyncio.run(scenario())
        gateway.proc.wait(10)
    assert gateway.proc.returncode == -signal.SIGKILL
    with sqlite3.connect(tmp_path / "audit.db") as db:
        stored = {row[0] for row in db.execute("SELECT client_request_id FROM audit")}
    assert len(answered) > 3 * MAX_PENDING, "too little load to test anything"
    durable = {rid for rid, decision in answered.items() if decision in ("block", "flag")}
    assert durable, "no block or flag decisions under load"
    assert durable <= stored, f"lost durable records: {sorted(durable - stored)[:5]}"
    lost = set(answered) - stored
    assert len(lost) <= MAX_PENDING, f"lost {len(lost)} records, bound is {MAX_PENDING}"
    assert all(answered[rid] == "allow" for rid in lost)
    verify = run_cli(tmp_path, "audit", "verify")
    assert verify.returncode == 0, verify.stdout


def test_clean_shutdown_writes_every_pending_record(
    upstream: ServerProcess, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "c.yaml",
        f"upstreams: {{fake: {{url: {upstream.url}}}}}\n"
        "audit: {flush_interval_ms: 60000, max_pending: 1000}\n"
        "screen: {name: allow}\n",
    )
    key = create_key(tmp_path, "acme")
    with start_gateway(tmp_path, "--config", str(config)) as gateway:
        for i in range(30):
            r = httpx.post(
                gateway.url + "/v1/chat/completions",
                json={"model": "echo", "messages": [{"role": "user", "content": "x"}]},
                headers={"Authorization": f"Bearer {key}", "x-request-id": f"q{i}"},
            )
            assert r.status_code == 200
        # nothing flushed yet: the interval is a minute
        with sqlite3.connect(tmp_path / "audit.db") as db:
            assert db.execute("SELECT count(*) FROM audit").fetchone()[0] == 0
        # uvicorn shuts down cleanly, then re-raises the signal so the exit status still shows it
        assert gateway.stop(signal.SIGTERM) == -signal.SIGTERM
        assert "Traceback" not in gateway.stderr_text()
    with sqlite3.connect(tmp_path / "audit.db") as db:
        stored = {row[0] for row in db.execute("SELECT client_request_id FROM audit")}
    assert stored == {f"q{i}" for i in range(30)}
