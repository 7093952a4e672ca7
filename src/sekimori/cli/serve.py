"""`sekimori serve`: run the gateway."""

from __future__ import annotations

import argparse
from typing import Any

from sekimori.settings import load_settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the OpenAI-compatible gateway / ゲートウェイを起動する",
        description="Run the gateway. With no upstream configured it serves the embedded model "
        "`local`. 上流が未設定なら組み込みモデル `local` を提供します。",
    )
    parser.add_argument(
        "--host", help="address to listen on (default 127.0.0.1) / 待ち受けアドレス"
    )
    parser.add_argument("--port", type=int, help="port (default 8787; 0 picks a free one) / ポート")
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
        help="screen (default policy: classifiers and the policy; allow: a plain proxy) "
        "/ 検査方式（既定 policy、allow は素通し）",
    )
    parser.add_argument(
        "--policy", metavar="FILE", help="policy file (YAML) / ポリシーファイル（YAML）"
    )
    parser.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="development only, loopback only: accept requests without an API key "
        "/ 開発専用: API キーなしで受け付ける（ループバックのみ）",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sekimori.gateway.server import serve

    server: dict[str, Any] = {}
    if args.host is not None:
        server["host"] = args.host
    if args.port is not None:
        server["port"] = args.port
    if args.insecure_no_auth:
        server["auth"] = False
    overrides: dict[str, Any] = {"server": server}
    if args.screen:
        overrides["screen"] = {"name": args.screen}
    if args.policy:
        overrides["policy_file"] = args.policy
    if args.upstream:
        overrides["upstreams"] = {"cli": {"url": args.upstream, "models": ["*"]}}
    return serve(load_settings(args.config, overrides=overrides))
