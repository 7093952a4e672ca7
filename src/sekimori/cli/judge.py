"""The cascade's command-line flags (`--judge-*`), shared by `classify` and `eval classifier`."""

from __future__ import annotations

import argparse
from typing import Any

from sekimori.classify.cascade import Band
from sekimori.cli.flags import validated
from sekimori.errors import ConfigError
from sekimori.settings import JudgeSettings

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
