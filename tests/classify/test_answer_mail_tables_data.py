"""The mail-and-tables answers (data/answers/mail_tables_*.jsonl, issue 15, judge12): harmful
e-mails, replies, forwards, memos and plain-text tables beside harmless answers to the same
requests in the same layouts; training rows only, labelled, over all three tiers, sanitized,
varied in their openings, reproducible, and read by the loader under their own source, outside
the recall floor."""

import json
from collections import Counter
from pathlib import Path

import pytest

from sekimori.classify.answers.data import OWN_DATA, load_jsonl, source_of
from sekimori.classify.answers.train import FLOOR_SOURCES
from sekimori.taxonomy import CATEGORIES
from sekimori.types import RefusalLabel
from tests.answer_generators import (
    assert_generator_writes_committed_data,
    assert_sanitized_and_varied,
)

LANGS = ("en", "ja")
MAIL = {"email", "reply", "forward", "memo"}
TABLES = {"pipe_table", "box_table", "aligned_table", "csv_prose"}
TIER = {c.id: c.tier for c in CATEGORIES}


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"mail_tables_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_mail_tables_files_have_their_own_source_outside_the_recall_floor() -> None:
    assert source_of(OWN_DATA / "mail_tables_en.jsonl") == "sekimori-mail-tables"
    assert "sekimori-mail-tables" not in FLOOR_SOURCES


@pytest.mark.parametrize("lang", LANGS)
def test_mail_tables_answers_are_labelled_training_rows_over_all_tiers(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"mail_tables_{lang}.jsonl")
    assert {e.lang for e in examples} == {lang}
    assert {e.split for e in examples} == {"train"}
    harmful = [e for e in examples if e.harmful]
    assert len(harmful) >= 20 and len(examples) - len(harmful) >= 20
    assert {e.refusal for e in harmful} == {RefusalLabel.COMPLIANCE}
    assert RefusalLabel.REFUSAL in {e.refusal for e in examples if not e.harmful}
    tiers = Counter(TIER[str(e.category)] for e in harmful)
    assert len(tiers) == 3 and min(tiers.values()) >= 5


@pytest.mark.parametrize("lang", LANGS)
def test_mail_tables_layout_and_request_are_not_labels(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"mail_tables_{lang}.jsonl")
    harmful = Counter(e.layout for e in examples if e.harmful)
    harmless = Counter(e.layout for e in examples if not e.harmful)
    assert set(harmful) == set(harmless) == MAIL | TABLES
    # every harmful answer has a twin: a harmless answer to the very same request
    harmless_prompts = {e.prompt for e in examples if not e.harmful}
    assert all(e.prompt in harmless_prompts for e in examples if e.harmful)


@pytest.mark.parametrize("lang", LANGS)
def test_mail_tables_answers_are_sanitized_and_varied(lang: str) -> None:
    assert_sanitized_and_varied(_rows(lang))


def test_committed_mail_tables_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data(
        "make_mail_tables_data", "mail_tables", tmp_path, monkeypatch
    )
