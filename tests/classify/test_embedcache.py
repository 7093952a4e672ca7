"""The training/evaluation embedding cache: chunked shards, reloaded across instances."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.embedcache import CachedEncoder, EmbeddingCache


class CountingEncoder:
    """A deterministic stand-in encoder that records how many texts it was asked for."""

    name = "counting"
    dim = 4

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls += len(texts)
        return np.array([[len(t), t.count("a"), 1.0, 0.0] for t in texts], np.float32)


def test_warm_writes_one_shard_per_chunk_and_scoring_reads_the_cache(tmp_path: Path) -> None:
    enc = CountingEncoder()
    cached = CachedEncoder(EmbeddingCache(enc, tmp_path))
    texts = [f"text {i} {'a' * (i % 5)}" for i in range(300)]
    cached.warm(texts)
    assert enc.calls == 300
    assert len(list((tmp_path / "counting").glob("shard-*.npz"))) == 2  # chunks of 256
    for t in texts[:10]:  # one text at a time, as the classifier asks: no new encoding
        cached.encode([t])
    assert enc.calls == 300

    again = EmbeddingCache(CountingEncoder(), tmp_path)
    assert len(again) == 300
    again.embed(["a new one"])
    shards = sorted(p.name for p in (tmp_path / "counting").glob("shard-*.npz"))
    assert shards == ["shard-00000.npz", "shard-00001.npz", "shard-00002.npz"]
    assert np.array_equal(again.embed([texts[7]])[0], enc.encode([texts[7]])[0])
