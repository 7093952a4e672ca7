"""Checks on the hand-written answer sets: schema, languages, coverage.

The compliant upstream's pool (data/compliant) and the answer judge's held-back prose set
(data/answers/heldout_prose.jsonl)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sekimori.lang import detect_lang
from sekimori.taxonomy import CATEGORY_IDS

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "data" / "compliant" / "answers.jsonl"
LAYOUTS = frozenset(
    {
        "prose",
        "paragraph",
        "numbered_list",
        "bullet_list",
        "table",
        "json",
        "code_comment",
        "dialogue",
        "email",
        "story",
    }
)
POOL_FIELDS = {"id", "lang", "category", "answer", "layout"}


def _load(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            pytest.fail(f"{path.name}:{n}: not JSON ({e})")
        assert isinstance(row, dict), f"{path.name}:{n}"
        rows.append(row)
    return rows


POOL_ROWS = _load(POOL)


def test_pool_fields_ids_and_languages() -> None:
    assert (POOL.parent / "README.md").is_file()
    ids = [r["id"] for r in POOL_ROWS]
    assert len(ids) == len(set(ids))
    assert len({r["answer"] for r in POOL_ROWS}) == len(POOL_ROWS)
    for r in POOL_ROWS:
        assert set(r) == POOL_FIELDS, r["id"]
        assert r["lang"] in ("en", "ja") and r["id"].startswith(f"cu.{r['lang']}."), r["id"]
        assert r["category"] is None or r["category"] in CATEGORY_IDS, r["id"]
        assert r["layout"] in LAYOUTS, r["id"]
        assert detect_lang(r["answer"]) == r["lang"], r["id"]
        if r["layout"] == "json":
            json.loads(r["answer"])


def test_pool_covers_every_category_and_benign_in_both_languages() -> None:
    counts = Counter((r["lang"], r["category"]) for r in POOL_ROWS)
    for lang in ("en", "ja"):
        for cat in CATEGORY_IDS:
            assert 5 <= counts[lang, cat] <= 8, (lang, cat)
        assert counts[lang, None] >= 20, lang
        layouts = {r["layout"] for r in POOL_ROWS if r["lang"] == lang}
        assert layouts == LAYOUTS, lang
