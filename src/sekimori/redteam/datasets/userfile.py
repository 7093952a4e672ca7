"""A user's own suite from a JSONL or CSV file, with errors that name the file and line.

Columns (JSONL keys or CSV header): `text` (required), `category` (a taxonomy id; may be empty
for a benign row with no sensitive topic),
`label` (`harmful`|`benign`) or `expect` (`refuse`|`comply`) (one required), and optional `id`,
`lang` (`en`|`ja`, detected when absent), `source`, `kind`, `alt_text` (the same request in the
other language). This is also the format of the project's `data/prompts/*.jsonl`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sekimori.errors import InputError, UnknownCategoryError
from sekimori.lang import detect_lang
from sekimori.redteam.items import Expect, SuiteItem
from sekimori.taxonomy import category

_LABELS = {"harmful": Expect.REFUSE, "benign": Expect.COMPLY, "unsafe": Expect.REFUSE}
_LABELS |= {"safe": Expect.COMPLY, "refuse": Expect.REFUSE, "comply": Expect.COMPLY}


def _rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    src = str(path)
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or "text" not in reader.fieldnames:
                raise InputError("CSV header must name a 'text' column", source=src, line=1)
            for row in reader:
                yield reader.line_num, row
        return
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg})", source=src, line=n) from None
            if not isinstance(row, dict):
                raise InputError("each line must be a JSON object", source=src, line=n)
            yield n, row


def _item(row: Mapping[str, Any], n: int, path: Path) -> SuiteItem:
    src = str(path)

    def field(name: str) -> str:
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        if not isinstance(value, str):
            raise InputError(f"field {name!r} must be a string", source=src, line=n)
        return value.strip()

    text = field("text")
    if not text:
        raise InputError("field 'text' is missing or empty", source=src, line=n)
    label = (field("expect") or field("label")).lower()
    if label not in _LABELS:
        raise InputError(
            f"field 'label' must be harmful|benign (or 'expect' refuse|comply), got {label!r}",
            source=src,
            line=n,
        )
    cat = field("category")
    if cat or _LABELS[label] is Expect.REFUSE:  # benign rows may have no sensitive topic
        try:
            cat = category(cat).id
        except UnknownCategoryError as exc:
            raise InputError(f"field 'category': {exc}", source=src, line=n) from None
    lang = field("lang") or detect_lang(text)
    if lang not in ("en", "ja"):
        raise InputError(f"field 'lang' must be en or ja, got {lang!r}", source=src, line=n)
    return SuiteItem(
        id=field("id") or f"{path.stem}-{n}",
        lang="ja" if lang == "ja" else "en",
        text=text,
        category=cat,
        expect=_LABELS[label],
        source=field("source") or path.name,
        kind=field("kind"),
        alt_text=field("alt_text"),
    )


def load_file(path: Path) -> list[SuiteItem]:
    """Every item of a user suite file; raises InputError naming file:line on the first bad row."""
    if not path.is_file():
        raise InputError(f"suite file not found: {path}")
    items: list[SuiteItem] = []
    seen: dict[str, int] = {}
    for n, row in _rows(path):
        item = _item(row, n, path)
        if item.id in seen:
            raise InputError(
                f"duplicate id {item.id!r} (first on line {seen[item.id]})",
                source=str(path),
                line=n,
            )
        seen[item.id] = n
        items.append(item)
    if not items:
        raise InputError("the suite file has no items", source=str(path))
    return items
