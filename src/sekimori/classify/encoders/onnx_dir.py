"""``onnx-dir``: a user's own encoder from disk, a Hugging Face style folder with
``model.onnx`` and ``tokenizer.json`` (as ``optimum-cli export onnx`` writes it).

The graph takes ``input_ids`` and ``attention_mask`` (``token_type_ids`` too if it asks); its
first output is either token states (batch, seq, dim), pooled here by the mask, or a
sentence vector (batch, dim). Long texts are cut into windows of ``max_length`` tokens whose
vectors are averaged, weighted by length, as ``e5-small`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoder import ENCODERS
from sekimori.classify.encoders.e5_small import l2_normalise, ort_session
from sekimori.errors import ConfigError, ModelError

Pooling = Literal["mean", "cls"]


@ENCODERS.register("onnx-dir")
class OnnxDirEncoder:
    """An ONNX encoder folder.

    path: the folder holding model.onnx and tokenizer.json.
    prefix: prepended to every text (e.g. "query: " for e5 models, "" for most others).
    pooling: "mean" over the attention mask, or "cls" (the first token).
    max_length: tokens per window, special tokens included.
    """

    def __init__(
        self,
        *,
        path: str | Path,
        prefix: str = "",
        pooling: Pooling = "mean",
        max_length: int = 512,
        threads: int = 1,
    ) -> None:
        folder = Path(path).expanduser()
        model, tokenizer_file = folder / "model.onnx", folder / "tokenizer.json"
        missing = [p.name for p in (model, tokenizer_file) if not p.is_file()]
        if missing:
            raise ModelError(
                f"{folder}: missing {', '.join(missing)}; an onnx-dir encoder needs model.onnx "
                "and tokenizer.json (e.g. from `optimum-cli export onnx --model NAME DIR`) / "
                f"{folder} に {', '.join(missing)} がありません"
            )
        if pooling not in ("mean", "cls"):
            raise ConfigError(
                f"pooling must be 'mean' or 'cls', got {pooling!r}", key="encoder.pooling"
            )
        if threads < 1:
            raise ConfigError(f"threads must be >= 1, got {threads}", key="encoder.threads")
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError(
                "onnx-dir needs the tokenizers package: pip install tokenizers"
            ) from exc
        try:
            self._tok: Any = Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # tokenizers raises a bare Exception for a bad file
            raise ModelError(f"{tokenizer_file}: cannot load the tokenizer ({exc})") from exc
        self._tok.no_padding()
        self._tok.enable_truncation(max_length=max_length, stride=0)
        self._session = ort_session(model, threads)
        self._inputs = {i.name for i in self._session.get_inputs()}
        needed = {"input_ids", "attention_mask"} - self._inputs
        if needed:
            raise ModelError(f"{model}: the graph has no input {', '.join(sorted(needed))}")
        self._output = self._session.get_outputs()[0].name
        self.name = f"onnx-dir:{folder.name}"
        self.prefix = prefix
        self.pooling = pooling
        self.dim = int(self._raw(["dimension probe"]).shape[-1])

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(self._raw(list(texts)))

    def _raw(self, texts: list[str]) -> NDArray[np.float32]:
        rows: list[NDArray[np.float32]] = []
        for enc in self._tok.encode_batch([self.prefix + t for t in texts]):
            windows = [enc, *enc.overflowing]
            vectors = np.stack([self._window(w) for w in windows])
            weights = np.array([sum(w.attention_mask) for w in windows], np.float32)[:, None]
            rows.append((vectors * weights).sum(axis=0) / weights.sum())
        out: NDArray[np.float32] = np.stack(rows).astype(np.float32)
        return out

    def _window(self, enc: Any) -> NDArray[np.float32]:
        feed = {
            "input_ids": np.array([enc.ids], np.int64),
            "attention_mask": np.array([enc.attention_mask], np.int64),
        }
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.array([enc.type_ids], np.int64)
        (out,) = self._session.run([self._output], feed)
        if out.ndim == 2:
            return np.asarray(out[0], np.float32)
        states: NDArray[np.float32] = np.asarray(out[0], np.float32)
        if self.pooling == "cls":
            first: NDArray[np.float32] = states[0]
            return first
        mask = feed["attention_mask"][0].astype(np.float32)[:, None]
        pooled: NDArray[np.float32] = (states * mask).sum(axis=0) / mask.sum()
        return pooled
