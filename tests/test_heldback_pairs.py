"""Checks on the held-back bilingual pairs (data/heldback/catastrophic_pairs.jsonl and
severe_pairs.jsonl): schema, complete EN↔JA pairs, the tier's categories 16 requests each, and
that nothing trains on them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sekimori.classify.corpus import team, team_data_dir
from sekimori.evaluation.sets import PAIR_FILES, PAIR_SETS, SETS
from sekimori.lang import detect_lang
from sekimori.taxonomy import BY_ID, CATEGORIES
from tests.test_team_data import _norm, held_back_rows_equal_to_evaluation_items

FIELDS = {"id", "pair", "lang", "text", "label", "category", "tier"}
# benign look-alike pairs per category, as written (data/heldback/README.md)
LOOKALIKES = {
    "catastrophic": dict.fromkeys(
        ("weapons.bio", "weapons.chem", "weapons.nuclear", "military.targeting"), 6
    ),
    "severe": {
        "weapons.conventional": 5,
        "cyber.offense": 5,
        "crime.violent": 5,
        "sexual.minors": 4,
        "self_harm": 5,
    },
}
TIERS = sorted(PAIR_FILES)


def _rows(tier: str) -> list[dict[str, Any]]:
    text = PAIR_FILES[tier].read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def _of_tier(tier: str) -> set[str]:
    return {c.id for c in CATEGORIES if c.tier.value == tier}


def test_every_tier_with_pairs_is_covered_here() -> None:
    assert set(LOOKALIKES) == set(PAIR_FILES) == set(PAIR_SETS)
    for tier, counts in LOOKALIKES.items():
        assert set(counts) == _of_tier(tier), tier


@pytest.mark.parametrize("tier", TIERS)
def test_rows_follow_the_schema_and_their_language(tier: str) -> None:
    rows = _rows(tier)
    assert (PAIR_FILES[tier].parent / "README.md").is_file()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert len({_norm(r["text"]) for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert r["id"] == f"{r['pair']}.{r['lang']}", r["id"]
        assert r["label"] in ("harmful", "benign") and r["category"] in _of_tier(tier), r["id"]
        assert detect_lang(r["text"]) == r["lang"], r["id"]


@pytest.mark.parametrize("tier", TIERS)
def test_every_pair_is_complete_and_keeps_label_and_category(tier: str) -> None:
    pairs: dict[str, list[dict[str, Any]]] = {}
    for r in _rows(tier):
        pairs.setdefault(r["pair"], []).append(r)
    for pair, rows in pairs.items():
        assert sorted(r["lang"] for r in rows) == ["en", "ja"], pair
        assert len({(r["label"], r["category"], r["tier"]) for r in rows}) == 1, pair


@pytest.mark.parametrize("tier", TIERS)
def test_every_harmful_row_is_of_the_tier_16_per_category_with_the_lookalikes(tier: str) -> None:
    rows = _rows(tier)
    for r in rows:
        expected = BY_ID[r["category"]].tier.value if r["label"] == "harmful" else "benign"
        assert r["tier"] == expected, r["id"]
        assert r["label"] == "benign" or r["tier"] == tier, r["id"]
    counts = Counter((r["label"], r["category"], r["lang"]) for r in rows)
    for cat, lookalikes in LOOKALIKES[tier].items():
        for lang in ("en", "ja"):
            assert counts["harmful", cat, lang] == 16, (cat, lang)
            assert counts["benign", cat, lang] == lookalikes, (cat, lang)


@pytest.mark.parametrize("tier", TIERS)
def test_the_loader_reads_every_row(tier: str) -> None:
    rows = _rows(tier)
    items = SETS.get(PAIR_SETS[tier])(Path("unused"))
    assert [i.id for i in items] == [r["id"] for r in rows]
    for item, r in zip(items, rows, strict=True):
        assert item.set == PAIR_SETS[tier]
        assert item.harmful is (r["label"] == "harmful") and item.origin == r["pair"]
        assert item.tier == r["tier"] and item.lang == r["lang"] and item.text == r["text"]
        assert item.label == (r["category"] if item.harmful else "lookalike")


@pytest.fixture(scope="module")
def trained() -> set[str]:
    return {_norm(e.text) for e in team(team_data_dir())}


@pytest.mark.parametrize("tier", TIERS)
def test_nothing_trains_on_the_held_back_pairs(tier: str, trained: set[str]) -> None:
    assert PAIR_FILES[tier].parent != team_data_dir()
    assert [r["id"] for r in _rows(tier) if _norm(r["text"]) in trained] == []


@pytest.mark.parametrize("tier", TIERS)
def test_no_row_equals_an_evaluation_only_item(tier: str) -> None:
    ours = {_norm(r["text"]): r["id"] for r in _rows(tier)}
    leaks = held_back_rows_equal_to_evaluation_items(ours)
    assert leaks and all(ids == [] for ids in leaks.values()), leaks
