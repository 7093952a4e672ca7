"""The round-18 hand-written answers (data/answers/handwritten_r18_*.jsonl, issue 15, wj helper):
sanitized harmful answers as natural prose and in many layouts, Japanese first, beside refusals,
overviews and safe answers on the same topics; training rows only, half harmful, labelled,
sanitized, varied in their openings, reproducible, and read by the loader under their own source,
outside the recall floor."""

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

SIZES = {"ja": 200, "en": 80}
SEVERE = {
    *("weapons.bio", "weapons.chem", "weapons.nuclear", "military.targeting"),
    *("weapons.conventional", "cyber.offense", "crime.violent", "self_harm"),
}


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"handwritten_r18_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_r18_files_have_their_own_source_outside_the_recall_floor() -> None:
    source = source_of(OWN_DATA / "handwritten_r18_ja.jsonl")
    assert source == "sekimori-handwritten-r18" and source not in FLOOR_SOURCES


@pytest.mark.parametrize("lang", sorted(SIZES))
def test_r18_rows_are_balanced_labelled_training_answers(lang: str) -> None:
    rows = _rows(lang)
    examples = load_jsonl(OWN_DATA / f"handwritten_r18_{lang}.jsonl")
    assert len(examples) == SIZES[lang] and {e.lang for e in examples} == {lang}
    assert {e.split for e in examples} == {"train"}
    assert [r["id"] for r in rows] == [f"r18.{lang}.{n:04d}" for n in range(1, len(rows) + 1)]
    assert {r["source"] for r in rows} == {"handwritten_r18"}
    assert len({e.answer for e in examples}) == len(examples)
    harmful = [e for e in examples if e.harmful]
    assert 2 * len(harmful) == len(examples) and all(e.category for e in examples)
    # weighted to the catastrophic and severe tiers, in both labels
    for label in (True, False):
        cats = Counter(e.category for e in examples if e.harmful is label)
        assert sum(n for c, n in cats.items() if c in SEVERE) >= 0.85 * sum(cats.values())
    # no layout is the label: every layout of a harmful answer also holds harmless ones
    harmless = Counter(e.layout for e in examples if not e.harmful)
    assert all(harmless[e.layout] for e in harmful if lang == "ja")


@pytest.mark.parametrize("lang", sorted(SIZES))
def test_r18_answers_are_sanitized_and_varied(lang: str) -> None:
    assert_sanitized_and_varied(_rows(lang))


def test_committed_r18_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data(
        "make_handwritten_r18_data", "handwritten_r18", tmp_path, monkeypatch
    )


def _assert_no_evaluation_only_item(rows: list[dict[str, object]]) -> None:
    from sekimori.paths import shared_data_dir
    from tests.test_heldout_answers import EVAL_ONLY, _eval_texts, _norm

    shared = shared_data_dir()
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (set SEKIMORI_SHARED_DATA)")
    ours = {_norm(str(r[k])): r["id"] for r in rows for k in ("prompt", "answer")}
    for name in EVAL_ONLY:
        texts = {_norm(t) for t in _eval_texts(shared / name)}
        assert [i for t, i in ours.items() if t in texts] == [], name


def test_no_r18_prompt_or_answer_equals_an_evaluation_only_item() -> None:
    _assert_no_evaluation_only_item([r for lang in SIZES for r in _rows(lang)])


# The harmless twins (wt2 helper): one per harmful answer above, in its layout and on its topic.
TWIN_LANGS = sorted(
    lang for lang in SIZES if (OWN_DATA / f"handwritten_r18_twins_{lang}.jsonl").exists()
)


def _twins(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"handwritten_r18_twins_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_twin_files_have_their_own_source_among_the_twin_sources() -> None:
    from sekimori.classify.answers.train import TWIN_SOURCES

    assert "en" in TWIN_LANGS
    source = source_of(OWN_DATA / "handwritten_r18_twins_en.jsonl")
    assert source == "sekimori-handwritten-r18-twins" and source not in FLOOR_SOURCES
    assert source in TWIN_SOURCES


@pytest.mark.parametrize("lang", TWIN_LANGS)
def test_twins_are_harmless_training_answers_in_the_harmful_layouts(lang: str) -> None:
    rows = _twins(lang)
    examples = load_jsonl(OWN_DATA / f"handwritten_r18_twins_{lang}.jsonl")
    assert len(examples) == len(rows) and {e.lang for e in examples} == {lang}
    assert {e.split for e in examples} == {"train"} and not any(e.harmful for e in examples)
    assert [r["id"] for r in rows] == [f"r18t.{lang}.{n:04d}" for n in range(1, len(rows) + 1)]
    assert {r["source"] for r in rows} == {"handwritten_r18_twins"}
    assert {r["refusal"] for r in rows} <= {"compliance", "partial", "refusal"}
    assert all(r["category"] for r in rows)
    # a new answer each, never one of the round-18 answers
    r18 = {str(r["answer"]) for r in _rows(lang)}
    assert len({e.answer for e in examples}) == len(examples)
    assert not r18 & {e.answer for e in examples}
    # exactly one twin per harmful row, in its layout and on its topic
    harmful = Counter((r["layout"], r["category"]) for r in _rows(lang) if r["harmful"])
    assert Counter((r["layout"], r["category"]) for r in rows) == harmful


@pytest.mark.parametrize("lang", TWIN_LANGS)
def test_twins_are_sanitized_and_varied(lang: str) -> None:
    assert_sanitized_and_varied(_twins(lang))


def test_committed_twins_are_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data(
        "make_handwritten_r18_data", "handwritten_r18_twins", tmp_path, monkeypatch, TWIN_LANGS
    )


def test_no_twin_prompt_or_answer_equals_an_evaluation_only_item() -> None:
    _assert_no_evaluation_only_item([r for lang in TWIN_LANGS for r in _twins(lang)])
