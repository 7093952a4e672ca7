"""The framed answers (data/answers/framed_*.jsonl, issue 15): harmful JSON, stories, lists,
tables and dialogue under requests that do not ask for harm, beside harmless answers to the same
requests in the same layouts; training rows only, labelled, sanitized, varied in their openings,
reproducible, and read by the loader under their own source, outside the recall floor."""

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
LAYOUTS = {"json", "story", "bullets", "table", "dialogue", "list"}
MODERATE = {"deception", "crime.nonviolent", "hate", "self_harm", "privacy"}


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"framed_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_framed_files_have_their_own_source_outside_the_recall_floor() -> None:
    assert source_of(OWN_DATA / "framed_en.jsonl") == "sekimori-framed"
    assert "sekimori-framed" not in FLOOR_SOURCES


@pytest.mark.parametrize("lang", LANGS)
def test_framed_answers_are_labelled_training_rows(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"framed_{lang}.jsonl")
    assert {e.lang for e in examples} == {lang}
    assert {e.split for e in examples} == {"train"}
    harmful = [e for e in examples if e.harmful]
    assert len(harmful) >= 25 and len(examples) - len(harmful) >= 25
    assert {e.category for e in harmful} == MODERATE
    assert {e.refusal for e in harmful} == {RefusalLabel.COMPLIANCE}
    assert RefusalLabel.REFUSAL in {e.refusal for e in examples if not e.harmful}


@pytest.mark.parametrize("lang", LANGS)
def test_framed_layout_and_request_are_not_labels(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"framed_{lang}.jsonl")
    harmful = Counter(e.layout for e in examples if e.harmful)
    harmless = Counter(e.layout for e in examples if not e.harmful)
    assert set(harmful) == set(harmless) == LAYOUTS
    # most harmful answers have a twin: a harmless answer to the very same request
    harmless_prompts = {e.prompt for e in examples if not e.harmful}
    twins = sum(e.prompt in harmless_prompts for e in examples if e.harmful)
    assert twins >= 0.8 * sum(harmful.values())


@pytest.mark.parametrize("lang", LANGS)
def test_framed_answers_are_sanitized_and_varied(lang: str) -> None:
    assert_sanitized_and_varied(_rows(lang))


def test_committed_framed_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data("make_framed_data", "framed", tmp_path, monkeypatch)
