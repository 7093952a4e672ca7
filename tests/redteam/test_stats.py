"""Wilson intervals and McNemar's test against values computed by hand / published tables."""

from __future__ import annotations

import math

import pytest

from sekimori.redteam.stats import mcnemar, wilson


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # Newcombe 1998, Table I
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),  # computed by hand from the closed form
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_known_intervals(k: int, n: int, low: float, high: float) -> None:
    r = wilson(k, n)
    assert (r.k, r.n) == (k, n)
    assert r.rate == pytest.approx(k / n)
    assert r.low == pytest.approx(low, abs=6e-4)
    assert r.high == pytest.approx(high, abs=6e-4)


def test_wilson_with_no_trials_is_uninformative() -> None:
    r = wilson(0, 0)
    assert (r.n, r.low, r.high) == (0, 0.0, 1.0)


def test_mcnemar_exact_for_few_discordant_pairs() -> None:
    m = mcnemar(10, 2, 100)
    # two-sided binomial: 2 * P(X <= 2 | n=12, p=1/2) = 2 * (1 + 12 + 66) / 4096
    assert m.p_exact == pytest.approx(158 / 4096)
    assert m.chi2 == pytest.approx(49 / 12)
    assert m.p_chi2 == pytest.approx(0.04331, abs=1e-4)
    assert m.method == "exact"
    assert m.p_value == m.p_exact


def test_mcnemar_chi2_for_many_discordant_pairs() -> None:
    m = mcnemar(40, 15, 300)
    assert m.method == "chi2"
    assert m.chi2 == pytest.approx(24**2 / 55)
    assert m.p_value == pytest.approx(math.erfc(math.sqrt(24**2 / 55 / 2)))
    assert m.p_value < 0.01


def test_mcnemar_symmetric_and_capped() -> None:
    assert mcnemar(3, 3, 10).p_exact == 1.0
    assert mcnemar(0, 0, 10).p_value == 1.0
    assert mcnemar(7, 1, 50).p_exact == pytest.approx(mcnemar(1, 7, 50).p_exact)
