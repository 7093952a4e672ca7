"""`sekimori keys create|list|revoke`: tenants' API keys in the store (SQLite or PostgreSQL).

`keys create` for a suspended tenant still creates the key (suspension refuses requests, not
keys: an operator may prepare keys before resuming a tenant) and warns that it is refused until
the tenant is resumed. A tenant without a row is valid (it follows the policy file alone); when
the store holds rows for other tenants, a note says so, in case the name is misspelt.
"""

from __future__ import annotations

import argparse
import sys
import time

from sekimori.cli.stores import add_store_flags, backend
from sekimori.errors import StoreError
from sekimori.store.keys import KeyStore
from sekimori.store.tenants import Tenant, check_name


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("keys", help="manage API keys / API キーの管理")
    keys = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = keys.add_parser(
        "create", help="create a key; it is printed once, last / キーを作成（一度だけ表示）"
    )
    create.add_argument("--tenant", required=True, help="tenant name / テナント名")
    add_store_flags(create)
    create.set_defaults(func=_create)
    listing = keys.add_parser("list", help="list keys (never the secrets) / キー一覧")
    add_store_flags(listing)
    listing.set_defaults(func=_list)
    revoke = keys.add_parser("revoke", help="revoke a key by its id / キーを失効させる")
    revoke.add_argument("key_id", help="the id shown by `keys list` / キー ID")
    add_store_flags(revoke)
    revoke.set_defaults(func=_revoke)


def _store(args: argparse.Namespace) -> KeyStore:
    return backend(args).keys()


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _create(args: argparse.Namespace) -> int:
    stores = backend(args)
    check_name(args.tenant)
    tenants = stores.tenants()
    try:
        warning = _tenant_warning(args.tenant, tenants.all_tenants())
    except StoreError as exc:  # the key is still made: the rows only decide the warning
        warning = f"note: tenant rows not read, nothing checked: {exc} / テナント行を読めません"
    finally:
        tenants.close()
    store = stores.keys()
    new = store.create(args.tenant)
    store.close()
    if warning:
        print(warning, file=sys.stderr)
    print(f"created key {new.info.key_id} for tenant {new.info.tenant}; it is shown only once")
    print(
        f"テナント {new.info.tenant} のキー {new.info.key_id} を作成しました（表示は一度だけです）"
    )
    print(new.key)
    return 0


def _tenant_warning(tenant: str, rows: list[Tenant]) -> str:
    """What an operator should know about the tenant a key was made for ("" if nothing)."""
    row = next((t for t in rows if t.name == tenant), None)
    if row is not None and row.suspended:
        return (
            f"warning: tenant {tenant} is suspended: this key is refused (403 tenant_suspended) "
            f"until `sekimori tenants resume {tenant}`\n"
            f"警告: テナント {tenant} は停止中です。`sekimori tenants resume {tenant}` で再開する"
            f"まで、このキーは拒否されます（403 tenant_suspended）"
        )
    if row is None and rows:
        known = ", ".join(t.name for t in rows[:10]) + (" ..." if len(rows) > 10 else "")
        return (
            f"note: tenant {tenant} has no row in the store (rows: {known}); its key follows the "
            f"policy file alone. If the name is right, add a row with `sekimori tenants add "
            f"{tenant}` to give it a tier or limits\n"
            f"注: テナント {tenant} はストアに登録されていません（登録済み: {known}）。このキーは"
            f"ポリシーファイルだけに従います。名前の誤りでなければ `sekimori tenants add {tenant}` "
            f"で登録できます"
        )
    return ""


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    keys = store.all_keys()
    store.close()
    print(f"{'KEY ID':<14}{'TENANT':<24}{'CREATED':<21}REVOKED")
    for key in keys:
        print(f"{key.key_id:<14}{key.tenant:<24}{_when(key.created):<21}{_when(key.revoked)}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    store = _store(args)
    key = store.revoke(args.key_id)
    store.close()
    print(f"revoked key {key.key_id} of tenant {key.tenant} / キーを失効させました")
    return 0
