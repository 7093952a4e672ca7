"""Command groups (`sekimori train ...`, `sekimori eval ...`) whose sub-commands live anywhere.

A group lists "module:function" entries; each function takes the group's sub-parsers and adds one
sub-command, so adding a sub-command is one line in the group's list.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import import_module
from typing import Any


def add_group(
    subparsers: Any, name: str, help_text: str, entries: Sequence[str]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    sub = parser.add_subparsers(dest=f"{name}_command", metavar="WHAT")
    for entry in entries:
        module, _, function = entry.partition(":")
        getattr(import_module(module), function)(sub)

    def usage(_: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)
    return parser
