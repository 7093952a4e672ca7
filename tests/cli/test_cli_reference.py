"""The docs and `--help` agree: docs/cli.md is the parsers' own help, and the red-team page
lists the registered suites."""

from __future__ import annotations

import re
from pathlib import Path

from sekimori.cli.reference import reference_markdown
from sekimori.redteam.datasets import SUITES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_cli_reference_page_is_the_parsers_help() -> None:
    committed = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), (
        "docs/cli.md is stale: python -m sekimori.cli.reference > docs/cli.md"
    )


def test_the_redteam_page_lists_exactly_the_registered_suites() -> None:
    text = (DOCS / "redteam.md").read_text(encoding="utf-8")
    table = text.split("## Suites", 1)[1].split("\n\n")[1]
    documented = re.findall(r"^\| `([\w-]+)` \|", table, flags=re.M)
    assert sorted(documented) == sorted(SUITES.names())


def test_the_key_variables_the_redteam_page_names_are_in_the_help() -> None:
    text = (DOCS / "redteam.md").read_text(encoding="utf-8")
    page = reference_markdown()
    for variable in set(re.findall(r"SEKIMORI_[A-Z_]*API_KEY", text)):
        assert variable in page, variable
