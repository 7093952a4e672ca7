"""`sekimori migrate sqlite-to-postgres` loses nothing, keeps the chain, and the CLI reads both."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.gateway.keys import KeyCache, Principal
from sekimori.store.postgres import PostgresKeyStore
from sekimori.store.sqlite_keys import SqliteKeyStore
from sekimori.testing.procs import run_cli
from tests.store.test_postgres import record

pytestmark = [pytest.mark.integration]

N = 250


def test_migrate_copies_everything_and_the_chain_still_verifies(
    pg_url: str, tmp_path: Path
) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    for start in range(0, N, 50):
        store.append(
            [
                record(i, decision="block" if i % 7 == 0 else "allow")
                for i in range(start, start + 50)
            ]
        )
    store.close()
    keys = SqliteKeyStore(tmp_path / "keys.db")
    kept, revoked = keys.create("acme"), keys.create("beta")
    keys.revoke(revoked.info.key_id)
    before = keys.all_keys()
    keys.close()
    head = SqliteAuditStore(tmp_path / "audit.db").verify().head_hash

    moved = run_cli(tmp_path, "migrate", "sqlite-to-postgres", "--to", pg_url)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert f"copied 2 keys and {N} audit records" in moved.stdout
    assert "chain verified on the target" in moved.stdout

    target = run_cli(tmp_path, "audit", "verify", "--store", pg_url)
    assert target.returncode == 0 and f"{N} records" in target.stdout
    assert target.stdout.splitlines()[-1] == f"head {head}"  # the same chain, hash for hash
    env = {"SEKIMORI_STORE_URL": pg_url}
    tail = run_cli(tmp_path, "audit", "tail", "-n", "3", "--decision", "block", env=env).stdout
    assert [line.split()[-2] for line in tail.splitlines()] == ["r231", "r238", "r245"]
    listing = run_cli(tmp_path, "keys", "list", "--store", pg_url).stdout
    assert [line.split()[0] for line in listing.splitlines()[1:]] == [k.key_id for k in before]
    # The key made before the move works against the new store: its digest came across.
    cache = KeyCache(PostgresKeyStore(pg_url), check_interval=0)
    assert cache.authenticate(kept.key) == Principal("acme", kept.info.key_id)
    assert cache.authenticate(revoked.key) is None
    cache.close()

    again = run_cli(tmp_path, "migrate", "sqlite-to-postgres", "--to", pg_url)
    assert again.returncode == 1 and "migrate into an empty database" in again.stderr

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE audit SET tenant = 'someone-else' WHERE seq = 100")
    tampered = run_cli(tmp_path, "audit", "verify", "--store", pg_url)
    assert tampered.returncode == 1
    assert "row 100: contents do not match its hash (edited)" in tampered.stdout


def test_a_broken_source_chain_is_not_migrated(pg_url: str, tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    store.append([record(i) for i in range(10)])
    store.close()
    with sqlite3.connect(tmp_path / "audit.db") as db:
        db.execute("DELETE FROM audit WHERE seq = 4")
    result = run_cli(tmp_path, "migrate", "sqlite-to-postgres", "--to", pg_url)
    assert result.returncode == 1
    assert "source chain does not verify" in result.stderr and "Traceback" not in result.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM audit").fetchone() == (0,)


def test_an_unknown_store_url_is_named(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "audit", "verify", "--store", "mysql://db/x")
    assert result.returncode == 1
    assert "unknown store 'mysql://db/x'" in result.stderr and "postgresql://" in result.stderr
