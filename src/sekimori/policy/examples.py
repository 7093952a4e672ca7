"""Custom categories and benign intents by example: similarity scores for the engine.

An operator lists a few example prompts ("our unreleased product names", "drug discovery
questions"); each text's score for a set is its highest cosine similarity to the set's
examples, reported as verdict categories `custom.<name>` and `allow.<name>`. Any object that
satisfies `sekimori.classify.encoder.Encoder` works; example embeddings are computed once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoder import Encoder
from sekimori.policy.model import ALLOW_PREFIX, CUSTOM_PREFIX, ExampleSet, TenantPolicy


@dataclass(frozen=True, slots=True)
class _Indexed:
    category: str  # custom.<name> or allow.<name>
    vectors: NDArray[np.float32]  # one L2-normalised row per example


class ExampleIndex:
    """The example embeddings of one tenant's custom categories and benign intents."""

    def __init__(self, policy: TenantPolicy, encoder: Encoder) -> None:
        self._encoder = encoder
        sets: list[tuple[str, ExampleSet]] = [
            (CUSTOM_PREFIX + n, s) for n, s in policy.custom.items()
        ] + [(ALLOW_PREFIX + n, s) for n, s in policy.allow_intents.items()]
        self._sets = [_Indexed(cat, _unit(encoder.encode(list(s.examples)))) for cat, s in sets]

    def scores(self, text: str) -> dict[str, float]:
        """Category -> similarity in [0, 1] (negative cosine counts as 0)."""
        if not self._sets:
            return {}
        query = _unit(self._encoder.encode([text]))[0]
        return {s.category: max(0.0, float(np.max(s.vectors @ query))) for s in self._sets}


def example_scores(text: str, policy: TenantPolicy, encoder: Encoder) -> Mapping[str, float]:
    """One-off scores for `text` (builds the index each call; keep an ExampleIndex to reuse)."""
    return ExampleIndex(policy, encoder).scores(text)


def _unit(m: NDArray[np.float32] | Sequence[Sequence[float]]) -> NDArray[np.float32]:
    arr = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return (arr / np.where(norms == 0, 1.0, norms)).astype(np.float32)
