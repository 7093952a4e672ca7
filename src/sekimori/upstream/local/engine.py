"""A llama-family transformer forward pass in numpy, with a key/value cache.

Covers the architectures GGUF calls `llama` (SmolLM2) and `qwen2`: RMSNorm, rotary position
embeddings, grouped-query attention, SwiGLU feed-forward, optional q/k/v biases, tied or separate
output embeddings. Weights are dequantised to float32 once at load; the prompt is processed as one
batch (matrix-matrix products), each generated token as one matrix-vector pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sekimori.errors import ModelError
from sekimori.upstream.local.weights import GGUFFile, QuantizedRows

F32 = np.float32
# Architectures this engine implements, and whether GGUF's converter permuted their q/k rows
# (it does so for llama, for llama.cpp's pairwise rotation; qwen2 keeps the original layout).
ARCHITECTURES = {"llama": True, "qwen2": False}


@dataclass(frozen=True, slots=True)
class Hyperparameters:
    n_layers: int
    dim: int
    ffn_dim: int
    n_heads: int
    n_kv_heads: int
    rope_theta: float
    norm_eps: float
    context_length: int

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> Hyperparameters:
        arch = fields.get("general.architecture")
        if arch not in ARCHITECTURES:
            known = ", ".join(ARCHITECTURES)
            raise ModelError(f"unsupported model architecture {arch!r}; supported: {known}")
        if fields.get(f"{arch}.rope.scaling.type", "none") != "none":
            raise ModelError(
                f"rotary scaling {fields[f'{arch}.rope.scaling.type']!r} is not supported"
            )
        try:
            return cls(
                n_layers=int(fields[f"{arch}.block_count"]),
                dim=int(fields[f"{arch}.embedding_length"]),
                ffn_dim=int(fields[f"{arch}.feed_forward_length"]),
                n_heads=int(fields[f"{arch}.attention.head_count"]),
                n_kv_heads=int(fields[f"{arch}.attention.head_count_kv"]),
                rope_theta=float(fields.get(f"{arch}.rope.freq_base", 10000.0)),
                norm_eps=float(fields[f"{arch}.attention.layer_norm_rms_epsilon"]),
                context_length=int(fields[f"{arch}.context_length"]),
            )
        except KeyError as exc:
            raise ModelError(
                f"GGUF metadata lacks {exc.args[0]!r} for architecture {arch!r}"
            ) from None


@dataclass(frozen=True, slots=True)
class Layer:
    attn_norm: np.ndarray  # (dim,)
    # Matrices keep GGUF's (out_features, in_features) layout; `x @ w.T` is a BLAS flag, no copy.
    wqkv: np.ndarray  # (dim + 2 * kv_dim, dim): q, k and v fused into one product
    bqkv: np.ndarray | None
    wo: np.ndarray  # (dim, dim)
    ffn_norm: np.ndarray
    w_gate_up: np.ndarray  # (2 * ffn_dim, dim): gate and up fused
    w_down: np.ndarray  # (dim, ffn_dim)


def _unpermute(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Undo llama.cpp's q/k row permutation so one half-split rotary code path serves all models.

    The GGUF converter interleaves each head's rows for llama.cpp's pairwise rotation; reversing
    it gives the original (Hugging Face) layout, where a head's first half rotates with its second.
    """
    rows, cols = w.shape
    return w.reshape(n_heads, rows // n_heads // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


def _unpermute_bias(b: np.ndarray, n_heads: int) -> np.ndarray:
    return _unpermute(b.reshape(-1, 1), n_heads).reshape(-1)


class KVCache:
    """Keys and values of every processed position, per layer, sized for one generation."""

    def __init__(self, hp: Hyperparameters, capacity: int) -> None:
        shape = (hp.n_layers, hp.n_kv_heads, capacity, hp.head_dim)
        self.k = np.zeros(shape, dtype=F32)
        self.v = np.zeros(shape, dtype=F32)
        self.capacity = capacity
        self.length = 0


class Transformer:
    def __init__(self, weights: GGUFFile) -> None:
        self.hp = hp = Hyperparameters.from_fields(weights.fields)
        permuted = ARCHITECTURES[weights.fields["general.architecture"]]
        self.embedding: np.ndarray | QuantizedRows
        if "output.weight" in weights:
            # Separate output matrix: the embedding is only looked up, a few rows per step, so
            # it stays quantised (for Qwen2.5-0.5B that saves 545 MB of float32).
            self.output = weights.tensor("output.weight")
            self.embedding = weights.rows("token_embd.weight")
        else:  # tied: one float32 matrix serves both
            self.output = self.embedding = weights.tensor("token_embd.weight")
        self.output_norm = weights.tensor("output_norm.weight")
        self.layers = [self._layer(weights, f"blk.{i}.", permuted) for i in range(hp.n_layers)]
        half = hp.head_dim // 2
        self._inv_freq = 1.0 / hp.rope_theta ** (np.arange(half, dtype=np.float64) / half)

    def _layer(self, weights: GGUFFile, prefix: str, permuted: bool) -> Layer:
        hp = self.hp
        wq, wk, wv = (weights.tensor(f"{prefix}attn_{n}.weight") for n in "qkv")
        bias = [
            weights.tensor(f"{prefix}attn_{n}.bias")
            if f"{prefix}attn_{n}.bias" in weights
            else None
            for n in "qkv"
        ]
        if permuted:
            wq, wk = _unpermute(wq, hp.n_heads), _unpermute(wk, hp.n_kv_heads)
            if bias[0] is not None and bias[1] is not None:
                bias[0] = _unpermute_bias(bias[0], hp.n_heads)
                bias[1] = _unpermute_bias(bias[1], hp.n_kv_heads)
        bqkv = None
        if any(b is not None for b in bias):
            sizes = (wq.shape[0], wk.shape[0], wv.shape[0])
            bqkv = np.concatenate(
                [b if b is not None else np.zeros(n, F32) for b, n in zip(bias, sizes, strict=True)]
            )
        return Layer(
            attn_norm=weights.tensor(f"{prefix}attn_norm.weight"),
            wqkv=np.concatenate([wq, wk, wv]),
            bqkv=bqkv,
            wo=weights.tensor(f"{prefix}attn_output.weight"),
            ffn_norm=weights.tensor(f"{prefix}ffn_norm.weight"),
            w_gate_up=np.concatenate(
                [
                    weights.tensor(f"{prefix}ffn_gate.weight"),
                    weights.tensor(f"{prefix}ffn_up.weight"),
                ]
            ),
            w_down=weights.tensor(f"{prefix}ffn_down.weight"),
        )

    def new_cache(self, capacity: int) -> KVCache:
        return KVCache(self.hp, capacity)

    def _rope(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        angles = np.outer(np.arange(start, start + count, dtype=np.float64), self._inv_freq)
        return np.cos(angles).astype(F32), np.sin(angles).astype(F32)

    @staticmethod
    def _rotate(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
        # x: (T, heads, head_dim); cos/sin: (T, 1, head_dim / 2)
        half = x.shape[-1] // 2
        x1, x2 = x[..., :half], x[..., half:]
        return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)

    def _norm(self, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        scale = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.hp.norm_eps)
        normed: np.ndarray = (x * scale * weight).astype(F32, copy=False)
        return normed

    def forward(self, token_ids: list[int], cache: KVCache) -> np.ndarray:
        """Process `token_ids` after the cached positions; returns the last position's logits."""
        hp = self.hp
        count = len(token_ids)
        start = cache.length
        end = start + count
        if end > cache.capacity:
            raise ModelError(f"context overflow: {end} tokens > cache capacity {cache.capacity}")
        kv_dim = hp.n_kv_heads * hp.head_dim
        group = hp.n_heads // hp.n_kv_heads
        hd = hp.head_dim
        scale = F32(1.0 / np.sqrt(hd))
        cos, sin = self._rope(start, count)
        cos, sin = cos[:, None, :], sin[:, None, :]
        mask = None
        if count > 1:
            # Position t (absolute start + t) sees every cached position and itself, not later ones.
            future = np.arange(end)[None, :] > (start + np.arange(count))[:, None]
            mask = np.where(future, F32(-np.inf), F32(0.0))

        x = self.embedding[np.asarray(token_ids)]
        for index, layer in enumerate(self.layers):
            h = self._norm(x, layer.attn_norm)
            qkv = h @ layer.wqkv.T
            if layer.bqkv is not None:
                qkv += layer.bqkv
            q = qkv[:, : hp.dim].reshape(count, hp.n_heads, hd)
            k = qkv[:, hp.dim : hp.dim + kv_dim].reshape(count, hp.n_kv_heads, hd)
            v = qkv[:, hp.dim + kv_dim :].reshape(count, hp.n_kv_heads, hd)
            q = self._rotate(q, cos, sin)
            k = self._rotate(k, cos, sin)
            cache.k[index, :, start:end] = k.transpose(1, 0, 2)
            cache.v[index, :, start:end] = v.transpose(1, 0, 2)
            keys = cache.k[index, :, :end]  # (kv_heads, end, hd)
            values = cache.v[index, :, :end]
            # Query heads sharing a key/value head are stacked so one batched matmul serves them.
            grouped = q.reshape(count, hp.n_kv_heads, group, hd).transpose(1, 2, 0, 3)
            qg = grouped.reshape(hp.n_kv_heads, group * count, hd)
            scores = (qg @ keys.transpose(0, 2, 1)) * scale  # (kv_heads, group*count, end)
            if mask is not None:
                scores = scores.reshape(hp.n_kv_heads, group, count, end) + mask
                scores = scores.reshape(hp.n_kv_heads, group * count, end)
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            attn = scores @ values  # (kv_heads, group*count, hd)
            attn = attn.reshape(hp.n_kv_heads, group, count, hd).transpose(2, 0, 1, 3)
            x = x + attn.reshape(count, hp.dim) @ layer.wo.T
            h = self._norm(x, layer.ffn_norm)
            gate_up = h @ layer.w_gate_up.T
            gate, up = gate_up[:, : hp.ffn_dim], gate_up[:, hp.ffn_dim :]
            x = x + ((gate / (1.0 + np.exp(-gate))) * up) @ layer.w_down.T
        cache.length = end
        last = self._norm(x[-1], self.output_norm)
        logits: np.ndarray = self.output @ last
        return logits
