"""Checks on the held-back short turns (data/heldback/short_turns.jsonl and
data/heldback/short_turns_v2.jsonl, both spent): schema, counts by language and label, languages,
lengths, uniqueness within and across the two files, and that nothing trains on them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sekimori.classify.corpus import team_data_dir
from sekimori.lang import detect_lang
from sekimori.taxonomy import CATEGORY_IDS
from tests.test_team_data import _norm, held_back_rows_equal_to_evaluation_items, team_texts

ROOT = Path(__file__).resolve().parents[1]
HELD_BACK = ROOT / "data" / "heldback"
# Each file and its id prefix (data/heldback/README.md): `st.en.0001`, `st2.ja.0001`, ...
SETS = {"short_turns.jsonl": "st", "short_turns_v2.jsonl": "st2"}
FIELDS = {"id", "lang", "text", "label", "kind", "category"}
KINDS = {
    "benign": {"continuation", "ack", "correction", "format", "smalltalk", "other"},
    "harmful": {"direct", "escalation"},
}
# Rows per (lang, label), as written (data/heldback/README.md): the same for both files.
COUNTS = {"benign": 120, "harmful": 60}


def _rows(name: str) -> list[dict[str, Any]]:
    text = (HELD_BACK / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


ROWS = {name: _rows(name) for name in SETS}
each_file = pytest.mark.parametrize("name", sorted(SETS))


@each_file
def test_rows_follow_the_schema_and_their_language(name: str) -> None:
    assert (HELD_BACK / "README.md").is_file()
    rows = ROWS[name]
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert r["lang"] in ("en", "ja"), r["id"]
        assert r["id"].startswith(f"{SETS[name]}.{r['lang']}."), r["id"]
        assert r["kind"] in KINDS[r["label"]], r["id"]
        if r["label"] == "benign":
            assert r["category"] is None, r["id"]
        else:
            assert r["category"] in CATEGORY_IDS, r["id"]
        assert detect_lang(r["text"]) == r["lang"], r["id"]


@each_file
def test_counts_and_benign_lengths(name: str) -> None:
    rows = ROWS[name]
    counts = Counter((r["lang"], r["label"]) for r in rows)
    assert counts == {(lang, label): n for lang in ("en", "ja") for label, n in COUNTS.items()}
    for r in rows:
        if r["label"] == "benign":
            # A short turn: 1-15 English words, at most 40 Japanese characters.
            size = len(r["text"].split()) if r["lang"] == "en" else len(r["text"])
            assert 1 <= size <= (15 if r["lang"] == "en" else 40), r["id"]


@each_file
def test_no_two_rows_share_a_normalised_text(name: str) -> None:
    texts = Counter(_norm(r["text"]) for r in ROWS[name])
    assert [t for t, n in texts.items() if n > 1] == []


def test_the_fresh_set_shares_no_text_with_the_spent_one() -> None:
    # A row of short_turns_v2.jsonl equal to one of short_turns.jsonl would already be spent.
    spent = {_norm(r["text"]) for r in ROWS["short_turns.jsonl"]}
    assert [r["id"] for r in ROWS["short_turns_v2.jsonl"] if _norm(r["text"]) in spent] == []


@each_file
def test_nothing_trains_on_the_short_turns(name: str) -> None:
    assert not (HELD_BACK / name).is_relative_to(team_data_dir())
    written = team_texts()
    assert [r["id"] for r in ROWS[name] if _norm(r["text"]) in written] == []


def test_only_evaluation_code_names_the_held_back_folder() -> None:
    # Training, tuning and data-writing code lives outside sekimori.evaluation; none may read
    # data/heldback/ (bench/ measures, so it may).
    evaluation = ROOT / "src" / "sekimori" / "evaluation"
    code = [*(ROOT / "src" / "sekimori").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]
    names = ("heldback", *SETS)
    readers = [
        str(p.relative_to(ROOT))
        for p in code
        if not p.is_relative_to(evaluation)
        and any(name in p.read_text(encoding="utf-8") for name in names)
    ]
    assert readers == []


@each_file
def test_no_row_equals_an_evaluation_only_item(name: str) -> None:
    ours = {_norm(r["text"]): r["id"] for r in ROWS[name]}
    leaks = held_back_rows_equal_to_evaluation_items(ours)
    assert leaks and all(ids == [] for ids in leaks.values()), leaks
