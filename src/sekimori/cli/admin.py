"""`sekimori admin add|list|remove`: the console's admin accounts (scrypt, data directory)."""

from __future__ import annotations

import argparse
import getpass
import sys

from sekimori.console.accounts import Accounts
from sekimori.errors import InputError
from sekimori.home import home_dir


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "admin",
        help="admin accounts of the web console / 管理コンソールのアカウント",
        description="Accounts that may log in to the console at /admin (the gateway also accepts "
        "server.admin_token). 管理コンソール (/admin) にログインできるアカウントを管理します。",
    )
    admin = parser.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    add = admin.add_parser("add", help="add an account or set its password / アカウントを追加")
    add.add_argument("name", help="account name / アカウント名")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of asking / 標準入力から読む",
    )
    add.set_defaults(func=_add)
    listing = admin.add_parser("list", help="list accounts / アカウント一覧")
    listing.set_defaults(func=_list)
    remove = admin.add_parser("remove", help="remove an account / アカウントを削除")
    remove.add_argument("name", help="account name / アカウント名")
    remove.set_defaults(func=_remove)


def _add(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password / パスワード: ")
        if getpass.getpass("again / 再入力: ") != password:
            raise InputError("the two passwords differ / パスワードが一致しません")
    Accounts(home_dir()).add(args.name, password)
    print(f"admin {args.name} saved; log in at /admin / 管理者 {args.name} を保存しました")
    return 0


def _list(args: argparse.Namespace) -> int:
    for name in sorted(Accounts(home_dir()).all()):
        print(name)
    return 0


def _remove(args: argparse.Namespace) -> int:
    Accounts(home_dir()).remove(args.name)
    print(f"admin {args.name} removed / 管理者 {args.name} を削除しました")
    return 0
