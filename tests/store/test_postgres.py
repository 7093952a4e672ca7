"""The PostgreSQL stores against a real server: schema migrations, the chain, keys, writers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from sekimori.audit.record import AuditQuery, AuditRecord
from sekimori.errors import InputError, StoreError
from sekimori.gateway.keys import KeyCache
from sekimori.store.backend import open_backend, redact
from sekimori.store.migrations import MIGRATIONS
from sekimori.store.postgres import PostgresAuditStore, PostgresKeyStore, postgres_browser
from tests.audit.test_browse import check_browser

pytestmark = [pytest.mark.integration]


def record(i: int, tenant: str = "acme", decision: str = "allow") -> AuditRecord:
    return AuditRecord(
        ts=1_700_000_000.0 + i,
        request_id=f"r{i}",
        tenant=tenant,
        key_id="k",
        model="m",
        upstream="u",
        status=200,
        decision=decision,
        stream=i % 2 == 0,
        total_ms=1.25,
        prompt_tokens=i,
        reasons="because",
    )


def test_schema_is_applied_once_and_a_newer_one_is_refused(pg_url: str) -> None:
    PostgresAuditStore(pg_url).close()
    PostgresKeyStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert rows == [(m.version,) for m in MIGRATIONS]
        conn.execute("INSERT INTO schema_version (version, name) VALUES (99, 'future')")
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        PostgresAuditStore(pg_url)


def test_chain_query_and_tampering(pg_url: str) -> None:
    store = PostgresAuditStore(pg_url)
    store.append([record(i) for i in range(1, 6)])
    store.append([record(6, tenant="beta", decision="block"), record(7, decision="flag")])
    report = store.verify()
    assert report.ok and report.records == 7, report.problems
    assert [r.record.request_id for r in store.query(AuditQuery(limit=3))] == ["r5", "r6", "r7"]
    assert [r.seq for r in store.query(AuditQuery(tenant="beta"))] == [6]
    assert [r.seq for r in store.query(AuditQuery(decision="flag"))] == [7]
    since = store.query(AuditQuery(since=1_700_000_006.0, until=1_700_000_007.0))
    assert [r.seq for r in since] == [6]
    assert store.query(AuditQuery(limit=1))[0].record == record(7, decision="flag")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE audit SET decision = 'allow' WHERE seq = 6")
    problems = store.verify().problems
    assert problems == ("row 6: contents do not match its hash (edited)",)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE audit SET decision = 'block' WHERE seq = 6")
        conn.execute("DELETE FROM audit WHERE seq = 7")
    assert "the chain head is row 7 but the last row is 6" in store.verify().problems[0]
    store.close()


def test_a_failed_write_names_the_url_without_its_password() -> None:
    url = "postgresql://someone:s3cret@127.0.0.1:1/nowhere"
    assert redact(url) == "postgresql://someone:***@127.0.0.1:1/nowhere"
    with pytest.raises(StoreError) as caught:
        PostgresAuditStore(url)
    assert "someone:***@127.0.0.1:1" in str(caught.value)
    assert "s3cret" not in str(caught.value)


_WRITER = """
import sys
from sekimori.store.postgres import PostgresAuditStore
from tests.store.test_postgres import record
store = PostgresAuditStore(sys.argv[1])
w = int(sys.argv[2])
for batch in range(20):
    store.append([record(w * 1000 + batch * 10 + i, tenant=f"t{w}") for i in range(10)])
store.close()
"""


def test_three_writer_processes_keep_one_chain(pg_url: str) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, pg_url, str(w)]) for w in range(3)]
    assert [p.wait(120) for p in writers] == [0, 0, 0]
    store = PostgresAuditStore(pg_url)
    report = store.verify()
    assert report.ok and report.records == 600, report.problems
    for w in range(3):
        ids = [r.record.request_id for r in store.query(AuditQuery(limit=1000, tenant=f"t{w}"))]
        assert len(set(ids)) == 200  # each writer's own records, in its own order
        assert ids == sorted(ids, key=lambda s: int(s[1:]))
    store.close()


def test_keys_on_postgres_and_the_cache_sees_revocation(pg_url: str, tmp_path: Path) -> None:
    backend = open_backend(pg_url, tmp_path)
    store = backend.keys()
    cache = KeyCache(backend.keys(), check_interval=0)
    new = store.create("acme")
    principal = cache.authenticate(new.key)
    assert principal is not None and principal.tenant == "acme"
    assert cache.authenticate(new.key[:-1] + ("A" if new.key[-1] != "A" else "B")) is None
    assert [k.key_id for k in store.all_keys()] == [new.info.key_id]
    assert store.revoke(new.info.key_id).revoked is not None
    assert cache.authenticate(new.key) is None
    with pytest.raises(InputError, match="already revoked"):
        store.revoke(new.info.key_id)
    with pytest.raises(InputError, match="no key with id"):
        store.revoke("nope")
    with pytest.raises(InputError, match="--tenant"):
        store.create("no spaces")
    assert not (tmp_path / "keys.db").exists()  # nothing went to SQLite
    store.close()
    cache.close()


def test_console_browser_reads_the_same_on_postgresql(pg_url: str) -> None:
    store = PostgresAuditStore(pg_url)
    browser = postgres_browser(pg_url)
    try:
        check_browser(store, browser)
    finally:
        browser.close()
        store.close()
