"""Small numpy heads the classifiers score with: a ReLU MLP whose last layer gives logits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


def sigmoid(x: NDArray[np.float32]) -> NDArray[np.float32]:
    out: NDArray[np.float32] = (1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))).astype(np.float32)
    return out


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
