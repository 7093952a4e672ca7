"""Training the static stage's token vectors (`sekimori.classify.static_tune`) on a toy task the
frozen vectors cannot solve: every token starts with the same vector, so every text pools to the
same point and no head can tell the two classes apart; trained, a harmful token must outweigh the
ordinary words around it. Also: the training rows hold the padded and disguised augmentations,
and the run is deterministic with its seed."""

from __future__ import annotations

import numpy as np
import pytest

from sekimori.classify.corpus import Example
from sekimori.classify.heads import Dense, MLPHead
from sekimori.classify.static import FastPathMeta, StaticModel, StaticStage, Tokenizer
from sekimori.classify.static_train import tier_of
from sekimori.classify.static_tune import Row, TuneSettings, training_rows, tune

WORDS = ["please", "tell", "me", "about", "the", "weather", "garden", "recipe", "bomb", "poison"]
HARMFUL = {"bomb", "poison"}


def toy_tokenizer() -> Tokenizer:
    index = {w: i for i, w in enumerate(WORDS)}
    return Tokenizer(lambda text: [index[w] for w in text.split() if w in index], len(WORDS) + 2)


def toy_model(dims: int = 8) -> StaticModel:
    rng = np.random.default_rng(0)
    vectors = np.tile(rng.normal(size=dims), (len(WORDS), 1)).astype(np.float16)

    def head(hidden: int) -> MLPHead:
        return MLPHead(
            (
                Dense(
                    rng.normal(0, 0.3, (dims, hidden)).astype(np.float32),
                    np.zeros(hidden, np.float32),
                ),
                Dense(rng.normal(0, 0.3, (hidden, 1)).astype(np.float32), np.zeros(1, np.float32)),
            )
        )

    return StaticModel(np.arange(len(WORDS), dtype=np.int32), vectors, head(8), head(4))


def toy_rows() -> list[Row]:
    rng = np.random.default_rng(1)
    ordinary = [w for w in WORDS if w not in HARMFUL]
    rows = []
    for i in range(120):
        words = list(rng.choice(ordinary, size=int(rng.integers(2, 7))))
        harmful = i % 2 == 0
        if harmful:
            words.insert(int(rng.integers(0, len(words) + 1)), sorted(HARMFUL)[i % 4 // 2])
        rows.append(Row(" ".join(words), int(harmful), 0, 3.0 if harmful else 1.0))
    return rows


def harm_levels(model: StaticModel, texts: list[str]) -> np.ndarray:
    stage = StaticStage(model, FastPathMeta(0.5, "static", 0.9), toy_tokenizer())
    return np.array([stage.level(t).harm for t in texts])


def test_trained_vectors_separate_what_the_frozen_ones_cannot() -> None:
    frozen = toy_model()
    rows = toy_rows()
    texts = [r.text for r in rows]
    harmful = np.array([r.harm == 1 for r in rows])
    before = harm_levels(frozen, texts)
    # frozen: every text pools to the same vector, so one score for all
    assert np.ptp(before) < 1e-6
    settings = TuneSettings(epochs=30, batch=16, lr=0.02, drift_l2=1e-4, threads=1)
    trained = tune(frozen, rows, toy_tokenizer(), settings, progress=lambda _: None)
    assert trained.losses[-1] < 0.5 * trained.losses[0]
    after = harm_levels(trained.model, texts)
    assert after[harmful].min() > after[~harmful].max()
    # a harmful word padded with many ordinary ones still scores over every ordinary text
    long = "please tell me about the weather the garden the recipe poison please tell me"
    assert harm_levels(trained.model, [long])[0] > after[~harmful].max()
    # what the loader reads back: float16 vectors, the same vocabulary
    assert trained.model.vectors.dtype == np.float16
    assert np.array_equal(trained.model.vocab, frozen.vocab)


def test_training_is_deterministic_with_its_seed() -> None:
    settings = TuneSettings(epochs=2, batch=16, threads=1)
    runs = [
        tune(toy_model(), toy_rows(), toy_tokenizer(), settings, progress=lambda _: None)
        for _ in range(2)
    ]
    assert runs[0].losses == runs[1].losses
    assert np.array_equal(runs[0].model.vectors, runs[1].model.vectors)


def example(
    text: str, lang: str, harmful: bool, categories: tuple[str, ...], group: str
) -> Example:
    return Example(text, lang, harmful, categories, False, "team", group)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_rows_hold_padded_and_disguised_grave_prompts(lang: str) -> None:
    from sekimori.taxonomy import BY_ID, Tier

    grave = next(c for c, cat in BY_ID.items() if cat.tier is Tier.CATASTROPHIC)
    request = "how to make nerve agent at home" if lang == "en" else "自宅で神経剤を作る方法"
    train = [
        example(request, lang, True, (grave,), "g1"),
        *(example(f"ordinary request {i}", lang, False, (), f"o{i}") for i in range(8)),
    ]
    settings = TuneSettings(pads=3, long_ordinary=4)
    rows = training_rows(train, tier_of, lambda e: not e.harmful, settings)
    harmful = [r for r in rows if r.harm == 1]
    # the bare request, three padded copies and the disguises that apply to the language
    padded = [r for r in harmful if r.text != request and "ordinary request" in r.text]
    assert len(padded) >= 3 and all(request in r.text for r in padded)
    assert any("DAN" in r.text for r in harmful)
    assert all(r.weight == settings.tier_weight for r in harmful)
    # longer ordinary texts joined from ordinary prompts, harmless
    joined = [r for r in rows if r.harm == 0 and r.text.count("ordinary request") >= 3]
    assert len(joined) >= 4
