"""`sekimori audit verify|tail`: check the hash chain, show recent records."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

import orjson

from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.home import AUDIT_DB, home_dir


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("audit", help="the audit trail / 監査ログ")
    audit = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit.add_parser(
        "verify", help="detect edited or deleted records / 改ざん・削除を検出する"
    )
    verify.set_defaults(func=_verify)
    tail = audit.add_parser("tail", help="show the latest records / 最新の記録を表示する")
    tail.add_argument("-n", type=int, default=20, help="how many (default 20) / 件数")
    tail.add_argument("--json", action="store_true", help="one JSON object a line / JSON 行で出力")
    tail.set_defaults(func=_tail)


def _store() -> SqliteAuditStore:
    return SqliteAuditStore(home_dir() / AUDIT_DB)


def _verify(args: argparse.Namespace) -> int:
    store = _store()
    report = store.verify()
    store.close()
    if report.ok:
        print(f"ok: {report.records} records, chain intact / 改ざんなし（{report.records} 件）")
        print(f"head {report.head_hash}")
        return 0
    for problem in report.problems:
        print(f"TAMPERED: {problem}")
    print(f"{len(report.problems)} problems in {report.records} records / 改ざんを検出しました")
    return 1


def _tail(args: argparse.Namespace) -> int:
    store = _store()
    rows = store.tail(args.n)
    store.close()
    for row in rows:
        r = row.record
        if args.json:
            print(orjson.dumps({"seq": row.seq, **asdict(r), "hash": row.hash}).decode())
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.ts))
        print(
            f"{row.seq:>7} {when} {r.tenant:<12} {r.model:<20} {r.status} {r.decision:<6} "
            f"{r.total_ms:>8.1f}ms {r.categories} {r.request_id}"
            + (f"  ({r.reasons})" if r.reasons else "")
        )
    return 0
