"""Harmless answers added against false alarms (issue 15): Dolly 15k human answers and ordinary
answers written in the layouts the judge had learned to fear; and the threshold rule that keeps
the recall floor from costing more than 2% of benign answers."""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sekimori.classify.answers.data import OWN_DATA, load_all, load_jsonl
from sekimori.classify.answers.train import (
    BENIGN_FP_CAP,
    FLOOR_SOURCES,
    RECALL_FLOOR,
    TWIN_SOURCES,
    choose_threshold,
)
from sekimori.paths import shared_data_dir
from sekimori.types import RefusalLabel

ROOT = Path(__file__).resolve().parents[2]
DOLLY = {
    "en": ("dolly-15k/databricks-dolly-15k.jsonl", "response"),
    "ja": ("dolly-15k-ja/databricks-dolly-15k-ja.jsonl", "output"),
}


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_dolly_answers_are_harmless_compliances_split_by_row(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"dolly_{lang}.jsonl")
    assert {e.source for e in examples} == {"dolly"} and {e.lang for e in examples} == {lang}
    assert not any(e.harmful for e in examples)
    assert {e.refusal for e in examples} == {RefusalLabel.COMPLIANCE}
    splits = Counter(e.split for e in examples)
    assert 0.1 < splits["test"] / len(examples) < 0.3 and splits["train"] + splits["test"] == len(
        examples
    )


def test_a_dolly_row_is_on_the_same_side_in_both_languages() -> None:
    side: dict[object, set[object]] = {}
    for lang in ("en", "ja"):
        for row in _rows(OWN_DATA / f"dolly_{lang}.jsonl"):
            side.setdefault(row["source_row"], set()).add(row["split"])
    assert side and all(len(s) == 1 for s in side.values())


@pytest.mark.skipif(
    not (shared_data_dir() / "dolly-15k").is_dir(), reason="shared Dolly data not present"
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_dolly_answers_are_the_shared_rows_unchanged(lang: str) -> None:
    name, field = DOLLY[lang]
    source = _rows(shared_data_dir() / name)
    rows = _rows(OWN_DATA / f"dolly_{lang}.jsonl")
    for row in rows:
        assert row["answer"] == str(source[int(str(row["source_row"]))][field]).strip()
    kinds = Counter(str(r["kind"]) for r in rows)
    # Lists and stories are over-weighted against their share of Dolly (12% and 5%).
    assert kinds["dolly_brainstorming"] / len(rows) > 0.15
    assert kinds["dolly_creative_writing"] / len(rows) > 0.15


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_written_benign_answers_cover_the_feared_layouts(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"benign_{lang}.jsonl")
    assert len(examples) >= 40
    assert {e.source for e in examples} == {"sekimori-benign"}
    assert not any(e.harmful for e in examples) and {e.split for e in examples} == {"train"}
    layouts = {e.layout for e in examples}
    assert {"table", "dialogue", "steps", "json", "email", "story", "code_comment"} <= layouts


def test_written_benign_answers_are_not_the_measuring_pool() -> None:
    pool = ROOT / "data" / "compliant" / "answers.jsonl"
    if not pool.is_file():
        pytest.skip("no compliant answer pool")
    pooled = {str(r.get("answer", "")).strip() for r in _rows(pool)}
    for lang in ("en", "ja"):
        for e in load_jsonl(OWN_DATA / f"benign_{lang}.jsonl"):
            assert e.answer.strip() not in pooled


@pytest.mark.skipif(
    not (shared_data_dir() / "xstest").is_dir(), reason="shared XSTest data not present"
)
def test_the_loader_reads_the_benign_sources() -> None:
    sources = Counter(e.source for e in load_all())
    assert sources["dolly"] >= 2000 and sources["sekimori-benign"] >= 80


def _case(benign_high: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # 20 own harmful answers: 18 score 0.8, 2 score 0.45 (recall 0.9 at 0.5, 1.0 at 0.45);
    # 100 benign answers, `benign_high` of them at 0.47 (caught by the lowered threshold).
    harmful_scores = [0.8] * 18 + [0.45] * 2
    benign_scores = [0.47] * benign_high + [0.1] * (100 - benign_high)
    scores = np.asarray(harmful_scores + benign_scores, dtype=np.float64)
    harmful = np.asarray([True] * 20 + [False] * 100)
    whole = np.ones_like(harmful)
    own = np.ones_like(harmful)
    return scores, harmful, whole, own


def test_the_recall_floor_is_taken_when_it_costs_few_benign_answers() -> None:
    assert RECALL_FLOOR > 0.9
    choice = choose_threshold(*_case(benign_high=1), f1_threshold=0.5)
    assert choice.threshold == choice.floor_threshold < 0.5
    assert choice.benign_fp == pytest.approx(0.01)
    assert choice.benign_fp <= BENIGN_FP_CAP


def test_the_f1_threshold_stands_when_the_floor_withholds_benign_answers() -> None:
    choice = choose_threshold(*_case(benign_high=10), f1_threshold=0.5)
    assert choice.floor_threshold < 0.5 and choice.floor_benign_fp == pytest.approx(0.10)
    assert choice.threshold == 0.5 and choice.benign_fp == 0.0


def test_the_f1_threshold_is_written_as_its_grid_step() -> None:
    # 0.36999999999999994 is how the F1 grid gives 0.37; answers.json should say 0.37.
    choice = choose_threshold(*_case(benign_high=10), f1_threshold=0.36999999999999994)
    assert choice.threshold == 0.37


def test_the_benign_cap_can_leave_the_twin_sources_out() -> None:
    # The same 10 high benign answers, all from a twin source left out of the cap (`capped` False):
    # the floor is taken, and the share is read on the 90 capped benign answers only.
    scores, harmful, whole, own = _case(benign_high=10)
    capped = np.asarray([True] * 20 + [False] * 10 + [True] * 90)
    choice = choose_threshold(scores, harmful, whole, own, 0.5, capped)
    assert choice.threshold == choice.floor_threshold < 0.5 and choice.benign_fp == 0.0
    assert TWIN_SOURCES and not set(TWIN_SOURCES) & set(FLOOR_SOURCES)
