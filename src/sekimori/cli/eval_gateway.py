"""`sekimori eval gateway`: the real gateway with its default policy, measured as users meet it."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sekimori.errors import ConfigError
from sekimori.lang import Text, locale_lang
from sekimori.paths import REPO_ROOT

HELP = Text(
    "Measure the gateway (default policy) in front of a neutral and a compliant upstream.",
    "中立な上流と従順な上流の前で、既定の方針のゲートウェイを測定します。",
)
DESCRIPTION = Text(
    "Starts `sekimori serve` (default screen and policy) on a loopback port in front of the fake "
    "upstream, sends every prompt of every set with the neutral upstream (the prompt screen "
    "alone decides) and the compliant one (harmful requests get sanitized harmful answers), and "
    "writes blocked, held, flagged, allowed, harmful answers released and benign refused per "
    "set, tier and language to bench/gateway/EFFECT.md with the issue's targets marked.",
    "ループバックのポートで `sekimori serve`（既定の検査と方針）を起動し、各データセットの全"
    "プロンプトを中立な上流と従順な上流の両方で送り、遮断・保留・フラグ・通過・有害回答の流出・"
    "無害な依頼の拒否をデータセット・層・言語ごとに bench/gateway/EFFECT.md に書き出します。",
)
_DONE = Text(
    "{n} requests in {minutes:.1f} min ({errors} errors); targets: {met} met, {missed} missed; "
    "wrote {path}",
    "{n} 件を {minutes:.1f} 分で送信（エラー {errors} 件）; 目標: 達成 {met}、未達 {missed}; "
    "{path} に書き出しました",
)
_ALL_FAILED = Text(
    "every request failed ({n}); the first error: {error}",
    "すべての要求が失敗しました（{n} 件）。最初のエラー: {error}",
)


def add_parser(sub: Any) -> None:
    from sekimori.evaluation.sets import all_set_names

    p = sub.add_parser("gateway", help=HELP.both(), description=DESCRIPTION.both())
    names = all_set_names()
    p.add_argument(
        "--sets",
        default=",".join(names),
        help=f"comma-separated sets (default all): {', '.join(names)} / 測定するデータセット",
    )
    p.add_argument(
        "--limit", type=int, default=None, help="at most N items a set (a stable sample) / 各 N 件"
    )
    p.add_argument(
        "--whole",
        default="",
        help="comma-separated sets sent whole despite --limit / --limit を適用しないデータセット",
    )
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight / 同時要求数")
    p.add_argument(
        "--stream", action="store_true", help="send streamed requests / ストリーミングで送信"
    )
    p.add_argument(
        "--upstreams",
        default="neutral,compliant",
        help="neutral, compliant or both (default) / 上流の種類",
    )
    p.add_argument(
        "--answers",
        type=Path,
        default=None,
        help="the compliant upstream's answer pool (default data/compliant/answers.jsonl)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=REPO_ROOT / "bench" / "gateway" / "EFFECT.md",
        help="where to write the page / 書き出し先",
    )
    p.add_argument(
        "--results", type=Path, default=None, help="also write one JSON line per request here"
    )
    p.set_defaults(func=_run)


def _commit() -> str:
    from sekimori.redteam.provenance import git_revision

    rev = git_revision(REPO_ROOT)
    if rev is None:
        return "unknown"
    return rev[:12] + (" with uncommitted changes" if rev.endswith("+dirty") else "")


def _names(text: str) -> tuple[str, ...]:
    """The names of a comma-separated option, blanks dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _run(args: argparse.Namespace) -> int:
    from sekimori.evaluation.report import RunNotes, render, targets, write_results
    from sekimori.evaluation.run import UPSTREAMS, EffectSettings, run_sets
    from sekimori.evaluation.sets import check_names
    from sekimori.paths import shared_data_dir
    from sekimori.testing.compliant import AnswerPool, default_pool_path
    from sekimori.testing.stack import gateway_stack

    lang = locale_lang()
    sets = _names(args.sets)
    check_names(sets)
    upstreams = _names(args.upstreams)
    for u in upstreams:
        if u not in UPSTREAMS:
            raise ConfigError(
                f"unknown upstream {u!r}; known: neutral, compliant", key="--upstreams"
            )
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"must be at least 1, got {args.limit}", key="--limit")
    if args.concurrency < 1:
        raise ConfigError(f"must be at least 1, got {args.concurrency}", key="--concurrency")
    whole = _names(args.whole)
    pool = args.answers or default_pool_path()
    AnswerPool.load(pool)  # a bad pool fails here, with its file and line, not per request
    settings = EffectSettings(
        sets=sets,
        root=shared_data_dir(),
        limit=args.limit,
        whole=whole,
        concurrency=args.concurrency,
        stream=args.stream,
        upstreams=upstreams,
        pool=pool,
    )
    with gateway_stack(answers=pool) as stack:
        run = asyncio.run(run_sets(stack.url, stack.key, settings, stack.upstream.url))
    errors = [o for o in run.outcomes if o.error]
    if run.outcomes and len(errors) == len(run.outcomes):
        print(_ALL_FAILED(lang, n=len(errors), error=errors[0].error), file=sys.stderr)
        return 5
    try:
        pool_name = str(pool.resolve().relative_to(REPO_ROOT))
    except ValueError:
        pool_name = str(pool)
    notes = RunNotes(
        command="sekimori eval gateway " + " ".join(sys.argv[3:]),
        commit=_commit(),
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        pool=pool_name,
        limit=args.limit,
        whole=whole,
        stream=args.stream,
        concurrency=args.concurrency,
    )
    text = render(run, notes)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    if args.results:
        write_results(run, args.results)
    found = targets(run)
    print(
        _DONE(
            lang,
            n=len(run.outcomes),
            minutes=run.seconds / 60,
            errors=len(errors),
            met=sum(t.verdict == "met" for t in found),
            missed=sum(t.verdict == "missed" for t in found),
            path=args.output,
        )
    )
    return 0
