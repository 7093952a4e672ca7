"""The prompt model's optional first-stage n-gram weights (`stage_ngram_weight`/`stage_ngram_bias`
in heads.npz, NGRAM2_RULE.md): absent, nothing changes; present, the first stage (n-gram gate,
static combine, segment gate) reads them and the final blend keeps the model's own n-gram
weights; they are saved and loaded together or not at all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sekimori.classify.api import default_classifier
from sekimori.classify.prompt import (
    PromptClassifier,
    PromptModel,
    _PieceLevels,
    one_window,
    views,
)
from sekimori.classify.static_train import reach_of
from sekimori.errors import ModelError

# Written for this test (not from any data set): one window and a longer text of several
# sentences, so the segment gate reads pieces.
TEXTS = [
    "Could you suggest three names for a small bakery that sells sourdough bread?",
    "会議の議事録を短くまとめるコツを教えてください。",
    " ".join(
        [
            "Our team is planning the spring offsite for about forty people.",
            "We need a venue near the station with a room for presentations.",
            "Lunch should include vegetarian options and something for children.",
            "Please draft a short email to the venues asking for prices and dates.",
        ]
        * 3
    ),
]


def with_stage(model: PromptModel, weight: np.ndarray, bias: np.ndarray) -> PromptModel:
    return replace(
        model,
        stage_ngram_weight=weight.astype(np.float16),
        stage_ngram_bias=bias.astype(np.float32),
    )


def without_stage(model: PromptModel) -> PromptModel:
    return replace(model, stage_ngram_weight=None, stage_ngram_bias=None)


def test_the_committed_model_reads_its_stage_set_for_long_wholes_only() -> None:
    # N2 (a stage set read by the whole first stage) was withdrawn after its EFFECT check
    # (NGRAM.md, "Post-adoption check: withdrawn"); N5 reads the same set only for the clear
    # decision of the wholes of long texts (NGRAM5_RULE.md)
    model = PromptModel.load()
    assert model.stage_ngram_weight is not None and model.stage_ngram_bias is not None
    assert (model.meta.fast_path or {})["stage_ngram_reads"] == "long"


def test_without_a_stage_set_the_first_stage_reads_the_model_weights() -> None:
    base = default_classifier()
    plain = PromptClassifier(without_stage(base.model), base.encoder)
    assert not plain.own_stage_ngram
    for t in TEXTS:
        assert np.array_equal(plain.stage_ngram_probs(t), plain.ngram_probs(t))
        assert np.array_equal(plain.ngram_probs(t), base.ngram_probs(t))


def test_a_stage_set_equal_to_the_model_weights_changes_no_plan() -> None:
    base = default_classifier()
    plain = PromptClassifier(without_stage(base.model), base.encoder)
    model = with_stage(base.model, base.model.ngram_weight, base.model.ngram_bias)
    same = PromptClassifier(model, base.encoder)
    assert same.own_stage_ngram
    assert [same.plan(t) for t in TEXTS] == [plain.plan(t) for t in TEXTS]


def test_the_first_stage_reads_the_stage_set_and_the_blend_the_model_weights() -> None:
    base = default_classifier()
    w = np.zeros_like(base.model.ngram_weight)
    # every piece reads as suspect to the first stage (probability ~1) and nothing is cleared;
    # read by every first-stage decision ("all", N2's reading)
    model = reading(with_stage(base.model, w, np.full(2, 12.0)), "all")
    clf = PromptClassifier(model, base.encoder)
    for t in TEXTS:
        assert np.all(clf.stage_ngram_probs(t) > 0.99)
        plan = clf.plan(t)
        # the whole reaches the encoder; its n-gram levels in the blend are the model's own
        assert plan.whole
        final = np.max([base.ngram_probs(v) for v in views(t)], axis=0)
        assert (plan.ngram_harm, plan.ngram_jailbreak) == (float(final[0]), float(final[1]))
        known = _PieceLevels(clf)
        assert min(known.suspect(t)) > 0.99
        assert known.first(t).harm >= 0.5  # mean of the static level and ~1
        assert np.array_equal(known.ngram(t), base.ngram_probs(t))
        assert clf._gate_stage is not None
        piece = reach_of(clf, clf._gate_stage, t).whole[0]
        assert piece.ngram_harm > 0.99  # the static stage's points are chosen on it
    # the longer text: every scanned piece is suspect, so the segment gate sends no fewer
    plain = PromptClassifier(without_stage(base.model), base.encoder)
    assert len(clf.plan(TEXTS[2]).segments) >= len(plain.plan(TEXTS[2]).segments)


def test_the_stage_set_is_saved_and_loaded_together(tmp_path: Path) -> None:
    base = without_stage(PromptModel.load())
    base.save(tmp_path)
    assert PromptModel.load(tmp_path).stage_ngram_weight is None
    rng = np.random.default_rng(0)
    w = rng.normal(size=base.ngram_weight.shape).astype(np.float16)
    model = with_stage(base, w, np.array([0.5, -0.5]))
    model.save(tmp_path)
    loaded = PromptModel.load(tmp_path)
    assert loaded.stage_ngram_weight is not None and loaded.stage_ngram_bias is not None
    assert np.array_equal(loaded.stage_ngram_weight, w)
    assert np.array_equal(loaded.stage_ngram_bias, np.array([0.5, -0.5], np.float32))
    assert np.array_equal(loaded.ngram_weight, base.ngram_weight)
    # one without the other is a broken model, named with its folder
    arrays = dict(np.load(tmp_path / "heads.npz"))
    del arrays["stage_ngram_bias"]
    np.savez_compressed(tmp_path / "heads.npz", **arrays)
    with pytest.raises(ModelError, match="first-stage n-gram"):
        PromptModel.load(tmp_path)


def reading(model: PromptModel, reads: str) -> PromptModel:
    fast = dict(model.meta.fast_path or {}, stage_ngram_reads=reads)
    return replace(model, meta=replace(model.meta, fast_path=fast))


def suspect_set_read(
    reads: str,
) -> tuple[PromptClassifier, PromptClassifier, PromptClassifier, PromptModel]:
    """The committed classifier, it without a stage set, and it with a stage set under which
    every piece reads as suspect (probability ~1) read as ``reads``, and that model."""
    base = default_classifier()
    plain = PromptClassifier(without_stage(base.model), base.encoder)
    w = np.zeros_like(base.model.ngram_weight)
    model = reading(with_stage(base.model, w, np.full(2, 12.0)), reads)
    clf = PromptClassifier(model, base.encoder)
    assert clf.own_stage_ngram and not clf.gates_read_stage_ngram
    return base, plain, clf, model


def test_read_for_the_clear_decision_only_the_gates_and_segments_are_as_without() -> None:
    # NGRAM3_RULE.md: "clear" lets the stage set decide only whether a text's whole is cleared
    base, plain, clf, model = suspect_set_read("clear")
    known, before = _PieceLevels(clf), _PieceLevels(plain)
    for t in TEXTS:
        assert np.array_equal(clf.gate_ngram_probs(t), base.ngram_probs(t))
        assert known.suspect(t) == before.suspect(t)
        assert known.first(t).harm >= 0.5  # the whole's clear decision reads the set
        assert known.segment_first(t) == before.segment_first(t)
        plan, was = clf.plan(t), plain.plan(t)
        assert plan.whole  # nothing reads as clear to the set
        assert plan.segments == was.segments
        final = np.max([base.ngram_probs(v) for v in views(t)], axis=0)
        assert (plan.ngram_harm, plan.ngram_jailbreak) == (float(final[0]), float(final[1]))
    # the default reading is "all" (N2's): the gates read the set too
    assert PromptClassifier(reading(model, "all"), base.encoder).gates_read_stage_ngram


def test_an_unknown_reading_is_refused() -> None:
    with pytest.raises(ModelError, match="stage_ngram_reads"):
        PromptClassifier(reading(PromptModel.load(), "gates"), default_classifier().encoder)


def test_read_for_long_wholes_only_a_window_long_text_is_planned_as_without() -> None:
    # NGRAM5_RULE.md: "long" lets the stage set decide only whether the whole of a text longer
    # than one window is cleared; a shorter text's whole, the gates and segments as without it
    base, plain, clf, _ = suspect_set_read("long")
    assert clf._gate_stage is not None
    *short, long_text = TEXTS
    known, before = _PieceLevels(clf), _PieceLevels(plain)
    assert known.whole_first(long_text, long_whole=True).harm >= 0.5  # mean with ~1
    assert not one_window(views(long_text)) and all(one_window(views(t)) for t in short)
    for t in short:
        assert clf.plan(t) == plain.plan(t)
        assert np.array_equal(clf.whole_ngram_probs(t, long_whole=False), base.ngram_probs(t))
        assert known.whole_first(t, long_whole=False) == before.first(t)
    # the long text's whole reads the set (nothing clears under it); its segments as without
    plan, was = clf.plan(long_text), plain.plan(long_text)
    assert plan.whole and plan.segments == was.segments
    assert all(p.ngram_harm > 0.99 for p in reach_of(clf, clf._gate_stage, long_text).whole)
