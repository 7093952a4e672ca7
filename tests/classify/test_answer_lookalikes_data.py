"""The look-alike answers (data/answers/lookalikes_*.jsonl, issue 15, round 14, judge14 helper):
harmless answers on hazardous topics beside sanitized harmful answers, mostly to the very same
requests, in memos, letters, e-mails, chats and JSON; training rows only, labelled, sanitized,
varied in their openings, reproducible, and read by the loader under their own source, outside
the recall floor."""

import json
from collections import Counter
from pathlib import Path

import pytest

from sekimori.classify.answers.data import OWN_DATA, load_jsonl, source_of
from sekimori.classify.answers.train import FLOOR_SOURCES
from tests.answer_generators import (
    assert_generator_writes_committed_data,
    assert_sanitized_and_varied,
)

LANGS = ("en", "ja")
LAYOUTS = {"memo", "letter", "email", "chat", "json"}


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"lookalikes_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_lookalikes_files_have_their_own_source_outside_the_recall_floor() -> None:
    assert source_of(OWN_DATA / "lookalikes_en.jsonl") == "sekimori-lookalikes"
    assert "sekimori-lookalikes" not in FLOOR_SOURCES


@pytest.mark.parametrize("lang", LANGS)
def test_lookalikes_are_labelled_training_pairs_in_the_same_layouts(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"lookalikes_{lang}.jsonl")
    assert {e.lang for e in examples} == {lang} and {e.split for e in examples} == {"train"}
    harmful = [e for e in examples if e.harmful]
    assert len(harmful) >= 6 and len(examples) == 2 * len(harmful)
    assert all(e.category for e in examples)
    assert {e.layout for e in examples} == LAYOUTS
    # neither the layout nor the request is the label: each harmful answer's request and layout
    # are also answered harmlessly
    harmless = Counter((e.prompt, e.layout) for e in examples if not e.harmful)
    assert all(harmless[(e.prompt, e.layout)] for e in harmful)


@pytest.mark.parametrize("lang", LANGS)
def test_lookalikes_are_sanitized_and_varied(lang: str) -> None:
    assert_sanitized_and_varied(_rows(lang))


def test_committed_lookalikes_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data(
        "make_lookalikes_data", "lookalikes", tmp_path, monkeypatch
    )
