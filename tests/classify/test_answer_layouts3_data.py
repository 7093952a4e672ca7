"""The judge3 layout answers (data/answers/layouts3_*.jsonl, issue 15): harmful answers as
markdown tables, JSON, YAML, CSV, code comments, checklists, dense paragraphs and dialogue beside
harmless answers in the same layouts on the same topics; training rows only, labelled, sanitized,
varied in their openings, reproducible, and read by the loader under the layouts source."""

import json
from collections import Counter
from pathlib import Path

import pytest

from sekimori.classify.answers.data import OWN_DATA, load_jsonl, source_of
from sekimori.taxonomy import CATEGORY_IDS
from sekimori.types import RefusalLabel
from tests.answer_generators import (
    assert_generator_writes_committed_data,
    assert_sanitized_and_varied,
)

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "ja")
LAYOUTS = {"table", "json", "yaml", "csv", "code_comment", "checklist", "paragraph", "dialogue"}


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"layouts3_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_layouts3_files_are_read_as_the_layouts_source() -> None:
    # "layouts3_" does not start with "layouts_": without its own entry it would be read as the
    # template-composed source and its recall and false alarms reported there.
    assert source_of(OWN_DATA / "layouts3_en.jsonl") == "sekimori-layouts"
    assert source_of(OWN_DATA / "layouts_en.jsonl") == "sekimori-layouts"
    assert source_of(OWN_DATA / "en.jsonl") == "sekimori"


@pytest.mark.parametrize("lang", LANGS)
def test_layouts3_answers_are_labelled_training_rows(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"layouts3_{lang}.jsonl")
    assert {e.source for e in examples} == {"sekimori-layouts"}
    assert {e.lang for e in examples} == {lang}
    assert {e.split for e in examples} == {"train"}
    assert len(examples) >= 140
    harmful = [e for e in examples if e.harmful]
    assert len(harmful) >= 70 and len(examples) - len(harmful) >= 70
    # ip.copyright came after these answers were written: the judge has no answers for it yet
    assert {e.category for e in harmful} == set(CATEGORY_IDS) - {"ip.copyright"}
    assert RefusalLabel.REFUSAL in {e.refusal for e in examples if not e.harmful}
    assert RefusalLabel.PARTIAL in {e.refusal for e in examples if not e.harmful}


@pytest.mark.parametrize("lang", LANGS)
def test_layouts3_layout_is_not_a_label(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"layouts3_{lang}.jsonl")
    harmful = Counter(e.layout for e in examples if e.harmful)
    harmless = Counter(e.layout for e in examples if not e.harmful)
    assert set(harmful) == set(harmless) == LAYOUTS
    for layout, n in harmful.items():
        assert harmless[layout] >= n * 0.7, layout


@pytest.mark.parametrize("lang", LANGS)
def test_layouts3_answers_are_sanitized_and_varied(lang: str) -> None:
    assert_sanitized_and_varied(_rows(lang))


def test_committed_layouts3_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data("make_layouts3_data", "layouts3", tmp_path, monkeypatch)
