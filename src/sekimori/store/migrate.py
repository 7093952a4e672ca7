"""`sekimori migrate sqlite-to-postgres`: copy keys, tenants and audit, then prove nothing was
lost.

Rows are copied verbatim (seq, links, hashes, key digests) into an empty database in one
transaction per table, so a failure leaves the target as it was. Afterwards the target's chain is
verified and its record count and head hash compared with the source's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sekimori.audit.record import VerifyReport
from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.errors import StoreError
from sekimori.home import AUDIT_DB, KEYS_DB
from sekimori.store.postgres import PostgresAuditStore, PostgresKeyStore, PostgresTenantStore
from sekimori.store.sqlite_keys import SqliteKeyStore
from sekimori.store.sqlite_tenants import SqliteTenantStore


@dataclass(frozen=True, slots=True)
class MigrationReport:
    keys: int
    records: int
    tenants: int
    source: VerifyReport
    target: VerifyReport


def sqlite_to_postgres(home: Path, url: str) -> MigrationReport:
    """Copy `home`'s keys.db and audit.db into the database at `url`; raises StoreError."""
    source_audit = SqliteAuditStore(home / AUDIT_DB)
    source_keys = SqliteKeyStore(home / KEYS_DB)
    target_audit = PostgresAuditStore(url)
    target_keys = PostgresKeyStore(url)
    source_tenants = SqliteTenantStore(home / KEYS_DB)
    target_tenants = PostgresTenantStore(url)
    try:
        before = source_audit.verify()
        if not before.ok:
            raise StoreError(
                f"audit {home / AUDIT_DB}: the source chain does not verify "
                f"({before.problems[0]}); hint: `sekimori audit verify` shows all / "
                "移行元の監査ログが検証に失敗しました"
            )
        keys = target_keys.import_keys(source_keys.rows())
        tenants = target_tenants.import_tenants(source_tenants.all_tenants())
        records = target_audit.import_chain(source_audit.scan())
        after = target_audit.verify()
    finally:
        stores = (source_audit, source_keys, target_audit, target_keys)
        for store in (*stores, source_tenants, target_tenants):
            store.close()
    return MigrationReport(keys=keys, records=records, tenants=tenants, source=before, target=after)
