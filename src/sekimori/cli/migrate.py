"""`sekimori migrate sqlite-to-postgres --to URL`: move keys and the audit trail to PostgreSQL."""

from __future__ import annotations

import argparse
from pathlib import Path

from sekimori.home import home_dir
from sekimori.store.backend import redact
from sekimori.store.migrate import sqlite_to_postgres


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("migrate", help="move the stores / ストアの移行")
    kinds = parser.add_subparsers(dest="migrate_command", metavar="ACTION", required=True)
    to_pg = kinds.add_parser(
        "sqlite-to-postgres",
        help="copy keys and the audit chain into an empty PostgreSQL database, then verify / "
        "キーと監査ログを空の PostgreSQL に複製して検証する",
    )
    to_pg.add_argument("--to", required=True, metavar="URL", help="postgresql://... / 移行先")
    to_pg.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="the data directory holding keys.db and audit.db (default: $SEKIMORI_HOME) / 移行元",
    )
    to_pg.set_defaults(func=_sqlite_to_postgres)


def _sqlite_to_postgres(args: argparse.Namespace) -> int:
    home = Path(args.source).expanduser() if args.source else home_dir()
    report = sqlite_to_postgres(home, args.to)
    where = redact(args.to)
    print(
        f"copied {report.keys} keys, {report.tenants} tenants and {report.records} audit records "
        f"from {home} to {where}"
    )
    print(
        f"{report.keys} 個のキー、{report.tenants} 件のテナント、{report.records} 件の監査記録を "
        f"{where} に複製しました"
    )
    same = (
        report.target.ok
        and report.target.records == report.source.records
        and report.target.head_hash == report.source.head_hash
    )
    if same:
        print(f"ok: chain verified on the target, head {report.target.head_hash} / 検証済み")
        return 0
    for problem in report.target.problems:
        print(f"TAMPERED: {problem}")
    print(
        f"target holds {report.target.records} records (source {report.source.records}), head "
        f"{report.target.head_hash} (source {report.source.head_hash}) / 移行先の検証に失敗しました"
    )
    return 1
