"""Rates with 95% Wilson intervals, and McNemar's paired test for comparing two runs."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Rate:
    k: int
    n: int
    rate: float
    low: float
    high: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def wilson(k: int, n: int, z: float = Z95) -> Rate:
    """k successes in n trials with the Wilson score interval (sound near 0 and 1, small n)."""
    if n == 0:
        return Rate(0, 0, 0.0, 0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Rate(k, n, p, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class McNemar:
    """Paired test on the discordant pairs: b = only A had the outcome, c = only B had it."""

    n_pairs: int
    b: int
    c: int
    p_exact: float
    chi2: float
    p_chi2: float
    method: str
    p_value: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def mcnemar(b: int, c: int, n_pairs: int) -> McNemar:
    """Exact binomial p (two-sided) and the continuity-corrected χ²; the exact one is reported
    when there are fewer than 25 discordant pairs, where χ² is a poor approximation."""
    m = b + c
    if m == 0:
        return McNemar(n_pairs, b, c, 1.0, 0.0, 1.0, "exact", 1.0)
    tail = sum(math.comb(m, i) for i in range(min(b, c) + 1)) / 2**m
    p_exact = min(1.0, 2 * tail)
    chi2 = (abs(b - c) - 1) ** 2 / m
    p_chi2 = math.erfc(math.sqrt(chi2 / 2))
    method = "exact" if m < 25 else "chi2"
    return McNemar(n_pairs, b, c, p_exact, chi2, p_chi2, method, p_exact if m < 25 else p_chi2)
