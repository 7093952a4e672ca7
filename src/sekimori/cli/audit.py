"""`sekimori audit verify|anchor|tail`: check the hash chain, anchor its head, show records
(SQLite or PostgreSQL: `--store`)."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path

import orjson

from sekimori.audit.anchor import check_anchor, dump_anchor, load_anchor, make_anchor
from sekimori.audit.record import AuditQuery, AuditStore
from sekimori.cli.stores import add_store_flags, backend
from sekimori.errors import InputError
from sekimori.home import AUDIT_KEY, home_dir, secret_key


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("audit", help="the audit trail / 監査ログ")
    audit = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit.add_parser(
        "verify", help="detect edited or deleted records / 改ざん・削除を検出する"
    )
    verify.add_argument(
        "--anchor",
        metavar="FILE",
        type=Path,
        help="also check against an anchor kept elsewhere: catches a cut or rewritten tail "
        "/ 別の場所に保管したアンカーとも照合する",
    )
    add_store_flags(verify)
    verify.set_defaults(func=_verify)
    anchor = audit.add_parser(
        "anchor",
        help="export the chain head, signed, to keep elsewhere / 先頭ハッシュを署名付きで書き出す",
    )
    anchor.add_argument(
        "--out", metavar="FILE", type=Path, required=True, help="where to write it / 出力先"
    )
    add_store_flags(anchor)
    anchor.set_defaults(func=_anchor)
    tail = audit.add_parser("tail", help="show the latest records / 最新の記録を表示する")
    tail.add_argument("-n", type=int, default=20, help="how many (default 20) / 件数")
    tail.add_argument("--tenant", help="only this tenant / このテナントのみ")
    tail.add_argument("--decision", help="only this decision (allow, block, flag ...) / 判定で絞る")
    tail.add_argument("--key", metavar="KEY_ID", help="only this API key's id / このキーのみ")
    tail.add_argument(
        "--category", help="only records with this category (e.g. pii) / このカテゴリのみ"
    )
    tail.add_argument(
        "--since-minutes", type=float, metavar="M", help="only the last M minutes / 直近 M 分のみ"
    )
    tail.add_argument("--json", action="store_true", help="one JSON object a line / JSON 行で出力")
    add_store_flags(tail)
    tail.set_defaults(func=_tail)


def _store(args: argparse.Namespace) -> AuditStore:
    return backend(args).audit()


def _verify(args: argparse.Namespace) -> int:
    anchor = None if args.anchor is None else load_anchor(args.anchor)  # bad file: error, exit 1
    store = _store(args)
    try:
        report = store.verify()
        problems = list(report.problems)
        if anchor is not None:
            key = secret_key(home_dir() / AUDIT_KEY)
            problems += check_anchor(anchor, key, report, store.hash_at(anchor.seq))
    finally:
        store.close()
    if not problems:
        print(f"ok: {report.records} records, chain intact / 改ざんなし（{report.records} 件）")
        if anchor is not None:
            print(f"anchor ok: row {anchor.seq} still has the anchored hash / アンカーと一致")
        else:
            print(
                "hint: `sekimori audit anchor --out FILE` and keep the file elsewhere to catch a "
                "cut or rewritten tail / アンカーを別の場所に保管すると末尾の削除も検出できます"
            )
        print(f"head {report.head_hash}")
        return 0
    for problem in problems:
        print(f"TAMPERED: {problem}")
    print(f"{len(problems)} problems in {report.records} records / 改ざんを検出しました")
    return 1


def _anchor(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        report = store.verify()
    finally:
        store.close()
    if not report.ok:
        for problem in report.problems:
            print(f"TAMPERED: {problem}")
        print("no anchor written: the chain is not intact / 改ざんがあるためアンカーを作りません")
        return 1
    anchor = make_anchor(report, secret_key(home_dir() / AUDIT_KEY))
    try:
        args.out.write_bytes(dump_anchor(anchor))
    except OSError as exc:
        raise InputError(f"cannot write the anchor: {exc.strerror}", source=str(args.out)) from None
    print(f"anchored row {anchor.seq} (head {anchor.head_hash}) in {args.out}")
    print(f"行 {anchor.seq} のアンカーを {args.out} に書き出しました。別の場所に保管してください")
    return 0


def _tail(args: argparse.Namespace) -> int:
    since = None if args.since_minutes is None else time.time() - args.since_minutes * 60
    query = AuditQuery(
        limit=args.n,
        tenant=args.tenant,
        decision=args.decision,
        since=since,
        key_id=args.key,
        category=args.category,
    )
    store = _store(args)
    try:
        rows = store.query(query)
    finally:
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
            + (f" ({r.client_request_id})" if r.client_request_id else "")
            + (f" blocked:{r.blocked_at}" if r.blocked_at else "")
            + (" held" if r.held else "")
            + (f"  ({r.reasons})" if r.reasons else "")
        )
    return 0
