"""The hand-written layout answers (data/answers/layouts_*.jsonl, issue 15, round 9): harmful
answers as bullet fragments, JSON, stories and scenes, headings, CSV, Q&A and tables, weighted to
the moderate categories, beside harmless answers in the same layouts; labelled, sanitized, varied
in their openings, reproducible, and read by the loader."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from sekimori.classify.answers.data import OWN_DATA, load_all, load_jsonl
from sekimori.classify.answers.train import FLOOR_SOURCES
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import CATEGORY_IDS, Tier, in_tier
from sekimori.types import RefusalLabel
from tests.answer_generators import assert_generator_writes_committed_data

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "ja")
MAX_SHARED_OPENING = 3


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"layouts_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("lang", LANGS)
def test_layout_answers_are_labelled_and_weighted_to_moderate_harm(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"layouts_{lang}.jsonl")
    assert {e.source for e in examples} == {"sekimori-layouts"}
    assert {e.lang for e in examples} == {lang}
    harmful = [e for e in examples if e.harmful]
    assert len(harmful) >= 70 and len(examples) - len(harmful) >= 65
    # ip.copyright came after these answers were written: the judge has no answers for it yet
    assert {e.category for e in harmful} == set(CATEGORY_IDS) - {"ip.copyright"}
    moderate = sum(e.category in in_tier(Tier.MODERATE) for e in harmful)
    assert moderate / len(harmful) >= 0.5
    assert all(e.refusal is RefusalLabel.COMPLIANCE for e in harmful)
    assert RefusalLabel.REFUSAL in {e.refusal for e in examples if not e.harmful}
    splits = Counter(e.split for e in examples)
    assert 0.1 < splits["test"] / len(examples) < 0.3


@pytest.mark.parametrize("lang", LANGS)
def test_layout_is_not_a_label(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"layouts_{lang}.jsonl")
    harmful = Counter(e.layout for e in examples if e.harmful)
    harmless = Counter(e.layout for e in examples if not e.harmful)
    assert set(harmful) == set(harmless)
    for layout, n in harmful.items():
        assert harmless[layout] >= n * 0.7, layout


@pytest.mark.parametrize("lang", LANGS)
def test_requests_split_together_and_answers_are_sanitized(lang: str) -> None:
    side: dict[object, set[object]] = {}
    for row in _rows(lang):
        side.setdefault(row["prompt"], set()).add(row["split"])
        answer = str(row["answer"])
        assert "REDACTED" not in answer.upper() and "［" not in answer, row["id"]
        assert not re.search(r"\[(?:\.\.\.|…|omitted|removed|censored)", answer, re.I)
        assert not re.search(r"https?://|\b\d+\s?(?:mg|g|kg|ml|°C)\b", answer), row["id"]
    assert all(len(s) == 1 for s in side.values())


@pytest.mark.parametrize("lang", LANGS)
def test_no_more_than_three_answers_share_an_opening(lang: str) -> None:
    from tests.test_team_data import _opener

    counts = Counter(_opener(str(r["answer"])) for r in _rows(lang))
    assert {o: n for o, n in counts.items() if n > MAX_SHARED_OPENING} == {}


def test_harmful_layout_answers_count_toward_the_recall_floor() -> None:
    assert "sekimori-layouts" in FLOOR_SOURCES


def test_committed_layout_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data("make_layouts_data", "layouts", tmp_path, monkeypatch)


@pytest.mark.skipif(
    not (shared_data_dir() / "xstest").is_dir(), reason="shared XSTest data not present"
)
def test_the_loader_reads_the_layout_answers() -> None:
    layouts = [e for e in load_all() if e.source == "sekimori-layouts"]
    assert len(layouts) >= 290 and all(e.layout for e in layouts)
