"""The cascade's command-line flags (`--judge-*`, `--guard*`), shared by `classify` and
`eval classifier`: the uncertain band goes to a generic LLM judge or to a guard model."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from sekimori.classify.cascade import Band, PromptJudge
from sekimori.cli.flags import validated
from sekimori.errors import ConfigError
from sekimori.settings import GuardSettings, JudgeSettings

# JudgeSettings fields the flags set, for naming the flag in an error.
_FLAGS = {
    "url": "--judge-url",
    "api_key_env": "--judge-key-env",
    "band": "--judge-band",
    "model": "--judge-model",
    "timeout_s": "--judge-timeout",
    "concurrency": "--judge-concurrency",
}


def add_judge_arguments(parser: Any) -> None:
    group = parser.add_argument_group(
        "cascade / カスケード",
        "send uncertain prompts to an LLM judge over an OpenAI-compatible endpoint / "
        "判定が不確かなプロンプトを OpenAI 互換エンドポイントの LLM 判定器へ送ります",
    )
    group.add_argument("--judge-url", help="OpenAI base URL of the judge, e.g. http://host:8000/v1")
    group.add_argument("--judge-model", help="the judge's model name")
    group.add_argument("--judge-key-env", help="environment variable holding the judge's API key")
    group.add_argument(
        "--judge-band",
        metavar="LOW,HIGH",
        help="scores in [LOW, HIGH) are escalated (default: the band the model's training chose "
        "on validation) / この範囲のスコアを判定器へ送ります"
        " (既定: 学習時に検証データで選んだ範囲)",
    )
    group.add_argument("--judge-timeout", type=float, default=10.0, help="seconds per judge call")
    group.add_argument("--judge-concurrency", type=int, default=4, help="judge calls at a time")
    group.add_argument(
        "--guard",
        metavar="URL",
        help="a guard model's server as the judge instead (docs/guards.md) / "
        "判定器の代わりにガードモデルのサーバー",
    )
    group.add_argument(
        "--guard-model", metavar="KIND", help="the guard's kind, e.g. llama_guard_3 / ガードの種類"
    )
    group.add_argument(
        "--guard-served-name",
        help="the model name it serves (default: KIND) / 提供中のモデル名 (既定: KIND)",
    )
    group.add_argument("--guard-api", choices=("openai", "ollama"), default="openai")


def judge_settings(args: argparse.Namespace) -> JudgeSettings | None:
    """The judge the flags ask for (None: no cascade); ConfigError naming the flag otherwise."""
    if args.judge_url is None:
        if args.judge_model is not None:
            raise ConfigError("--judge-model needs --judge-url", key="--judge-url")
        return None
    if not args.judge_model:
        raise ConfigError("--judge-url needs --judge-model", key="--judge-model")
    band = Band.parse(args.judge_band) if args.judge_band else None
    return validated(
        JudgeSettings,
        _FLAGS,
        url=args.judge_url,
        model=args.judge_model,
        api_key_env=args.judge_key_env,
        band=(band.low, band.high) if band else None,
        timeout_s=args.judge_timeout,
        concurrency=args.judge_concurrency,
    )


@dataclass(frozen=True, slots=True)
class Cascade:
    """The judge the flags ask for, how to name it in a report, and the band they set."""

    judge: PromptJudge
    name: str
    band: tuple[float, float] | None


def cascade_of(args: argparse.Namespace) -> Cascade | None:
    """`--judge-url` (an LLM judge) or `--guard` (a guard model), or None: no cascade."""
    settings = judge_settings(args)
    if args.guard is None:
        if args.guard_model is not None:
            raise ConfigError("--guard-model needs --guard", key="--guard")
        if settings is None:
            return None
        from sekimori.upstream.judge import OpenAIJudge

        return Cascade(
            OpenAIJudge(settings), f"`{settings.model}` at {settings.url}", settings.band
        )
    if settings is not None:
        raise ConfigError("use --judge-url or --guard, not both", key="--guard")
    if not args.guard_model:
        raise ConfigError("--guard needs --guard-model", key="--guard-model")
    guard = validated(
        GuardSettings,
        {"url": "--guard", "kind": "--guard-model", "model": "--guard-served-name"},
        kind=args.guard_model,
        url=args.guard,
        model=args.guard_served_name or args.guard_model,
        api=args.guard_api,
        timeout_s=args.judge_timeout,
    )
    from sekimori.guards.judge import GuardJudge

    band = Band.parse(args.judge_band) if args.judge_band else None
    return Cascade(
        GuardJudge(guard, args.judge_concurrency),
        f"guard `{guard.kind}` (`{guard.model}`) at {guard.base_url()}",
        (band.low, band.high) if band else None,
    )
