"""`sekimori migrate sqlite-to-postgres` loses nothing, keeps the chain, and the CLI reads both."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.cli import main
from sekimori.gateway.keys import KeyCache, Principal
from sekimori.store.postgres import PostgresKeyStore, PostgresTenantStore
from sekimori.store.sqlite_keys import SqliteKeyStore
from sekimori.store.sqlite_tenants import SqliteTenantStore
from sekimori.testing.procs import run_cli
from tests.store.test_postgres import record

pytestmark = [pytest.mark.integration]

N = 250


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Ran]:
    """`sekimori ARGS` in this process (a process a call costs seconds here) with its data
    directory at tmp_path; the first migration below still runs as its own process."""
    monkeypatch.setenv("SEKIMORI_HOME", str(tmp_path))

    def run(*args: str) -> Ran:
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def test_migrate_copies_everything_and_the_chain_still_verifies(
    pg_url: str, tmp_path: Path, cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
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
    assert cli("tenants", "add", "acme", "--tier", "enterprise", "--rpm", "7").code == 0
    assert cli("tenants", "suspend", "acme").code == 0
    tenant = SqliteTenantStore(tmp_path / "keys.db").get("acme")
    head = SqliteAuditStore(tmp_path / "audit.db").verify().head_hash
    anchor = tmp_path / "anchor.json"
    assert cli("audit", "anchor", "--out", str(anchor)).code == 0  # taken before the move

    moved = run_cli(tmp_path, "migrate", "sqlite-to-postgres", "--to", pg_url)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert f"copied 2 keys, 1 tenants and {N} audit records" in moved.stdout
    assert "chain verified on the target" in moved.stdout

    target = cli("audit", "verify", "--store", pg_url, "--anchor", str(anchor))
    assert target.code == 0 and f"{N} records" in target.out
    assert "anchor ok" in target.out  # the hashes came across unchanged
    assert target.out.splitlines()[-1] == f"head {head}"  # the same chain, hash for hash
    with monkeypatch.context() as env:
        env.setenv("SEKIMORI_STORE_URL", pg_url)
        tail = cli("audit", "tail", "-n", "3", "--decision", "block").out
    assert [line.split()[-2] for line in tail.splitlines()] == ["r231", "r238", "r245"]
    listing = cli("keys", "list", "--store", pg_url).out
    assert [line.split()[0] for line in listing.splitlines()[1:]] == [k.key_id for k in before]
    # The key made before the move works against the new store: its digest came across.
    cache = KeyCache(PostgresKeyStore(pg_url), check_interval=0)
    assert cache.authenticate(kept.key) == Principal("acme", kept.info.key_id)
    assert cache.authenticate(revoked.key) is None
    cache.close()
    target_tenants = PostgresTenantStore(pg_url)
    assert tenant is not None and target_tenants.get("acme") == tenant  # suspended, as it was
    target_tenants.close()

    again = cli("migrate", "sqlite-to-postgres", "--to", pg_url)
    assert again.code == 1 and "migrate into an empty database" in again.err

    with psycopg.connect(pg_url, autocommit=True) as conn:  # cut the tail, fix up the head
        conn.execute("DELETE FROM audit WHERE seq = %s", (N,))
        conn.execute(
            "UPDATE audit_head SET seq = seq - 1, hash = (SELECT hash FROM audit WHERE seq = %s)",
            (N - 1,),
        )
    assert cli("audit", "verify", "--store", pg_url).code == 0  # the chain alone cannot see it
    cut = cli("audit", "verify", "--store", pg_url, "--anchor", str(anchor))
    assert cut.code == 1 and "TAMPERED" in cut.out
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE audit SET tenant = 'someone-else' WHERE seq = 100")
    tampered = cli("audit", "verify", "--store", pg_url)
    assert tampered.code == 1
    assert "row 100: contents do not match its hash (edited)" in tampered.out


def test_a_broken_source_chain_is_not_migrated(
    pg_url: str, tmp_path: Path, cli: Callable[..., Ran]
) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    store.append([record(i) for i in range(10)])
    store.close()
    with sqlite3.connect(tmp_path / "audit.db") as db:
        db.execute("DELETE FROM audit WHERE seq = 4")
    result = cli("migrate", "sqlite-to-postgres", "--to", pg_url)
    assert result.code == 1
    assert "source chain does not verify" in result.err and "Traceback" not in result.err
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM audit").fetchone() == (0,)


def test_an_unknown_store_url_is_named(cli: Callable[..., Ran]) -> None:
    result = cli("audit", "verify", "--store", "mysql://db/x")
    assert result.code == 1
    assert "unknown store 'mysql://db/x'" in result.err and "postgresql://" in result.err
