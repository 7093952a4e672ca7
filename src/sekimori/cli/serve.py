"""`sekimori serve`: run the gateway. Its flags are shared with `sekimori doctor`."""

from __future__ import annotations

import argparse
from typing import Any

from sekimori.settings import Settings, load_settings


def add_gateway_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that choose what a gateway runs with (`serve`, and `doctor` which checks it)."""
    parser.add_argument(
        "--host", help="address to listen on (default 127.0.0.1) / 待ち受けアドレス"
    )
    parser.add_argument("--port", type=int, help="port (default 8787; 0 picks a free one) / ポート")
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="gateway processes on the one port, sharing audit, keys and limits (default 1) "
        "/ 同じポートで動かすプロセス数（監査・キー・制限を共有）",
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        help="an OpenAI-compatible server for every model, e.g. http://127.0.0.1:8000/v1 "
        "/ すべてのモデルの転送先",
    )
    parser.add_argument("--config", metavar="FILE", help="YAML settings file / YAML 設定ファイル")
    parser.add_argument(
        "--screen",
        metavar="NAME",
        help="screen (default policy: classifiers and the policy; allow: a plain proxy, "
        "nothing screened) / 検査方式（既定 policy、allow は素通しで何も検査しない）",
    )
    parser.add_argument(
        "--policy", metavar="FILE", help="policy file (YAML) / ポリシーファイル（YAML）"
    )
    parser.add_argument(
        "--local-model",
        metavar="NAME",
        help="the embedded model run when no upstream is set (default smollm2-135m; "
        "qwen2.5-coder-0.5b answers in Japanese too, with the local-ja extra); "
        "`sekimori local-model list` shows what is installed / 上流がないときの組み込みモデル"
        "（日本語は qwen2.5-coder-0.5b）",
    )
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="development only, loopback only: accept requests without an API key "
        "/ 開発専用: API キーなしで受け付ける（ループバックのみ）",
    )


def gateway_settings(args: argparse.Namespace) -> Settings:
    """The settings file (if any) with the flags applied over it."""
    server: dict[str, Any] = {}
    if args.host is not None:
        server["host"] = args.host
    if args.port is not None:
        server["port"] = args.port
    if args.workers is not None:
        server["workers"] = args.workers
    if args.insecure_no_auth:
        server["auth"] = False
    overrides: dict[str, Any] = {"server": server}
    if args.screen:
        overrides["screen"] = {"name": args.screen}
    if args.policy:
        overrides["policy_file"] = args.policy
    if args.local_model:
        overrides["local_model"] = args.local_model
    if args.upstream:
        overrides["upstreams"] = {"cli": {"url": args.upstream, "models": ["*"]}}
    return load_settings(args.config, overrides=overrides)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the OpenAI-compatible gateway / ゲートウェイを起動する",
        description="Run the gateway. With no upstream configured it serves the embedded model "
        "`local`. 上流が未設定なら組み込みモデル `local` を提供します。",
    )
    add_gateway_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sekimori.console.app import Console
    from sekimori.gateway.server import serve

    return serve(gateway_settings(args), console=Console)
