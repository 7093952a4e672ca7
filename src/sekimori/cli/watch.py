"""`sekimori watch scores|simulate|replay|report`: the simulator; detectors over sketch files."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from sekimori.errors import InputError
from sekimori.lang import locale_lang
from sekimori.paths import shared_data_dir, watch_data_dir

if TYPE_CHECKING:
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
        help="score the simulator's prompts with the classifier (minutes) "
        "/ シミュレーター用プロンプトを分類器で採点する",
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
    sim.set_defaults(func=_simulate)

    rep = watch.add_parser(
        "replay", help="run the detectors over a sketch file / スケッチファイルに検知器を適用する"
    )
    rep.add_argument("--sketches", type=Path, required=True, help="sketch file / スケッチファイル")
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
    report.add_argument(
        "--sketches", type=Path, required=True, help="sketch file / スケッチファイル"
    )
    report.add_argument("--out", type=Path, required=True, help="HTML file to write / 出力先")
    report.add_argument(
        "--since",
        type=_date,
        help="only sketches from this UTC date or time on (2026-12-01 or 2026-12-01T09:00) "
        "/ この日時（UTC）以降のみ",
    )
    report.add_argument("--lang", choices=("en", "ja"), help="report language / レポートの言語")
    report.set_defaults(func=_report)


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
    from sekimori.watch.pool import read_chains, read_prompts, save_scores, score_prompts

    benign = read_prompts(shared_data_dir(), per_set=PER_SET, seed=0)
    chains = read_chains(watch_data_dir())
    prompts = [p for ps in benign.values() for p in ps] + [s for c in chains for s in c.steps]
    started = time.perf_counter()
    out = args.out or watch_data_dir() / SCORES_FILE
    save_scores(out, score_prompts(prompts))
    print(f"{len(prompts)} prompts scored in {time.perf_counter() - started:.0f} s -> {out}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from sekimori.watch.pool import load_pool, load_scores
    from sekimori.watch.simulate import DEFAULT, SMALL, simulate
    from sekimori.watch.sketchfile import write_sketches

    pool = load_pool(
        shared_data_dir(),
        watch_data_dir(),
        load_scores(args.scores or watch_data_dir() / SCORES_FILE),
        per_set=PER_SET,
    )
    sim = simulate(pool, days=args.days, seed=args.seed, scale=SMALL if args.small else DEFAULT)
    count = write_sketches(args.out, sim.sketches)
    labels = asdict(sim.labels)
    labels["benign_sessions"] = len(sim.labels.benign_sessions)
    labels["benign_tenants"] = len(sim.labels.benign_tenants)
    labels["hard_negative_tenants"] = len(sim.labels.hard_negative_tenants)
    labels_path = args.out.with_name(args.out.name + ".labels.json")
    labels_path.write_bytes(orjson.dumps(labels, option=orjson.OPT_NON_STR_KEYS))
    print(f"{count} sketches over {args.days} days -> {args.out} (labels: {labels_path})")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from sekimori.watch.replay import replay
    from sekimori.watch.sketchfile import read_sketches

    if not args.sketches.is_file():
        raise InputError("no such file / ファイルがありません", source=str(args.sketches))
    result = replay(read_sketches(args.sketches), args.detector)
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
    from sekimori.watch.report import render_report
    from sekimori.watch.sketchfile import read_sketches

    if not args.sketches.is_file():
        raise InputError("no such file / ファイルがありません", source=str(args.sketches))
    since = args.since if args.since is not None else float("-inf")
    span = [float("inf"), float("-inf")]

    def chosen() -> Iterator[Sketch]:
        for sketch in read_sketches(args.sketches):
            if sketch.ts >= since:
                span[0], span[1] = min(span[0], sketch.ts), max(span[1], sketch.ts)
                yield sketch

    result = replay(chosen())
    lang = args.lang or locale_lang()
    start, end = (span[0], span[1]) if result.sketches else (0.0, 0.0)
    page = render_report(result.alerts, sketches=result.sketches, start=start, end=end, lang=lang)
    args.out.write_text(page, encoding="utf-8")
    print(f"{len(result.alerts)} alerts in {result.sketches} sketches -> {args.out}")
    return 0
