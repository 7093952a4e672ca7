"""The training/evaluation embedding cache: chunked shards, reloaded across instances; the
in-memory cache of recent pieces the prompt classifier reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.embedcache import (
    CachedEncoder,
    EmbeddingCache,
    RecentEmbeddings,
    encode_each,
)


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


def test_recent_embeddings_encode_each_new_text_once_and_forget_the_oldest() -> None:
    enc = CountingEncoder()
    recent = RecentEmbeddings(size=3)
    first = recent.embed(enc, ["aa", "b", "aa"])  # a text twice in one call: encoded once
    assert enc.calls == 2
    assert np.array_equal(first, encode_each(CountingEncoder(), ["aa", "b", "aa"]))
    recent.embed(enc, ["b", "aa"])
    assert enc.calls == 2
    recent.embed(enc, ["ccc", "dddd"])  # four texts for three places: "b" was used least lately
    assert enc.calls == 4 and len(recent) == 3
    recent.embed(enc, ["aa"])
    assert enc.calls == 4
    recent.embed(enc, ["b"])
    assert enc.calls == 5
    assert recent.embed(enc, []).shape == (0, 4)


def test_recent_embeddings_never_answer_for_another_encoder() -> None:
    one, other = CountingEncoder(), CountingEncoder()
    recent = RecentEmbeddings()
    recent.embed(one, ["same text"])
    recent.embed(other, ["same text"])
    assert (one.calls, other.calls) == (1, 1)
