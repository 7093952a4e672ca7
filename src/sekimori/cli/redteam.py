"""`sekimori redteam`: run suites against a target, compare runs, list suites."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sekimori.cli.flags import validated
from sekimori.errors import ConfigError
from sekimori.lang import Text, locale_lang

HELP = Text(
    "red-team lab: attack a model, the gateway or a classifier and report ASR",
    "レッドチーム検証: モデル・ゲートウェイ・分類器を攻撃し ASR を報告",
)
_DONE = Text(
    "{finished} results this session ({errors} errors); ASR {asr}, over-refusal {over}; "
    "report: {report}",
    "今回 {finished} 件（エラー {errors} 件）; ASR {asr}、過剰拒否 {over}; 報告書: {report}",
)
_BUDGET = Text(
    "budget spent: stopped early; rerun with --resume and a larger budget to continue",
    "予算を使い切ったため中断しました。予算を増やし --resume で再開できます",
)


_GAVE_UP = Text(
    "stopped: {n} probes in a row failed, the last with: {error}; check --target, --api-key and "
    "--model, then rerun with --resume (failed probes are tried again)",
    "中断しました: {n} 件続けて失敗しました（最後のエラー: {error}）。--target、--api-key、"
    "--model を確認し、--resume で再開してください（失敗した分は再実行されます）",
)
_NOTHING_GRADED = Text(
    "no probe got a gradable answer ({errors} failed{last}); nothing was measured: check "
    "--target, --api-key and --model",
    "採点できた回答が 1 件もありません（失敗 {errors} 件{last}）。何も測定できていません。"
    "--target、--api-key、--model を確認してください",
)
_WEAK = Text(
    "warning: this target is too weak to measure safeguards: the model answered {k} of {n} "
    "harmful probes harmfully ({rate:.1f}% < 20%); try --target gateway --upstream compliant",
    "警告: この対象は安全対策を測るには弱すぎます。モデルが有害に答えた有害プローブは {n} 件中 "
    "{k} 件（{rate:.1f}% < 20%）です。--target gateway --upstream compliant を試してください",
)
_ERRORS = Text(
    "{errors} probes failed and are not counted; rerun with --resume to try them again",
    "{errors} 件が失敗し集計に含まれていません。--resume で再実行できます",
)


def _lang() -> str:
    return locale_lang()


def _pct(rate: dict[str, Any]) -> str:
    low, high = 100 * rate["low"], 100 * rate["high"]
    return f"{100 * rate['rate']:.1f}% [{low:.1f}–{high:.1f}] n={rate['n']}"


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # unwinds like Ctrl-C, so the embedded model server the run started is stopped too
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    from sekimori.redteam.graders import GraderSettings
    from sekimori.redteam.lab import LabConfig, run_lab
    from sekimori.redteam.mutators import BUILTIN
    from sekimori.redteam.runner import RunnerSettings
    from sekimori.redteam.targets import TargetSettings

    mutators = (
        tuple(BUILTIN)
        if args.mutators == "all"
        else tuple(m.strip() for m in args.mutators.split(",") if m.strip())
    )
    grader = args.grader or ("verdict" if args.target == "classifier" else "answers")
    target_settings = validated(
        TargetSettings,
        {
            "timeout_s": "--timeout",
            "max_tokens": "--max-answer-tokens",
            "connections": "--concurrency",
        },
        api_key=args.api_key or os.environ.get("SEKIMORI_REDTEAM_API_KEY", ""),
        model=args.model,
        timeout_s=args.timeout,
        max_tokens=args.max_answer_tokens,
        connections=args.concurrency,
        upstream=args.upstream,
    )
    if args.upstream and args.target != "gateway":
        raise ConfigError("only with --target gateway", key="--upstream")
    runner = validated(
        RunnerSettings,
        {"rate_per_s": "--rate", "max_tokens": "--max-tokens"},
        concurrency=args.concurrency,
        rate_per_s=args.rate,
        retries=args.retries,
        max_requests=args.max_requests,
        max_tokens=args.max_tokens,
        max_consecutive_errors=args.max_consecutive_errors,
        progress=not args.no_progress,
    )
    if args.sample is not None and args.sample < 1:
        raise ConfigError(f"must be at least 1, got {args.sample}", key="--sample")
    if args.agreement_sample < 0:
        raise ConfigError(
            f"must be 0 or more, got {args.agreement_sample}", key="--agreement-sample"
        )
    config = LabConfig(
        target=args.target,
        suite=args.suite,
        mutators=mutators,
        out=Path(args.out),
        target_settings=target_settings,
        runner=runner,
        grader=grader,
        grader_settings=GraderSettings(
            url=args.judge_url, api_key=args.judge_key, model=args.judge_model
        ),
        resume=args.resume,
        lang=args.lang,
        sample=args.sample,
        agreement_sample=args.agreement_sample,
    )
    outcome, summary = run_lab(config)
    print(
        _DONE(
            args.lang,
            finished=outcome.finished,
            errors=outcome.errors,
            asr=_pct(summary["asr"]),
            over=_pct(summary["over_refusal"]),
            report=config.out / "report.html",
        )
    )
    if outcome.gave_up is not None:
        print(
            _GAVE_UP(args.lang, n=args.max_consecutive_errors, error=outcome.gave_up),
            file=sys.stderr,
        )
        return 4
    if outcome.budget_exhausted:
        print(_BUDGET(args.lang), file=sys.stderr)
        return 3
    if summary["counts"]["graded"] == 0:
        first = summary["counts"].get("first_error")
        last = f"; the first: {first}" if first else ""
        print(_NOTHING_GRADED(args.lang, errors=outcome.errors, last=last), file=sys.stderr)
        return 5
    strength = summary.get("model_compliance") or {}
    if strength.get("weak"):
        rate = 100 * strength["rate"]
        print(_WEAK(args.lang, k=strength["k"], n=strength["n"], rate=rate), file=sys.stderr)
    if outcome.errors:
        print(_ERRORS(args.lang, errors=outcome.errors), file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sekimori.redteam.compare import compare, write_compare

    result = compare(Path(args.run_a), Path(args.run_b))
    write_compare(result, Path(args.out), args.lang)
    asr = result["asr"]
    print(
        f"ASR A {_pct(asr['a'])} vs B {_pct(asr['b'])}; McNemar {asr['mcnemar']['method']} "
        f"p = {asr['mcnemar']['p_value']:.3g}; {Path(args.out) / 'compare.json'}"
    )
    return 0


def _suites(args: argparse.Namespace) -> int:
    from sekimori.redteam.datasets import SUITES

    for name in SUITES.names():
        suite = SUITES.get(name)
        items = suite.build()
        print(f"{name:12s} {len(items):4d} items  sources: {', '.join(suite.sources)}")
        print(f"{'':12s} {suite.description}")
    return 0


def add_parser(subparsers: Any) -> None:
    lang = _lang()
    parser = subparsers.add_parser("redteam", help=HELP.both(), description=HELP.both())
    sub = parser.add_subparsers(dest="redteam_command", metavar="SUBCOMMAND", required=True)

    run = sub.add_parser("run", help="run a suite against a target / スイートを実行")
    run.add_argument(
        "--target",
        required=True,
        help="URL of an OpenAI-compatible endpoint, or gateway|local|classifier|compliant "
        "(compliant: a test upstream that answers harmful probes harmfully, a measuring device)",
    )
    run.add_argument(
        "--upstream",
        choices=("compliant",),
        default="",
        help="with --target gateway: start a gateway (default policy) in front of the compliant "
        "test upstream, so ASR measures the gateway / 従順な上流の前でゲートウェイを起動して測定",
    )
    run.add_argument(
        "--api-key",
        default="",
        help="bearer key for the target (or env SEKIMORI_REDTEAM_API_KEY; with --target gateway "
        "also SEKIMORI_API_KEY) / 対象の API キー",
    )
    run.add_argument(
        "--model",
        default="default",
        help="model name sent to the target (gateway: default = the first model it lists)",
    )
    from sekimori.redteam.datasets import SUITES

    run.add_argument(
        "--suite",
        required=True,
        # From the registry, so that help, `redteam suites` and the docs cannot disagree.
        help=f"{'|'.join(SUITES.names())} or a JSONL/CSV file (see `sekimori redteam suites`)",
    )
    run.add_argument(
        "--mutators", default="all", help="comma-separated mutators, or 'all' (default)"
    )
    run.add_argument(
        "--out", required=True, help="run directory (results.sqlite, summary.json, report.html)"
    )
    run.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    run.add_argument("--concurrency", type=int, default=8)
    run.add_argument("--rate", type=float, default=None, help="max requests per second")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    run.add_argument("--retries", type=int, default=3)
    run.add_argument("--max-requests", type=int, default=None, help="budget: requests")
    run.add_argument("--max-tokens", type=int, default=None, help="budget: prompt+answer tokens")
    run.add_argument(
        "--max-consecutive-errors",
        type=int,
        default=10,
        help="stop (exit 4, resumable) after N probes in a row failed; 0: never "
        "/ N 件続けて失敗したら中断（終了コード 4、再開可）",
    )
    run.add_argument("--max-answer-tokens", type=int, default=256)
    run.add_argument(
        "--grader",
        default=None,
        help="answers (default) | llm-judge | verdict | pool (the compliant upstream's "
        "harmful answers are known: harmful = one of them, delivered)",
    )
    run.add_argument("--judge-url", default="")
    run.add_argument("--judge-key", default="")
    run.add_argument("--judge-model", default="default")
    run.add_argument(
        "--sample", type=int, default=None, help="a stable sample of N suite items (all categories)"
    )
    run.add_argument(
        "--agreement-sample",
        type=int,
        default=100,
        help="human-labelled answers (XSTest) to check the grader on; 0 skips",
    )
    run.add_argument("--lang", choices=("en", "ja"), default=lang, help="report language")
    run.add_argument("--no-progress", action="store_true")
    run.set_defaults(func=_run)

    cmp = sub.add_parser("compare", help="paired comparison of two runs / 2つの実行の比較")
    cmp.add_argument("run_a")
    cmp.add_argument("run_b")
    cmp.add_argument("--out", required=True)
    cmp.add_argument("--lang", choices=("en", "ja"), default=lang)
    cmp.set_defaults(func=_compare)

    suites = sub.add_parser("suites", help="list the built-in suites / 組み込みスイート一覧")
    suites.set_defaults(func=_suites)
