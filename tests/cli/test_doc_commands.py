"""Every `sekimori ...` command in the README and docs/ parses with today's argument parsers, and
every Python block compiles and imports only what exists.

The doc tests (tests/docs/) run every block they can; the blocks that need a model server or
hours of work are not run, but their commands must still be ones `sekimori` accepts: a renamed
flag, a removed sub-command or an unknown red-team suite in the docs fails here.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass

from sekimori.cli import build_parser
from sekimori.redteam.datasets import SUITES
from tests.docs.blocks import SHELL, blocks_of, doc_blocks, pages

_COMMAND = re.compile(r"^(?:\S*/)?sekimori\s+(.*)$")


@dataclass(frozen=True, slots=True)
class DocCommand:
    source: str
    argv: list[str]


def doc_commands(markdown: str, source: str) -> list[DocCommand]:
    """The `sekimori` invocations in a page's shell blocks, as argument lists.

    Continuation lines are joined; `&&`, `||`, `;` and `|` split commands; `KEY=$(...)` and a
    trailing `&` or `# comment` are dropped; an optional `[ARG]` as usage text shows it is left out.
    """
    commands = []
    for block in (b.shell for b in blocks_of(markdown, source) if b.lang in SHELL):
        for line in block.replace("\\\n", " ").splitlines():
            for segment in re.split(r"&&|\|\||;|\|", line):
                segment = re.sub(r"^\s*\w+=\$\(", "", segment.split(" #")[0]).strip()
                found = _COMMAND.match(segment)
                if found is None:
                    continue
                argv = shlex.split(found.group(1).rstrip(") &"))
                argv = [a for a in argv if not (a.startswith("[") and a.endswith("]"))]
                commands.append(DocCommand(source, argv))
    return commands


def problem(command: DocCommand) -> str | None:
    """Why `sekimori ARGV` would be refused, or None."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = build_parser().parse_args(command.argv)
    except SystemExit as exc:
        return None if not exc.code else (err.getvalue().strip().splitlines() or ["?"])[-1]
    suite = getattr(args, "suite", None)
    if isinstance(suite, str) and suite not in SUITES and not suite.endswith((".jsonl", ".csv")):
        return f"unknown suite {suite!r}; registered: {', '.join(SUITES.names())}"
    return None


def test_every_documented_command_parses() -> None:
    commands = [
        c for page in pages() for c in doc_commands(page.read_text(encoding="utf-8"), page.name)
    ]
    assert len(commands) >= 25  # the pages hold about 30; far fewer means the extraction broke
    refused = [(c, problem(c)) for c in commands]
    assert [f"{c.source}: sekimori {' '.join(c.argv)}: {why}" for c, why in refused if why] == []


def test_a_drifted_command_is_caught() -> None:
    page = "```sh\nKEY=$(sekimori keys create --tenant a | tail -n 1)\n" + (
        "sekimori redteam run --target local --suite smok --out r   # typo\n"
        "sekimori serve --upstrem http://x \\\n  --port 1 &\n```\n"
    )
    commands = doc_commands(page, "page")
    assert [c.argv[:2] for c in commands] == [
        ["keys", "create"],
        ["redteam", "run"],
        ["serve", "--upstrem"],
    ]
    assert problem(commands[0]) is None
    assert "unknown suite 'smok'" in (problem(commands[1]) or "")
    assert "unrecognized arguments: --upstrem" in (problem(commands[2]) or "")


def test_every_python_block_compiles_and_its_sekimori_imports_exist() -> None:
    import ast
    import importlib

    checked = 0
    for block in (b for page in pages() for b in doc_blocks(page) if b.lang == "python"):
        tree = ast.parse(block.code, filename=block.where)  # a SyntaxError names the page
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sekimori"):
                module = importlib.import_module(str(node.module))
                missing = [a.name for a in node.names if not hasattr(module, a.name)]
                assert missing == [], f"{block.where}: {node.module} has no {missing}"
                checked += 1
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("sekimori"):
                        importlib.import_module(alias.name)
                        checked += 1
    assert checked >= 6  # the pages import from sekimori in about eight places
