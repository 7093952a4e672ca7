"""`sekimori keys create|list|revoke`: tenants' API keys in the store (SQLite or PostgreSQL)."""

from __future__ import annotations

import argparse
import time

from sekimori.cli.stores import add_store_flags, backend
from sekimori.store.keys import KeyStore


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
    store = _store(args)
    new = store.create(args.tenant)
    store.close()
    print(f"created key {new.info.key_id} for tenant {new.info.tenant}; it is shown only once")
    print(
        f"テナント {new.info.tenant} のキー {new.info.key_id} を作成しました（表示は一度だけです）"
    )
    print(new.key)
    return 0


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
