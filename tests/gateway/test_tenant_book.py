"""The gateway's tenant rows in memory (`TenantBook`) over a real SQLite store: re-read only
when the generation moves, kept as last read while the store fails, and the 403 it answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sekimori.errors import StoreError
from sekimori.gateway.errors import HttpError
from sekimori.gateway.tenants import TenantBook
from sekimori.limits.quota import Quota
from sekimori.policy import TenantOverride
from sekimori.store.sqlite_tenants import SqliteTenantStore
from sekimori.store.tenants import Tenant, TenantStatus


def _row(name: str, status: TenantStatus = TenantStatus.ACTIVE) -> Tenant:
    return Tenant(name, "", "enterprise", status, Quota(rpm=5), Quota(), 1.0, 1.0)


def test_rows_are_read_when_they_change_and_kept_when_the_store_fails(tmp_path: Path) -> None:
    writer = SqliteTenantStore(tmp_path / "keys.db")  # `sekimori tenants` in another process
    book = TenantBook(SqliteTenantStore(tmp_path / "keys.db"))
    assert book.refresh() and book.rows == {}
    book.check("acme")  # no row: served
    writer.add(_row("acme", TenantStatus.SUSPENDED))
    assert book.refresh() and not book.refresh()  # read once per change
    assert book.overrides() == (TenantOverride("acme", "enterprise", Quota(rpm=5), Quota()),)
    with pytest.raises(HttpError) as refused:
        book.check("acme")
    assert refused.value.status == 403 and refused.value.code == "tenant_suspended"
    assert refused.value.type == "permission_error" and "停止" in refused.value.message
    book.check("other")

    with sqlite3.connect(tmp_path / "keys.db") as db:  # the store breaks under the book
        db.execute("DROP TABLE tenant_generation")
    with pytest.raises(StoreError, match=r"keys\.db"):
        book.refresh()
    with pytest.raises(HttpError):  # the rows last read stay in force
        book.check("acme")
    writer.close()
    book.close()
