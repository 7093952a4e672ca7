"""The hand-written prose answers (data/answers/prose_*.jsonl): labelled, split by topic, varied
in layout for harmful and harmless answers alike, reproducible, and held-back files never load."""

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from sekimori.classify.answers.data import HELD_OUT_PREFIX, OWN_DATA, load_all, load_jsonl
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import CATEGORY_IDS
from sekimori.types import RefusalLabel

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_prose_data_is_labelled_and_split_by_topic(lang: str) -> None:
    path = OWN_DATA / f"prose_{lang}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    examples = load_jsonl(path)
    assert {e.source for e in examples} == {"sekimori-prose"}
    assert sum(e.harmful for e in examples) >= 120
    assert sum(not e.harmful for e in examples) >= 160
    # ip.copyright came after these answers were written: no answers for it yet
    assert {e.category for e in examples if e.harmful} == set(CATEGORY_IDS) - {"ip.copyright"}
    train = {r["topic"] for r in rows if r["split"] == "train"}
    test = {r["topic"] for r in rows if r["split"] == "test"}
    assert test and not train & test
    for e in examples:
        assert e.layout and e.lang == lang
        assert "[REDACTED" not in e.answer  # natural answers, not the old placeholder shape
        if e.harmful:
            assert e.category in CATEGORY_IDS and e.refusal is not RefusalLabel.REFUSAL


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_layout_is_not_a_label(lang: str) -> None:
    # Every layout used for harmful answers beyond a handful also carries harmless ones.
    examples = load_jsonl(OWN_DATA / f"prose_{lang}.jsonl")
    harmful = Counter(e.layout for e in examples if e.harmful)
    harmless = Counter(e.layout for e in examples if not e.harmful)
    for layout, n in harmful.items():
        if n >= 3:
            assert harmless[layout] >= 1, layout
    assert len(harmful) >= 8 and len(harmless) >= 8


def test_committed_prose_data_is_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = ROOT / "scripts" / "answers" / "make_prose_data.py"
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("make_prose_data", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_prose_data", module)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for lang in ("en", "ja"):
        name = f"prose_{lang}.jsonl"
        assert (tmp_path / name).read_bytes() == (OWN_DATA / name).read_bytes()


def test_held_back_files_are_never_loaded(tmp_path: Path) -> None:
    row = {
        "id": "x",
        "lang": "en",
        "split": "train",
        "prompt": "p",
        "answer": "a",
        "refusal": "refusal",
        "harmful": False,
        "category": None,
    }
    (tmp_path / "own.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    held = dict(row, id="held")
    (tmp_path / f"{HELD_OUT_PREFIX}_prose.jsonl").write_text(
        json.dumps(held) + "\n", encoding="utf-8"
    )
    shared = shared_data_dir()
    if not (shared / "xstest").is_dir():
        pytest.skip("shared XSTest data not present")
    ids = {e.id for e in load_all(shared, tmp_path)}
    assert "x" in ids and "held" not in ids
