"""`sekimori doctor`: what `sekimori serve` would run with the same flags, and whether it can."""

from __future__ import annotations

import argparse

from sekimori.cli.serve import add_gateway_flags, gateway_settings
from sekimori.lang import Text, locale_lang

HELP = Text(
    en="show what `sekimori serve` would run with the same flags and check it: port, data "
    "directory, keys, policy, models, upstreams (exit 1 if a check fails)",
    ja="同じフラグで `sekimori serve` が何を使うかを表示し、ポート・データディレクトリ・キー・"
    "ポリシー・モデル・上流を確認します（失敗があれば終了コード 1）",
)
SUMMARY = Text(
    en="{fails} check(s) failed, {warns} warning(s)", ja="失敗 {fails} 件、注意 {warns} 件"
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("doctor", help=HELP.both(), description=HELP.both())
    add_gateway_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sekimori.gateway.banner import active_keys, describe
    from sekimori.gateway.doctor import render, run_checks

    settings = gateway_settings(args)
    lang = locale_lang()
    server = settings.server
    host = f"[{server.host}]" if ":" in server.host else server.host
    try:
        keys: int | None = active_keys(settings) if server.auth else None
    except Exception:  # reported by the keys check below, with its fix
        keys = None
    print(describe(settings, lang, address=f"http://{host}:{server.port}/v1", keys=keys).render())
    print()
    checks = run_checks(settings, lang)
    print(render(checks, lang))
    fails = sum(1 for c in checks if c.status == "fail")
    warns = sum(1 for c in checks if c.status == "warn")
    print()
    print(SUMMARY(lang, fails=fails, warns=warns))
    return 1 if fails else 0
