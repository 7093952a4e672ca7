"""Tenant rows on both stores (SQLite in the data directory, a real PostgreSQL): changes move
the generation, removal is refused while keys are active, and concurrent changes all land.
`backend` (tests/store/conftest.py) runs each test on both."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from sekimori.errors import InputError, StoreError
from sekimori.limits.quota import Quota
from sekimori.store.backend import StoreBackend
from sekimori.store.postgres import PostgresBackend
from sekimori.store.tenants import Tenant, TenantStatus

pytestmark = [pytest.mark.integration]


def tenant(name: str = "acme", **changes: object) -> Tenant:
    row = Tenant(name, "Acme 株式会社", None, TenantStatus.ACTIVE, Quota(), Quota(), 1.0, 1.0)
    return replace(row, **changes)  # type: ignore[arg-type]


def test_rows_round_trip_and_every_change_moves_the_generation(backend: StoreBackend) -> None:
    store, other = backend.tenants(), backend.tenants()  # other: another process's connection
    start = other.generation()
    added = store.add(tenant(tier="research", limits=Quota(rpm=60), key_limits=Quota(tpm=900)))
    assert store.get("acme") == added and other.get("acme") == added
    assert other.generation() == start + 1
    assert store.get("nobody") is None
    assert other.generation() == start + 1  # reads move nothing
    with pytest.raises(InputError, match="already in the store"):
        store.add(tenant())
    assert other.generation() == start + 1  # a refused change neither

    changed = store.update("acme", lambda t: replace(t, status=TenantStatus.SUSPENDED, tier=None))
    assert changed.suspended and changed.tier is None and changed.created == 1.0
    assert changed.updated > 1.0 and changed.limits == Quota(rpm=60)
    assert other.get("acme") == changed and other.generation() == start + 2
    store.add(tenant("beta", display_name=""))
    assert [t.name for t in other.all_tenants()] == ["acme", "beta"]
    with pytest.raises(InputError, match="no tenant 'ghost'"):
        store.update("ghost", lambda t: t)
    assert store.remove("beta").name == "beta"
    with pytest.raises(InputError, match="no tenant 'beta'"):
        store.remove("beta")
    assert other.generation() == start + 4
    store.close()
    other.close()


def test_removal_is_refused_while_the_tenant_has_active_keys(backend: StoreBackend) -> None:
    keys, store = backend.keys(), backend.tenants()
    store.add(tenant())
    made = [keys.create("acme"), keys.create("acme")]
    with pytest.raises(InputError, match=r"2 active key\(s\).*revoke them first") as refused:
        store.remove("acme")
    assert made[0].info.key_id in str(refused.value) and "キー" in str(refused.value)
    for new in made:
        keys.revoke(new.info.key_id)
    store.remove("acme")  # revoked keys are history, not users of the row
    assert store.get("acme") is None
    # Keys may name tenants without a row, as before the table existed.
    assert keys.create("no-row").info.tenant == "no-row"
    keys.close()
    store.close()


def test_concurrent_changes_from_two_connections_all_land(backend: StoreBackend) -> None:
    stores = [backend.tenants(), backend.tenants()]
    stores[0].add(tenant(limits=Quota(rpm=0)))

    def one_more(t: Tenant) -> Tenant:
        return replace(t, limits=Quota(rpm=(t.limits.rpm or 0) + 1))

    def bump(i: int) -> None:
        for _ in range(25):
            stores[i].update("acme", one_more)

    threads = [threading.Thread(target=bump, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row = stores[0].get("acme")
    assert row is not None and row.limits.rpm == 50  # read, change and write in one transaction
    for store in stores:
        store.close()


def test_a_row_edited_by_hand_is_named_not_a_traceback(
    backend: StoreBackend, tmp_path: Path
) -> None:
    store = backend.tenants()
    store.add(tenant())
    sql = 'UPDATE tenants SET limits = \'{"tenant": {"rpm": -3}}\''
    if isinstance(backend, PostgresBackend):
        with psycopg.connect(backend.url, autocommit=True) as conn:
            conn.execute(sql)
    else:
        with sqlite3.connect(tmp_path / "keys.db") as db:
            db.execute(sql)
    with pytest.raises(StoreError, match="tenant 'acme' has an unreadable row"):
        store.get("acme")
    store.close()
