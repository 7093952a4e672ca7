"""`sekimori watch scores|simulate|replay|report|tail|sanctions|lift`: the simulator; the
detectors over a sketch file or over what the gateway recorded (its store: `--store`/`--config`,
as `audit`); the gateway's alerts; the sanctions in force, and lifting one (audited)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from sekimori.cli.stores import add_store_flags, backend, settings_of
from sekimori.errors import InputError
from sekimori.lang import locale_lang
from sekimori.paths import shared_data_dir, watch_data_dir

if TYPE_CHECKING:
    from sekimori.store.sanctions import SanctionRow, SanctionStore
    from sekimori.watch.sketch import Sketch

SCORES_FILE = "scores.json"
PER_SET = 1_200  # prompts sampled from each ordinary set (the scores file covers these)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "watch", help="abuse across requests: simulate, detect / 複数リクエストにまたがる不正の監視"
    )
    watch = parser.add_subparsers(dest="watch_command", metavar="ACTION", required=True)

    scores = watch.add_parser(
        "scores",
        help="score the simulator's prompts as the gateway's screen does for its sketches "
        "(minutes) / シミュレーター用プロンプトをゲートウェイの検査と同じく採点する",
    )
    scores.add_argument(
        "--config",
        metavar="FILE",
        help="the gateway's YAML settings: its screen, scorer and policy (default: the "
        "defaults, as `sekimori serve` without one) / ゲートウェイの設定ファイル",
    )
    scores.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the scores, no text (default data/watch/scores.json) "
        "/ 出力先（本文は含まない）",
    )
    scores.set_defaults(func=_scores)

    sim = watch.add_parser(
        "simulate",
        help="write simulated traffic as sketches / 模擬トラフィックをスケッチとして書き出す",
    )
    sim.add_argument("--out", type=Path, required=True, help="sketch file to write / 出力ファイル")
    sim.add_argument("--days", type=_positive, default=3, help="simulated days (default 3) / 日数")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0) / 乱数シード")
    sim.add_argument(
        "--small",
        action="store_true",
        help="a tenth of the populations, for a quick look / 規模を約1/10にする",
    )
    sim.add_argument(
        "--scores",
        type=Path,
        default=None,
        help="prompt scores from `watch scores` (default data/watch/scores.json) "
        "/ `watch scores` の出力",
    )
    sim.add_argument(
        "--chains",
        choices=("all", "train", "held_back", "fresh", "fresh2", "fresh3", "fresh4", "fresh5"),
        default="all",
        help="which decomposed and look-alike chains the traffic uses: all (default), the "
        "training or held-back half, the fresh held-out set (data/watch/chains_fresh.jsonl, "
        "kept for judging a decomposition change once), fresh2 (benign look-alikes only, "
        "data/watch/lookalikes_fresh2.jsonl, held out likewise for its false alerts), or "
        "fresh3 (decomposed chains and look-alikes, data/watch/chains_fresh3.jsonl, held out "
        "for judging a decomposition change once), or fresh4 (decomposed chains and look-alikes, "
        "data/watch/chains_fresh4.jsonl and lookalikes_fresh4.jsonl), or fresh5 (likewise, "
        "data/watch/chains_fresh5.jsonl and lookalikes_fresh5.jsonl, by another writer; the "
        "earlier ones are spent) "
        "/ 使うチェーン：全部（既定）、学習用・保留の半分、新しい保留セット fresh（変更を一度"
        "だけ判定するためのもの）、fresh2（良性の紛らわしい会話のみ。誤警報の判定用に同じく"
        "保留）、または fresh3（分解攻撃と紛らわしい会話。次の分解検知の変更を一度だけ判定"
        "するための保留セット）、fresh4（同じく分解攻撃と紛らわしい会話の保留セット）、"
        "または fresh5（別の書き手による同様の保留セット。それ以前のものは使用済み）",
    )
    sim.set_defaults(func=_simulate)

    rep = watch.add_parser(
        "replay",
        help="run the detectors over recorded sketches / 記録されたスケッチに検知器を適用する",
    )
    rep.add_argument("--sketches", type=Path, help=_SKETCHES_HELP)
    add_store_flags(rep)
    rep.add_argument(
        "--detector",
        action="append",
        metavar="NAME",
        help="only these detectors (repeatable) / 使う検知器（複数可）",
    )
    rep.add_argument("--json", action="store_true", help="one JSON alert a line / JSON 行で出力")
    rep.set_defaults(func=_replay)

    report = watch.add_parser(
        "report",
        help="offline HTML report of the detectors' alerts / 検知結果のオフライン HTML レポート",
    )
    report.add_argument("--sketches", type=Path, help=_SKETCHES_HELP)
    add_store_flags(report)
    report.add_argument("--out", type=Path, required=True, help="HTML file to write / 出力先")
    report.add_argument(
        "--since",
        type=_date,
        help="only sketches from this UTC date or time on (2026-12-01 or 2026-12-01T09:00) "
        "/ この日時（UTC）以降のみ",
    )
    report.add_argument("--lang", choices=("en", "ja"), help="report language / レポートの言語")
    report.set_defaults(func=_report)

    tail = watch.add_parser(
        "tail",
        help="the gateway's alerts and the actions taken, newest last / ゲートウェイの警告と措置",
    )
    tail.add_argument("-n", type=_positive, default=20, help="how many (default 20) / 件数")
    tail.add_argument("--tenant", help="only this tenant / このテナントのみ")
    tail.add_argument(
        "--follow", action="store_true", help="keep printing new alerts / 新しい警告を表示し続ける"
    )
    tail.add_argument("--json", action="store_true", help="one JSON alert a line / JSON 行で出力")
    add_store_flags(tail)
    tail.set_defaults(func=_tail)

    listed = watch.add_parser(
        "sanctions",
        help="the keys throttled, suspended or held for review now "
        "/ 現在の措置（制限・停止・保留）中のキー",
    )
    listed.add_argument("--json", action="store_true", help="one JSON sanction a line / JSON 行")
    add_store_flags(listed)
    listed.set_defaults(func=_sanctions)

    lift = watch.add_parser(
        "lift",
        help="end a key's sanction now, on every worker and replica (audited) "
        "/ キーへの措置を今すぐ解除する（全プロセス、監査記録あり）",
    )
    lift.add_argument("key_id", metavar="KEY_ID", help="the key's id (12 hex) / キー ID")
    lift.add_argument(
        "--reason", default="", help="why, for the audit record / 理由（監査記録に残る）"
    )
    add_store_flags(lift)
    lift.set_defaults(func=_lift)


_SKETCHES_HELP = (
    "a sketch file (`watch simulate`); default: the sketches the gateway recorded (its store) "
    "/ スケッチファイル（省略時はゲートウェイが記録したもの）"
)
FOLLOW_INTERVAL_S = 1.0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a whole number: {text!r} / 整数ではありません"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {value} / 1 以上にしてください")
    return value


def _date(text: str) -> float:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {text!r}; write 2026-12-01 or 2026-12-01T09:00 "
            "/ 日付として読めません（例 2026-12-01）"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _scores(args: argparse.Namespace) -> int:
    """Each prompt through the gateway's own input screen, built from its settings as `serve`
    builds it, so the scores are those the gateway's sketches record (`watch.pool`)."""
    from sekimori.watch.pool import (
        HELD_OUT,
        read_chains,
        read_prompts,
        save_scores,
        screen_through_gateway,
    )

    benign = read_prompts(shared_data_dir(), per_set=PER_SET, seed=0)
    chains = read_chains(watch_data_dir(), held_out=tuple(HELD_OUT))  # scored alike
    prompts = [p for ps in benign.values() for p in ps] + [s for c in chains for s in c.steps]
    started = time.perf_counter()
    scores = screen_through_gateway(prompts, args.config)
    out = args.out or watch_data_dir() / SCORES_FILE
    save_scores(out, scores)
    print(f"{len(prompts)} prompts scored in {time.perf_counter() - started:.0f} s -> {out}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from sekimori.watch.pool import HELD_OUT, load_pool, load_scores
    from sekimori.watch.simulate import DEFAULT, SMALL, simulate
    from sekimori.watch.sketchfile import write_sketches

    pool = load_pool(
        shared_data_dir(),
        watch_data_dir(),
        load_scores(args.scores or watch_data_dir() / SCORES_FILE),
        per_set=PER_SET,
        held_out=(args.chains,) if args.chains in HELD_OUT else (),
    )
    scale = SMALL if args.small else DEFAULT
    sim = simulate(pool, days=args.days, seed=args.seed, scale=scale, chains=args.chains)
    count = write_sketches(args.out, sim.sketches)
    labels = asdict(sim.labels)
    labels["benign_sessions"] = len(sim.labels.benign_sessions)
    labels["benign_tenants"] = len(sim.labels.benign_tenants)
    labels["hard_negative_tenants"] = len(sim.labels.hard_negative_tenants)
    labels_path = args.out.with_name(args.out.name + ".labels.json")
    labels_path.write_bytes(orjson.dumps(labels, option=orjson.OPT_NON_STR_KEYS))
    print(f"{count} sketches over {args.days} days -> {args.out} (labels: {labels_path})")
    return 0


def _recorded(args: argparse.Namespace) -> Iterator[Sketch]:
    """The sketches of `--sketches FILE`, else those in the gateway's store, oldest first."""
    from sekimori.store.sketches import all_sketches
    from sekimori.watch.sketch import Sketch
    from sekimori.watch.sketchfile import read_sketches

    if args.sketches is not None:
        if not args.sketches.is_file():
            raise InputError("no such file / ファイルがありません", source=str(args.sketches))
        yield from read_sketches(args.sketches)
        return
    store = backend(args).sketches()
    try:
        for row in all_sketches(store):
            yield Sketch.unpack(row.data)
    finally:
        store.close()


def _replay(args: argparse.Namespace) -> int:
    from sekimori.watch.replay import replay

    result = replay(_recorded(args), args.detector)
    lang = locale_lang()
    for alert in result.alerts:
        if args.json:
            print(orjson.dumps(asdict(alert)).decode())
        else:
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(alert.ts))
            print(
                f"{when} {alert.detector:<14} {alert.action:<16} {alert.unit} "
                f"{alert.score:.2f}>={alert.level:g} {alert.reason(lang)}"
            )
    print(
        f"{len(result.alerts)} alerts in {result.sketches} sketches "
        f"/ {result.sketches} 件中 {len(result.alerts)} 件の警告"
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from sekimori.watch.replay import replay
    from sekimori.watch.report import Traffic, render_report

    since = args.since if args.since is not None else float("-inf")
    traffic = Traffic()
    result = replay(traffic.see(s for s in _recorded(args) if s.ts >= since))
    page = render_report(result.alerts, traffic, lang=args.lang or locale_lang())
    try:
        args.out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", source=str(args.out)) from None
    print(f"{len(result.alerts)} alerts in {result.sketches} sketches -> {args.out}")
    return 0


def _tail(args: argparse.Namespace) -> int:
    from sekimori.store.sketches import AlertRow
    from sekimori.watch.live import alert_json

    store = backend(args).sketches()
    lang = locale_lang()

    def show(rows: list[AlertRow]) -> None:
        for row in rows:
            if args.tenant is not None and row.tenant != args.tenant:
                continue
            if args.json:
                print(orjson.dumps(alert_json(row)).decode(), flush=True)
                continue
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.ts))
            reason = row.reason_ja if lang == "ja" else row.reason_en
            print(
                f"{row.seq:>6} {when} {row.tenant:<12} {row.key_id:<12} {row.detector:<14} "
                f"{row.action:<16} {row.score:g}>={row.level:g} {reason}",
                flush=True,
            )

    try:
        rows: list[AlertRow] = []
        while page := store.alerts(rows[-1].seq if rows else 0):
            rows.extend(page)
        wanted = [r for r in rows if args.tenant is None or r.tenant == args.tenant]
        show(wanted[-args.n :])
        seq = rows[-1].seq if rows else 0
        while args.follow:
            time.sleep(FOLLOW_INTERVAL_S)
            if new := store.alerts(seq):
                show(new)
                seq = new[-1].seq
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
    return 0


def _sanction_store(args: argparse.Namespace) -> SanctionStore:
    """Where the gateway keeps its sanctions: as `serve` with the same settings would."""
    from sekimori.store.backend import open_backend
    from sekimori.store.sanctions import open_sanction_store

    settings = settings_of(args)
    return open_sanction_store(settings, open_backend(settings.store.url, settings.home))


def _describe(row: SanctionRow, lang: str) -> str:
    until = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.until))
    quota = " ".join(f"{k}={v}" for k, v in row.quota.items())
    reason = row.reason_ja if lang == "ja" else row.reason_en
    return (
        f"{row.key_id:<12} {row.tenant:<12} {row.action:<16} {row.detector:<14} "
        f"until {until} {quota + ' ' if quota else ''}{reason}"
    )


def _sanctions(args: argparse.Namespace) -> int:
    store = _sanction_store(args)
    try:
        rows = sorted(store.active(time.time()), key=lambda r: r.since)
    finally:
        store.close()
    lang = locale_lang()
    for row in rows:
        print(row.to_json().decode() if args.json else _describe(row, lang))
    if not args.json:
        print(f"{len(rows)} sanctions in force / 措置中 {len(rows)} 件")
    return 0


def _lift(args: argparse.Namespace) -> int:
    """Ends the key's sanction in the shared store (every process drops it within a second),
    then records who lifted what in the audit chain (decision `admin`)."""
    import secrets

    from sekimori.audit.browse import ADMIN_DECISION
    from sekimori.audit.record import AUDIT_VERSION, AuditRecord

    store = _sanction_store(args)
    try:
        lifted = store.lift(args.key_id, time.time())
    finally:
        store.close()
    if lifted is None:
        raise InputError(
            "no sanction in force on this key (see `sekimori watch sanctions`) "
            "/ このキーに有効な措置はありません",
            source=args.key_id,
        )
    detail = (
        f"key={lifted.key_id} tenant={lifted.tenant} action={lifted.action} "
        f"detector={lifted.detector} until={lifted.until:.0f}"
    )
    if args.reason:
        detail += f" reason={args.reason}"
    audit = backend(args).audit()
    try:
        audit.append(
            [
                AuditRecord(
                    ts=time.time(),
                    request_id=secrets.token_hex(12),
                    tenant="(cli)",
                    key_id=_operator(),
                    model="",
                    upstream="cli",
                    status=200,
                    decision=ADMIN_DECISION,
                    categories="watch.lift",
                    reasons=detail,
                    version=AUDIT_VERSION,
                )
            ]
        )
    finally:
        audit.close()
    print(
        f"lifted: {_describe(lifted, 'en')} (audited)\n"
        f"解除しました: キー {lifted.key_id} の {lifted.action}（監査記録あり）"
    )
    return 0


def _operator() -> str:
    """Who lifted it, as the audit record names them (the login name)."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment (a bare container)
        return "(unknown)"
