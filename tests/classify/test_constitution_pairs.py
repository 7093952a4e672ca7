"""The constitution pairs (data/prompts/constitution_pairs.jsonl): the coverage the issue asks for,
twins that share their framing, and the training loader reading every row."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sekimori.classify.corpus import team, team_data_dir
from sekimori.taxonomy import Tier, in_tier

PATH = team_data_dir() / "constitution_pairs.jsonl"
DISGUISES = {"romaji", "spaced", "fullwidth", "leet"}


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PATH.read_text(encoding="utf-8").splitlines() if line]


def test_every_row_has_a_twin_with_the_same_framing() -> None:
    rows = _rows()
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        twin = by_id[r["pair"]]  # a twin in this very file
        assert twin["framing"] == r["framing"], r["id"]
        assert {twin["label"], r["label"]} == {"harmful", "benign"}, r["id"]


def test_coverage_per_tier_language_and_framing() -> None:
    harmful = [r for r in _rows() if r["label"] == "harmful"]
    per_cat = Counter(r["category"] for r in harmful)
    for cat in in_tier(Tier.CATASTROPHIC):
        assert per_cat[cat] >= 40, cat
    for cat in in_tier(Tier.SEVERE):
        assert per_cat[cat] >= 20, cat
    assert sum(r["lang"] == "ja" for r in harmful) > len(harmful) / 2
    framings = Counter(r["framing"] for r in harmful)
    # Every framing and disguise of the issue, each more than a token few times.
    assert all(n >= 5 for n in framings.values()) and len(framings) >= 12
    assert set(framings) >= DISGUISES


def test_the_training_loader_reads_every_row() -> None:
    rows = {r["text"]: r for r in _rows()}
    loaded = [e for e in team(Path(PATH.parent)) if e.text in rows]
    assert len(loaded) == len(rows)
    for e in loaded:
        r = rows[e.text]
        assert e.harmful is (r["label"] == "harmful")
        assert e.lang == r["lang"]
        assert e.categories == ((r["category"],) if e.harmful else ())
        # Twins share a group: the split never puts one twin in training, the other in validation.
        assert e.group == "team:" + min(r["id"], r["pair"])
