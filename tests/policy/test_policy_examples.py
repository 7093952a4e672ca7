"""Custom categories and benign intents by example, with any Encoder-shaped object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
from numpy.typing import NDArray

from sekimori.policy import ExampleIndex, ExampleSet, decide, default_policy, example_scores
from sekimori.types import Action


class BagOfWords:
    """A tiny deterministic encoder: hashed word counts, L2-normalised (the Encoder protocol)."""

    name = "bag-of-words"
    dim = 64

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, sum(map(ord, word)) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


TENANT = replace(
    default_policy().default_tenant,
    custom={"falcon": ExampleSet("falcon", ("when will project falcon launch",), 0.8)},
    allow_intents={
        "sysadmin": ExampleSet(
            "sysadmin", ("how do i kill a stuck linux process",), 0.8, covers=("crime.violent",)
        )
    },
)


def test_scores_are_named_and_bounded() -> None:
    s = example_scores("when will project falcon launch", TENANT, BagOfWords())
    assert set(s) == {"custom.falcon", "allow.sysadmin"}
    assert s["custom.falcon"] > 0.99 and 0.0 <= s["allow.sysadmin"] < 0.5


def test_index_feeds_the_engine() -> None:
    index = ExampleIndex(TENANT, BagOfWords())
    leak = index.scores("When will Project Falcon launch exactly")
    assert decide(leak, TENANT, model="m").action is Action.BLOCK
    kill = {**index.scores("how do i kill a stuck linux process"), "crime.violent": 0.7}
    d = decide(kill, TENANT, model="m", today=date(2026, 1, 1))
    assert d.action is Action.ALLOW and any("sysadmin" in r for r in d.reasons)


def test_no_examples_no_scores() -> None:
    assert ExampleIndex(default_policy().default_tenant, BagOfWords()).scores("x") == {}
