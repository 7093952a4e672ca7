"""Checks on the held-back copyright probe (data/heldback/copyright_probe.jsonl): schema, twins,
and that nothing trains on it (no row of data/prompts/, candidates and validation included,
equals a probe row) and no probe row equals an evaluation-only item."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sekimori.classify.corpus import team_data_dir
from sekimori.lang import detect_lang
from tests.test_team_data import _norm, held_back_rows_equal_to_evaluation_items, team_texts

PROBE = Path(__file__).resolve().parents[1] / "data" / "heldback" / "copyright_probe.jsonl"
FIELDS = {"id", "lang", "text", "label", "category", "family", "twin"}
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in PROBE.read_text(encoding="utf-8").splitlines() if line
]


def test_rows_follow_the_schema_and_their_language() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    assert len({_norm(r["text"]) for r in ROWS}) == len(ROWS)
    for r in ROWS:
        assert set(r) == FIELDS, r["id"]
        kind = "req" if r["label"] == "harmful" else "ben"
        assert r["id"].startswith(f"cprobe.{r['lang']}.{kind}."), r["id"]
        assert r["category"] == "ip.copyright" and r["family"], r["id"]
        assert detect_lang(r["text"]) == r["lang"], r["id"]
    counts = Counter((r["lang"], r["label"]) for r in ROWS)
    for lang in ("en", "ja"):
        assert counts[lang, "harmful"] >= 60 and counts[lang, "benign"] >= 40, lang


def test_a_twin_is_a_request_of_the_same_language() -> None:
    by_id = {r["id"]: r for r in ROWS}
    for r in ROWS:
        if r["twin"] is not None:
            assert r["label"] == "benign", r["id"]
            twin = by_id[r["twin"]]
            assert twin["label"] == "harmful" and twin["lang"] == r["lang"], r["id"]


def test_nothing_trains_on_the_probe() -> None:
    assert PROBE.parent != team_data_dir()
    written = team_texts()
    assert [r["id"] for r in ROWS if _norm(r["text"]) in written] == []


def test_no_row_equals_an_evaluation_only_item() -> None:
    ours = {_norm(r["text"]): r["id"] for r in ROWS}
    leaks = held_back_rows_equal_to_evaluation_items(ours)
    assert leaks and all(ids == [] for ids in leaks.values()), leaks
