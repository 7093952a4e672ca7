"""Training the first stage's token vectors with its head (`fast_tune.py`), on toy data.

Two classes of texts drawn from two disjoint sets of tokens whose starting vectors are
identical: with the vectors frozen no head can tell the classes apart, so only training the
vectors separates them. The trained model is an ordinary `FastModel` scored by numpy."""

from __future__ import annotations

import numpy as np

from sekimori.classify.answers.fast import Bags, PairBags, feature_rows
from sekimori.classify.answers.fast_tune import TuneSettings, tune
from sekimori.classify.heads import sigmoid

DIMS = 8
TOKENS = 12  # rows 0-5 only in class 0 texts, 6-11 only in class 1 texts


def toy(n: int, seed: int) -> tuple[PairBags, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2 == 1
    answers = [rng.integers(0, 6, size=rng.integers(3, 9)) + (6 if c else 0) for c in y]
    prompts = [rng.integers(0, TOKENS, size=4) for _ in y]  # says nothing of the class
    bags = PairBags(Bags.of(prompts), Bags.of(answers), Bags.of([a[:3] for a in answers]))
    extra = np.zeros((n, 2), np.float32)  # no cue columns carry the class either
    return bags, extra, y


def accuracy(vectors_lr: float) -> tuple[float, np.ndarray]:
    rng = np.random.default_rng(0)
    # Each of the two class's tokens starts with the same vector as its twin in the other.
    base = rng.normal(size=(6, DIMS)).astype(np.float32)
    vectors = np.vstack([base, base])
    bags, extra, y = toy(400, seed=1)
    x = feature_rows(bags, extra, vectors)
    mean, scale = x.mean(axis=0), x.std(axis=0) + np.float32(1e-6)
    settings = TuneSettings(epochs=8, hidden=16, batch=32, vector_lr=vectors_lr, seed=3)
    tuned, head = tune(bags, extra, y, vectors, mean, scale, settings)
    test_bags, test_extra, test_y = toy(200, seed=2)
    rows = feature_rows(test_bags, test_extra, tuned)
    p = sigmoid(head.logits(((rows - mean) / scale).astype(np.float32)))[:, 0]
    return float(((p >= 0.5) == test_y).mean()), tuned


def test_training_the_vectors_separates_what_frozen_vectors_cannot() -> None:
    frozen, kept = accuracy(0.0)
    trained, moved = accuracy(5e-2)
    assert frozen < 0.65  # twins' vectors are equal: chance, give or take
    assert trained > 0.95
    twins = np.abs(moved[:6] - moved[6:]).max()
    assert np.abs(kept[:6] - kept[6:]).max() == 0.0 and twins > 0.01


def test_tuning_is_deterministic_for_a_seed() -> None:
    first, second = accuracy(5e-2)[1], accuracy(5e-2)[1]
    assert np.array_equal(first, second)
