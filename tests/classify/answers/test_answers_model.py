import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sekimori.classify.answers.data import AnswerExample, training_text
from sekimori.classify.answers.model import MODEL_DIR, Head, blend_harm, load_model
from sekimori.classify.answers.train import _best_harm_blend, prose_training_views, training_views
from sekimori.classify.answers.views import prose_view
from sekimori.errors import ModelError
from sekimori.types import RefusalLabel


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    for name in ("answers.json", "answers.npz"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    return tmp_path


def test_committed_artefacts_load_and_are_small() -> None:
    model = load_model()
    assert (MODEL_DIR / "answers.npz").stat().st_size < 3_000_000
    assert 0.0 < model.threshold < 1.0
    assert model.refusal.layers[0][0].shape[0] == model.mean.shape[0]
    assert model.refusal.layers[-1][0].shape[1] == 3
    assert model.ngram.layers[0][0].shape[1] == 3
    assert 0.0 <= model.blend <= 1.0 and model.refusal_bias.shape == (3,)
    assert model.harm_ngram.layers[0][0].shape == (model.ngram.layers[0][0].shape[0], 1)
    assert 0.0 <= model.harm_blend <= 1.0
    out = model.predict(np.zeros((2, model.mean.shape[0]), dtype=np.float32), ["a", "b"])
    assert out.refusal.shape == (2, 3) and out.harm.shape == (2,)
    assert np.allclose(out.refusal.sum(axis=1), 1.0, atol=1e-5)


def test_a_corrupted_weights_file_is_refused(artefacts: Path) -> None:
    with (artefacts / "answers.npz").open("ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelError, match=r"answers\.npz: sha256"):
        load_model(artefacts)


def test_missing_artefacts_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="sekimori train answers"):
        load_model(tmp_path)


def test_an_unknown_category_is_refused(artefacts: Path) -> None:
    meta = json.loads((artefacts / "answers.json").read_text())
    meta["category_ids"] = ["weapons.laser"]
    (artefacts / "answers.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="categories"):
        load_model(artefacts)


def test_wrong_feature_width_is_an_error() -> None:
    with pytest.raises(ModelError, match="features"):
        load_model().predict(np.zeros((1, 7), dtype=np.float32), ["a"])


def test_rows_and_answers_must_pair_up() -> None:
    model = load_model()
    with pytest.raises(ModelError, match="answers"):
        model.predict(np.zeros((2, model.mean.shape[0]), dtype=np.float32), ["only one"])


def test_a_changed_ngram_layout_is_refused(artefacts: Path) -> None:
    meta = json.loads((artefacts / "answers.json").read_text())
    meta["ngram"] = {"buckets": 1024, "max_n": 4}
    (artefacts / "answers.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="n-gram"):
        load_model(artefacts)


def test_an_artefact_without_the_harm_ngram_head_is_refused(artefacts: Path) -> None:
    meta = json.loads((artefacts / "answers.json").read_text())
    del meta["layers"]["harm_ngram"]
    (artefacts / "answers.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="incomplete"):
        load_model(artefacts)


def test_harm_blends_the_two_heads_in_log_odds() -> None:
    mlp, grams = np.asarray([2.0, -2.0], np.float32), np.asarray([-1.0, 3.0], np.float32)
    assert np.allclose(blend_harm(mlp, grams, 0.0), 1 / (1 + np.exp(-mlp)))
    assert np.allclose(blend_harm(mlp, grams, 1.0), 1 / (1 + np.exp(-grams)))
    assert np.allclose(blend_harm(mlp, grams, 0.5), 1 / (1 + np.exp(-(mlp + grams) / 2)))


def test_predict_uses_the_harm_ngram_head() -> None:
    model = load_model()
    buckets = model.harm_ngram.layers[0][0].shape[0]
    constant = Head(((np.zeros((buckets, 1), np.float32), np.asarray([2.0], np.float32)),))
    only_ngram = replace(model, harm_ngram=constant, harm_blend=1.0)
    x = np.zeros((2, model.mean.shape[0]), dtype=np.float32)
    out = only_ngram.predict(x, ["anything", "at all"])
    assert np.allclose(out.harm, 1 / (1 + np.exp(-2.0)), atol=1e-6)
    # The refusal blend is untouched by the harm head.
    assert np.allclose(out.refusal, model.predict(x, ["anything", "at all"]).refusal)


def test_the_harm_blend_weight_follows_the_better_head() -> None:
    labels = np.asarray([True, False] * 20)
    informative = np.where(labels, 0.9, 0.1)
    noise = np.random.default_rng(0).uniform(0.2, 0.8, labels.size)
    # Only the n-gram head separates: it gets weight, and the blend separates perfectly.
    w, threshold, f1 = _best_harm_blend(noise, informative, labels)
    assert w > 0.0 and f1 == 1.0 and 0.05 <= threshold <= 0.95
    # Only the MLP separates: the first (smallest) weight that does is kept, the MLP alone.
    w, _, f1 = _best_harm_blend(informative, noise, labels)
    assert w == 0.0 and f1 == 1.0


def _example(answer: str, harmful: bool) -> AnswerExample:
    return AnswerExample(
        "x", "sekimori", "en", "train", "Plan it.", answer, RefusalLabel.COMPLIANCE, harmful, None
    )


def test_prose_training_views_are_an_option_and_keep_the_labels() -> None:
    table = _example("| step | note |\n|---|---|\n| one | [REDACTED] first |\n| two | wait |", True)
    prose = _example("Water the plant once a week and keep it in the shade.", False)
    plain = training_views([table, prose])
    assert plain == training_views([table, prose], prose_views=False)
    added = training_views([table, prose], prose_views=True)[len(plain) :]
    # Only the structured answer gets a prose view: whole (no prefix), its labels, "…" kept.
    assert [(v.example, v.prefixes) for v in added] == [(table, ())]
    assert added[0].answer == prose_view(training_text(table.answer))
    assert "|" not in added[0].answer and "…" in added[0].answer
    assert prose_training_views([prose]) == []
