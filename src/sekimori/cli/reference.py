"""The command-line reference (docs/cli.md), generated from the argument parsers themselves.

`python -m sekimori.cli.reference > docs/cli.md` rewrites it; a test fails when the committed page
and the parsers differ, so `--help` and the docs agree by construction.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator

HEADER = """# Command-line reference / コマンドリファレンス

Generated from the argument parsers by `python -m sekimori.cli.reference > docs/cli.md`; do not
edit by hand (`tests/cli/test_cli_reference.py` fails when this page and `--help` differ).
引数パーサーから生成したページです。手で編集しないでください。
"""
WIDTH = "100"  # help is wrapped to the terminal's width: fixed here, so the page is stable


def _commands(
    parser: argparse.ArgumentParser, path: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, f"{path} {name}")


def reference_markdown() -> str:
    from sekimori.cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        sections = [HEADER]
        for path, parser in _commands(build_parser(), "sekimori"):
            sections.append(f"## `{path}`\n\n```text\n{parser.format_help().rstrip()}\n```\n")
        return "\n".join(sections)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


if __name__ == "__main__":
    sys.stdout.write(reference_markdown())
