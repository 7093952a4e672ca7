"""On-disk embedding cache for training and evaluation, keyed by encoder name + text hash.

Lives outside git (`.sekimori/cache/embeddings/<encoder>/`), so re-training the heads or
re-running the evaluation does not re-embed texts the encoder has already seen.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoder import Encoder

CHUNK = 256


def encode_each(encoder: Encoder, texts: Sequence[str]) -> NDArray[np.float32]:
    """One encoder call per text.

    An int8 encoder quantises activations per call, so a text's vector depends slightly on what
    shares its batch; one text a call keeps every verdict independent of its neighbours.
    """
    if not texts:
        return np.zeros((0, encoder.dim), np.float32)
    return np.concatenate([encoder.encode([t]) for t in texts]).astype(np.float32)


class RecentEmbeddings:
    """The embeddings of the last ``size`` distinct texts, in memory, each text encoded alone
    (`encode_each`), so a text found here has exactly the vector a new call would give it.

    The same pieces come back across requests: a conversation's joined turns repeat the
    sentences each turn was scored on, a template or system prompt repeats whole. Thread-safe
    (two threads may encode the same new text at once; both get the same vector). Keys are
    blake2b digests; at 384 dimensions the default size holds about 6 MB.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._rows: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def embed(self, encoder: Encoder, texts: Sequence[str]) -> NDArray[np.float32]:
        """Rows for ``texts`` in order, as `encode_each(encoder, texts)` gives them."""
        if not texts:
            return np.zeros((0, encoder.dim), np.float32)
        keys = [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                for t in texts]  # fmt: skip
        with self._lock:
            if encoder is not self._encoder:  # another encoder: nothing here is its
                self._rows.clear()
                self._encoder = encoder
            found = {k: self._rows[k] for k in keys if k in self._rows}
            for k in found:
                self._rows.move_to_end(k)
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            fresh = encode_each(encoder, list(missing.values()))
            with self._lock:
                for k, row in zip(missing, fresh, strict=True):
                    found[k] = row
                    if encoder is self._encoder:
                        self._rows[k] = row
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
        return np.stack([found[k] for k in keys])


def default_cache_dir() -> Path:
    return Path(__file__).resolve().parents[3] / ".sekimori" / "cache" / "embeddings"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """Embeddings of texts by one encoder; new ones are written in shards as they are computed."""

    def __init__(self, encoder: Encoder, directory: Path | None = None) -> None:
        self.encoder = encoder
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", encoder.name)
        self.directory = (directory or default_cache_dir()) / safe
        self._vectors: dict[str, NDArray[np.float32]] = {}
        self._shards = 0
        if self.directory.is_dir():
            for shard in sorted(self.directory.glob("shard-*.npz")):
                self._shards += 1
                with np.load(shard) as data:
                    for key, vec in zip(data["keys"], data["vectors"], strict=True):
                        self._vectors[str(key)] = vec

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> NDArray[np.float32]:
        """Rows for `texts` in order; missing ones are encoded in chunks and saved."""
        keys = [text_key(t) for t in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._vectors:
                missing.setdefault(key, text)
        todo = list(missing.items())
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            vectors = encode_each(self.encoder, [t for _, t in chunk])
            self._save([k for k, _ in chunk], vectors)
            if progress is not None:
                progress(len(chunk))
        if not keys:
            return np.zeros((0, self.encoder.dim), np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def _save(self, keys: list[str], vectors: NDArray[np.float32]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"shard-{self._shards:05d}.npz"
        self._shards += 1
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=vectors.astype(np.float32))
        tmp.replace(path)
        for key, vec in zip(keys, vectors, strict=True):
            self._vectors[key] = vec


class CachedEncoder:
    """An Encoder that answers from the on-disk cache and fills it as it goes."""

    def __init__(self, cache: EmbeddingCache) -> None:
        self.cache = cache
        self.name = cache.encoder.name
        self.dim = cache.encoder.dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self.cache.embed(texts)

    def warm(self, texts: Sequence[str]) -> None:
        """Embed the missing ``texts`` in chunks now (one shard per chunk), so that scoring
        them one at a time later only reads the cache."""
        self.cache.embed(texts)
