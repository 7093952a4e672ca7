"""Checks on the held-back short turns (data/heldback/short_turns.jsonl): schema, counts by
language and label, languages, lengths, uniqueness, and that nothing trains on them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sekimori.classify.corpus import team_data_dir
from sekimori.lang import detect_lang
from sekimori.taxonomy import CATEGORY_IDS
from tests.test_team_data import _norm, held_back_rows_equal_to_evaluation_items, team_texts

ROOT = Path(__file__).resolve().parents[1]
SHORT = ROOT / "data" / "heldback" / "short_turns.jsonl"
FIELDS = {"id", "lang", "text", "label", "kind", "category"}
KINDS = {
    "benign": {"continuation", "ack", "correction", "format", "smalltalk", "other"},
    "harmful": {"direct", "escalation"},
}
# Rows per (lang, label), as written (data/heldback/README.md).
COUNTS = {"benign": 120, "harmful": 60}
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in SHORT.read_text(encoding="utf-8").splitlines() if line
]


def test_rows_follow_the_schema_and_their_language() -> None:
    assert (SHORT.parent / "README.md").is_file()
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    for r in ROWS:
        assert set(r) == FIELDS, r["id"]
        assert r["lang"] in ("en", "ja") and r["id"].startswith(f"st.{r['lang']}."), r["id"]
        assert r["kind"] in KINDS[r["label"]], r["id"]
        if r["label"] == "benign":
            assert r["category"] is None, r["id"]
        else:
            assert r["category"] in CATEGORY_IDS, r["id"]
        assert detect_lang(r["text"]) == r["lang"], r["id"]


def test_counts_and_benign_lengths() -> None:
    counts = Counter((r["lang"], r["label"]) for r in ROWS)
    assert counts == {(lang, label): n for lang in ("en", "ja") for label, n in COUNTS.items()}
    for r in ROWS:
        if r["label"] == "benign":
            # A short turn: 1-15 English words, at most 40 Japanese characters.
            size = len(r["text"].split()) if r["lang"] == "en" else len(r["text"])
            assert 1 <= size <= (15 if r["lang"] == "en" else 40), r["id"]


def test_no_two_rows_share_a_normalised_text() -> None:
    texts = Counter(_norm(r["text"]) for r in ROWS)
    assert [t for t, n in texts.items() if n > 1] == []


def test_nothing_trains_on_the_short_turns() -> None:
    assert not SHORT.is_relative_to(team_data_dir())
    written = team_texts()
    assert [r["id"] for r in ROWS if _norm(r["text"]) in written] == []


def test_only_evaluation_code_names_the_held_back_folder() -> None:
    # Training, tuning and data-writing code lives outside sekimori.evaluation; none may read
    # data/heldback/ (bench/ measures, so it may).
    evaluation = ROOT / "src" / "sekimori" / "evaluation"
    code = [*(ROOT / "src" / "sekimori").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]
    readers = [
        str(p.relative_to(ROOT))
        for p in code
        if not p.is_relative_to(evaluation)
        and any(name in p.read_text(encoding="utf-8") for name in ("heldback", SHORT.name))
    ]
    assert readers == []


def test_no_row_equals_an_evaluation_only_item() -> None:
    ours = {_norm(r["text"]): r["id"] for r in ROWS}
    leaks = held_back_rows_equal_to_evaluation_items(ours)
    assert leaks and all(ids == [] for ids in leaks.values()), leaks
