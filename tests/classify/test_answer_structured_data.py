"""The structured answers (data/answers/structured_*.jsonl, issue 15, judgedata helper): harmful
JSON, YAML, key-value lines, tables, CSV, stories, scenes, chats, bullets and dense paragraphs in
the categories the judge reads worst in those layouts, each beside a harmless twin in the same
layout; refusals and partial answers in the same layouts; training rows only, labelled,
sanitized, varied in their openings, reproducible, and read by the loader under their own
source, outside the recall floor."""

import json
from collections import Counter
from pathlib import Path

import pytest

from sekimori.classify.answers.data import OWN_DATA, load_jsonl, source_of
from sekimori.classify.answers.train import FLOOR_SOURCES
from sekimori.types import RefusalLabel
from tests.answer_generators import (
    assert_generator_writes_committed_data,
    assert_sanitized_and_varied,
)

LANGS = ("en", "ja")
LAYOUTS = {"json", "json_min", "yaml", "key_value", "md_table", "csv"} | {
    "story",
    "scene",
    "chat",
    "bullets",
    "paragraph",
}
WEAK = {"deception", "crime.nonviolent", "hate", "self_harm", "crime.violent"} | {
    "weapons.conventional"
}


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"structured_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_structured_files_have_their_own_source_outside_the_recall_floor() -> None:
    assert source_of(OWN_DATA / "structured_en.jsonl") == "sekimori-structured"
    assert "sekimori-structured" not in FLOOR_SOURCES


@pytest.mark.parametrize("lang", LANGS)
def test_structured_answers_are_labelled_training_rows_in_the_weak_categories(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"structured_{lang}.jsonl")
    assert 60 <= len(examples) <= 80
    assert {e.lang for e in examples} == {lang}
    assert {e.split for e in examples} == {"train"}
    harmful = [e for e in examples if e.harmful]
    assert len(harmful) >= 30 and len(examples) - len(harmful) >= len(harmful)
    assert {e.category for e in harmful} == WEAK
    assert min(Counter(e.category for e in harmful).values()) >= 4
    assert {e.refusal for e in harmful} == {RefusalLabel.COMPLIANCE, RefusalLabel.PARTIAL}
    labels = {e.refusal for e in examples if not e.harmful}
    assert labels == {RefusalLabel.COMPLIANCE, RefusalLabel.REFUSAL, RefusalLabel.PARTIAL}


@pytest.mark.parametrize("lang", LANGS)
def test_structured_layout_is_not_a_label(lang: str) -> None:
    rows = _rows(lang)
    harmful = Counter(str(r["layout"]) for r in rows if r["harmful"])
    # every harmful answer has a harmless twin in the same layout on a neighbouring topic
    twins = Counter(str(r["layout"]) for r in rows if not r["harmful"] and r["kind"] != "refusal")
    assert set(harmful) == LAYOUTS
    assert all(twins[layout] >= n for layout, n in harmful.items())
    # and many twins answer the very same request
    harmless_prompts = {r["prompt"] for r in rows if not r["harmful"]}
    assert sum(r["prompt"] in harmless_prompts for r in rows if r["harmful"]) >= 15


@pytest.mark.parametrize("lang", LANGS)
def test_structured_answers_are_sanitized_and_varied(lang: str) -> None:
    assert_sanitized_and_varied(_rows(lang))


def test_committed_structured_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data(
        "make_structured_data", "structured", tmp_path, monkeypatch
    )
