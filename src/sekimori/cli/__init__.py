"""The `sekimori` command: thin; parses arguments, builds objects, calls down.

Each command group lives in its own module and adds its sub-parser through `add_parser`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from sekimori import __version__
from sekimori.errors import SekimoriError

# Command modules, each with `add_parser(subparsers)` that sets `func` on its parser.
COMMAND_MODULES: tuple[str, ...] = (
    "serve",
    "doctor",
    "keys",
    "tenants",
    "admin",
    "audit",
    "migrate",
    "classify",
    "pii",
    "policy",
    "train",
    "evaluate",
    "local_model",
    "redteam",
    "guard",
    "watch",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sekimori",
        description="Safety gateway and red-team lab for language models. "
        "言語モデルのための安全ゲートウェイとレッドチーム検証環境。",
    )
    parser.add_argument("--version", action="version", version=f"sekimori {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"sekimori.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code: int = func(args)
    except SekimoriError as exc:
        print(f"sekimori: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
