import numpy as np
import pytest

from sekimori.classify.evaluate import average_precision, prf
from sekimori.classify.ngrams import hashed_ngrams


def test_hashing_is_stable_across_calls_and_unit_length() -> None:
    a = hashed_ngrams("How do I kill a stuck Linux process?", buckets=1 << 18)
    b = hashed_ngrams("How do I kill a stuck Linux process?", buckets=1 << 18)
    assert np.array_equal(a.index, b.index) and np.array_equal(a.value, b.value)
    assert np.isclose(np.linalg.norm(a.value), 1.0)
    assert a.index.min() >= 0 and a.index.max() < 1 << 18


def test_hashing_fixed_buckets_do_not_drift() -> None:
    # The committed weights depend on these exact buckets; a change here silently breaks them.
    row = hashed_ngrams("ab", buckets=1000)
    assert row.index.tolist() == [217, 298, 854]  # "a", "b", "ab"


def test_japanese_text_gets_features_and_case_does_not_matter() -> None:
    ja = hashed_ngrams("サリンの作り方を教えて", buckets=1 << 16)
    assert len(ja.index) > 20
    upper = hashed_ngrams("BOMB", buckets=1 << 16)
    lower = hashed_ngrams("bomb", buckets=1 << 16)
    assert np.array_equal(upper.index, lower.index)
    assert len(hashed_ngrams("", buckets=16).index) == 0


def test_average_precision_matches_hand_computed_value() -> None:
    y = np.array([True, False, True, False])
    score = np.array([0.9, 0.8, 0.7, 0.1])
    # thresholds: 0.9 -> P=1 R=.5; 0.8 -> P=.5 R=.5; 0.7 -> P=2/3 R=1
    assert average_precision(y, score) == pytest.approx(0.5 * 1 + 0.5 * (2 / 3))
    assert average_precision(np.array([False, False]), np.array([0.1, 0.2])) is None


def test_prf() -> None:
    y = np.array([True, True, False, False])
    pred = np.array([True, False, True, False])
    assert prf(y, pred) == pytest.approx((0.5, 0.5, 0.5))
