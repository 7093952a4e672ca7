"""The team's reading of the in-the-wild jailbreak set (data/jailbreak_labels): the set calls
every row an attack; the rows read as no jailbreak train the jailbreak head as negatives."""

import json
from pathlib import Path

import pytest

from sekimori.classify import corpus
from sekimori.classify.corpus import CorpusSettings, jailbreaks, not_jailbreaks
from sekimori.errors import InputError
from sekimori.paths import shared_data_dir

ROOT = shared_data_dir()
needs_data = pytest.mark.skipif(
    not (ROOT / "jailbreak-prompts-inthewild").is_dir(), reason=f"shared data not at {ROOT}"
)


@needs_data
def test_every_label_was_read_on_the_text_it_names() -> None:
    rows = [json.loads(x) for x in corpus.jailbreak_labels_path().read_text().splitlines()]
    wild = json.loads(
        (ROOT / "jailbreak-prompts-inthewild" / "inthewild_jailbreak_llms.json").read_text()
    )
    assert [r["index"] for r in rows] == list(range(len(wild)))
    assert all(isinstance(r["jailbreak"], bool) and r["why"] for r in rows)
    benign = not_jailbreaks(ROOT)  # raises when a hash does not match its row
    assert 0 < len(benign) < len(wild) // 2


@needs_data
def test_relabelled_rows_are_no_jailbreak_and_the_rest_stay_attacks() -> None:
    benign = not_jailbreaks(ROOT)
    before = list(jailbreaks(ROOT, rows=320, seed=13))
    after = list(jailbreaks(ROOT, rows=320, seed=13, relabelled=True))
    assert all(ex.jailbreak for ex in before)
    # the same sample, relabelled where the team read no jailbreak, and every such row added
    assert [ex.text for ex in after[: len(before)]] == [ex.text for ex in before]
    assert {ex.text for ex in after if not ex.jailbreak} == benign
    assert all(ex.jailbreak for ex in after if ex.text not in benign)
    assert all(ex.harmful is None for ex in after)


@needs_data
def test_a_label_for_another_text_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "inthewild.jsonl"
    bad.write_text('{"index": 0, "sha256": "0000000000000000", "jailbreak": false, "why": "x"}\n')
    monkeypatch.setattr(corpus, "jailbreak_labels_path", lambda: bad)
    with pytest.raises(InputError, match="not the text this label was read on"):
        not_jailbreaks(ROOT)


def test_models_trained_before_the_labels_rebuild_their_pool_without_them() -> None:
    old = CorpusSettings.recorded({"dolly_rows": 3500, "jailbreak_rows": 320}, 13)
    assert old == CorpusSettings(red_team_sets=False, jailbreak_labels=False)
    new = CorpusSettings.recorded(
        {
            "dolly_rows": 3500,
            "jailbreak_rows": 320,
            "red_team_sets": True,
            "jailbreak_labels": True,
        },
        13,
    )
    assert new == CorpusSettings()
