"""The fenced code blocks of README.md and docs/, and which of them the doc tests run.

Every fenced block carries a language tag. Shell (`sh`, `bash`, `console`) and `python` blocks
are code a reader runs: the doc tests execute each of them, unless the block says in a comment
line why it cannot run here (`# not run by the doc tests: REASON`), which the reader sees too.
Other tags (`text`, `yaml`, `json`, ...) are files and output, not run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL = frozenset({"sh", "bash", "console"})
CODE = SHELL | {"python"}
NOT_RUN = "not run by the doc tests:"
_FENCE = re.compile(r"^( {0,3})(```+|~~~+)\s*([^\s`]*)")
_MARK = re.compile(r"#.*?" + re.escape(NOT_RUN) + r"\s*(.*)$", re.M)


@dataclass(frozen=True, slots=True)
class DocBlock:
    page: str  # relative to the repository root
    line: int  # of the opening fence, 1-based
    lang: str  # "" when the fence has no tag
    code: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def is_code(self) -> bool:
        return self.lang in CODE

    @property
    def not_run(self) -> str | None:
        """The reason the block gives for not being run, "" for a mark without one, or None."""
        found = _MARK.search(self.code)
        return None if found is None else found.group(1).strip()

    @property
    def shell(self) -> str:
        """The block as bash runs it: a `console` block's `$ ` lines, the others as written."""
        if self.lang != "console":
            return self.code
        lines = self.code.splitlines()
        return "".join(line[2:] + "\n" for line in lines if line.startswith("$ "))


def pages() -> list[Path]:
    """README.md and every page under docs/ but the generated CLI reference (its help text)."""
    docs = sorted((ROOT / "docs").rglob("*.md"))
    return [ROOT / "README.md", *(p for p in docs if p != ROOT / "docs" / "cli.md")]


def doc_blocks(path: Path) -> list[DocBlock]:
    """The page's fenced blocks in order."""
    return blocks_of(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


def blocks_of(markdown: str, page: str) -> list[DocBlock]:
    """The fenced blocks of `markdown` in order (an unclosed fence runs to the end)."""
    blocks: list[DocBlock] = []
    fence, indent, lang, start, body = "", "", "", 0, list[str]()
    for number, line in enumerate(markdown.splitlines(), 1):
        if not fence:
            opened = _FENCE.match(line)
            if opened:
                indent, fence, lang = opened.groups()
                start, body = number, []
        elif line.strip() == fence:
            blocks.append(DocBlock(page, start, lang, "".join(b + "\n" for b in body)))
            fence = ""
        else:  # a fence indented in a list item indents its lines as much
            body.append(line.removeprefix(indent))
    if fence:
        blocks.append(DocBlock(page, start, lang, "".join(b + "\n" for b in body)))
    return blocks


def all_blocks() -> list[DocBlock]:
    return [block for page in pages() for block in doc_blocks(page)]


def private_network() -> list[str] | None:
    """The command prefix that runs a command in a private network namespace, whose loopback
    (brought up with `ip link set lo up`) no other process uses; None where that is not allowed."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return None
    prefix = ["unshare", "--user", "--map-root-user", "--net"]
    probe = subprocess.run([*prefix, "ip", "link", "set", "lo", "up"], capture_output=True)
    return prefix if probe.returncode == 0 else None
