"""Checks on the held-back bilingual catastrophic pairs (data/heldback/catastrophic_pairs.jsonl):
schema, complete EN↔JA pairs, catastrophic tier, and that nothing trains on them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sekimori.classify.corpus import team, team_data_dir
from sekimori.evaluation.sets import PAIRS_PATH, SETS
from sekimori.lang import detect_lang
from sekimori.taxonomy import BY_ID, CATEGORIES, Tier
from tests.test_team_data import _norm, held_back_rows_equal_to_evaluation_items

FIELDS = {"id", "pair", "lang", "text", "label", "category", "tier"}
CATASTROPHIC = {c.id for c in CATEGORIES if c.tier is Tier.CATASTROPHIC}
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in PAIRS_PATH.read_text(encoding="utf-8").splitlines() if line
]


def test_rows_follow_the_schema_and_their_language() -> None:
    assert (PAIRS_PATH.parent / "README.md").is_file()
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    assert len({_norm(r["text"]) for r in ROWS}) == len(ROWS)
    for r in ROWS:
        assert set(r) == FIELDS, r["id"]
        assert r["id"] == f"{r['pair']}.{r['lang']}", r["id"]
        assert r["label"] in ("harmful", "benign") and r["category"] in CATASTROPHIC, r["id"]
        assert detect_lang(r["text"]) == r["lang"], r["id"]


def test_every_pair_is_complete_and_keeps_label_and_category() -> None:
    pairs: dict[str, list[dict[str, Any]]] = {}
    for r in ROWS:
        pairs.setdefault(r["pair"], []).append(r)
    for pair, rows in pairs.items():
        assert sorted(r["lang"] for r in rows) == ["en", "ja"], pair
        assert len({(r["label"], r["category"], r["tier"]) for r in rows}) == 1, pair


def test_every_harmful_row_is_catastrophic_16_per_category_with_6_lookalikes() -> None:
    for r in ROWS:
        tier = BY_ID[r["category"]].tier.value if r["label"] == "harmful" else "benign"
        assert r["tier"] == tier, r["id"]
    counts = Counter((r["label"], r["category"], r["lang"]) for r in ROWS)
    for cat in CATASTROPHIC:
        for lang in ("en", "ja"):
            assert counts["harmful", cat, lang] == 16, (cat, lang)
            assert counts["benign", cat, lang] == 6, (cat, lang)


def test_the_loader_reads_every_row() -> None:
    items = SETS.get("catastrophic-pairs")(Path("unused"))
    assert [i.id for i in items] == [r["id"] for r in ROWS]
    for item, r in zip(items, ROWS, strict=True):
        assert item.harmful is (r["label"] == "harmful") and item.origin == r["pair"]
        assert item.tier == r["tier"] and item.lang == r["lang"] and item.text == r["text"]
        assert item.label == (r["category"] if item.harmful else "lookalike")


def test_nothing_trains_on_the_held_back_pairs() -> None:
    assert PAIRS_PATH.parent != team_data_dir()
    trained = {_norm(e.text) for e in team(team_data_dir())}
    assert [r["id"] for r in ROWS if _norm(r["text"]) in trained] == []


def test_no_row_equals_an_evaluation_only_item() -> None:
    ours = {_norm(r["text"]): r["id"] for r in ROWS}
    leaks = held_back_rows_equal_to_evaluation_items(ours)
    assert leaks and all(ids == [] for ids in leaks.values()), leaks
