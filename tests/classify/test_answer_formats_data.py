"""The hand-written format answers (data/answers/formats_*.jsonl, issue 15): harmful answers shaped
as emails, stories, chats, speeches, personas and leaks, and harmless answers in the same formats;
labelled, sanitized, varied in their openings, reproducible, and read by the loader."""

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
# Hand-written answer files whose openings must vary (the template-composed en/ja and the first
# prose files predate the rule).
VARIED = ("formats_en", "formats_ja", "benign_en", "benign_ja")
MAX_SHARED_OPENING = 3


def _rows(lang: str) -> list[dict[str, object]]:
    path = OWN_DATA / f"formats_{lang}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("lang", LANGS)
def test_format_answers_are_labelled_and_balanced(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"formats_{lang}.jsonl")
    assert {e.source for e in examples} == {"sekimori-formats"} and {e.lang for e in examples} == {
        lang
    }
    harmful = [e for e in examples if e.harmful]
    assert len(harmful) >= 180 and len(examples) - len(harmful) >= 180
    # ip.copyright came after these answers were written: the judge has no answers for it yet
    assert {e.category for e in harmful} == set(CATEGORY_IDS) - {"ip.copyright"}
    catastrophic = sum(e.category in in_tier(Tier.CATASTROPHIC) for e in harmful)
    assert catastrophic / len(harmful) >= 0.35
    for e in harmful:
        assert e.refusal is not RefusalLabel.REFUSAL
    # Harmless answers include refusals, overviews and plain helpful answers.
    assert {e.refusal for e in examples if not e.harmful} == set(RefusalLabel)
    splits = Counter(e.split for e in examples)
    assert 0.1 < splits["test"] / len(examples) < 0.3


@pytest.mark.parametrize("lang", LANGS)
def test_format_is_not_a_label(lang: str) -> None:
    examples = load_jsonl(OWN_DATA / f"formats_{lang}.jsonl")
    harmful = Counter(e.layout for e in examples if e.harmful)
    harmless = Counter(e.layout for e in examples if not e.harmful)
    assert len(harmful) >= 14 and set(harmful) == set(harmless)
    for layout, n in harmful.items():
        assert harmless[layout] >= n / 2, layout


@pytest.mark.parametrize("lang", LANGS)
def test_requests_split_together_and_answers_are_sanitized(lang: str) -> None:
    side: dict[object, set[object]] = {}
    for row in _rows(lang):
        side.setdefault(row["prompt"], set()).add(row["split"])
        answer = str(row["answer"])
        # Stand-ins are words ("the usual starting material"), never a placeholder layout; the
        # harmless answers may hold code such as `usecols=[...]`.
        assert "REDACTED" not in answer.upper() and "［" not in answer, row["id"]
        if row["harmful"]:
            assert not re.search(r"\[(?:\.\.\.|…|omitted|removed|censored)", answer, re.I)
    assert all(len(s) == 1 for s in side.values())


@pytest.mark.parametrize("name", VARIED)
def test_no_more_than_three_answers_share_an_opening(name: str) -> None:
    from tests.test_team_data import _opener

    rows = (OWN_DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    counts = Counter(_opener(str(json.loads(r)["answer"])) for r in rows)
    shared = {o: n for o, n in counts.items() if n > MAX_SHARED_OPENING}
    assert not shared


def test_harmful_format_answers_count_toward_the_recall_floor() -> None:
    assert "sekimori-formats" in FLOOR_SOURCES


def test_committed_format_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes_committed_data("make_formats_data", "formats", tmp_path, monkeypatch)


@pytest.mark.skipif(
    not (shared_data_dir() / "xstest").is_dir(), reason="shared XSTest data not present"
)
def test_the_loader_reads_the_format_answers() -> None:
    formats = [e for e in load_all() if e.source == "sekimori-formats"]
    assert len(formats) >= 780 and all(e.layout for e in formats)
