"""Small numpy heads the classifiers score with: a ReLU MLP whose last layer gives logits."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sekimori.errors import ModelError

T = TypeVar("T")


def sigmoid(x: NDArray[np.float32]) -> NDArray[np.float32]:
    out: NDArray[np.float32] = (1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))).astype(np.float32)
    return out


def linear_probabilities(
    embeddings: NDArray[np.float32], weight: NDArray[np.float32], bias: float
) -> NDArray[np.float32]:
    """A logistic model's probability for each embedding row."""
    return sigmoid((embeddings @ weight + np.float32(bias)).astype(np.float32))


@dataclass(frozen=True, slots=True)
class Dense:
    weight: NDArray[np.float32]
    bias: NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class MLPHead:
    """A ReLU MLP; the last layer is linear (logits)."""

    layers: tuple[Dense, ...]

    def logits(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        for i, layer in enumerate(self.layers):
            x = x @ layer.weight + layer.bias
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0)
        return x

    def arrays(self, name: str) -> dict[str, NDArray[Any]]:
        """The head as ``name.i.weight`` (float16) and ``name.i.bias`` arrays, for an npz."""
        out: dict[str, NDArray[Any]] = {}
        for i, layer in enumerate(self.layers):
            out[f"{name}.{i}.weight"] = layer.weight.astype(np.float16)
            out[f"{name}.{i}.bias"] = layer.bias.astype(np.float32)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]], name: str) -> MLPHead:
        """The head ``arrays`` hold under ``name`` (no layers when there are none)."""
        layers = []
        i = 0
        while f"{name}.{i}.weight" in arrays:
            layers.append(
                Dense(
                    arrays[f"{name}.{i}.weight"].astype(np.float32),
                    arrays[f"{name}.{i}.bias"].astype(np.float32),
                )
            )
            i += 1
        return cls(tuple(layers))


def save_linear(
    directory: Path,
    files: tuple[str, str],
    weight: NDArray[np.float32],
    bias: float,
    meta: Mapping[str, Any],
) -> None:
    """One linear model's weights (``files[0]``, an npz: ``weight`` in its own dtype, ``bias``)
    and its metadata (``files[1]``, JSON)."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        directory / files[0], allow_pickle=False, weight=weight, bias=np.array([bias], np.float32)
    )
    (directory / files[1]).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def load_linear(
    directory: Path,
    files: tuple[str, str],
    fmt: int,
    names: tuple[str, str],
    read: Callable[[dict[str, Any]], T],
) -> tuple[NDArray[np.float32], float, dict[str, Any], T] | None:
    """What `save_linear` wrote (weight as float32, bias, metadata) and ``read`` of the metadata;
    None when ``files[1]`` is absent. ``names``: the model and the command that rebuilds it, for
    the error."""
    if not (directory / files[1]).is_file():
        return None
    try:
        meta = json.loads((directory / files[1]).read_text(encoding="utf-8"))
        if meta["format"] != fmt:
            raise ValueError(f"format {meta['format']}, expected {fmt}")
        arrays = np.load(directory / files[0])
        weight, bias = arrays["weight"].astype(np.float32), float(arrays["bias"][0])
        return weight, bias, meta, read(meta)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelError(
            f"cannot load {names[0]} from {directory}: {exc}; run `{names[1]}` to rebuild it"
        ) from exc
