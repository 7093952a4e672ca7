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

F32 = np.float32


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
    wqkv: np.ndarray  # (dim, dim + 2 * kv_dim), input-major so that x @ w needs no transpose
    bqkv: np.ndarray | None
    wo: np.ndarray  # (dim, dim)
    ffn_norm: np.ndarray
    w_gate_up: np.ndarray  # (dim, 2 * ffn_dim)
    w_down: np.ndarray  # (ffn_dim, dim)


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
    def __init__(self, fields: Mapping[str, Any], tensors: Mapping[str, np.ndarray]) -> None:
        self.hp = hp = Hyperparameters.from_fields(fields)
        arch = fields.get("general.architecture")
        # GGUF's llama converter permutes q/k rows; qwen2 keeps the original layout.
        permuted = arch == "llama"

        def get(name: str) -> np.ndarray:
            try:
                return tensors[name]
            except KeyError:
                raise ModelError(f"GGUF file lacks tensor {name!r}") from None

        self.embedding = get("token_embd.weight")  # (vocab, dim)
        self.output = tensors.get("output.weight", self.embedding)  # tied when absent
        self.output_norm = get("output_norm.weight")
        layers = []
        for i in range(hp.n_layers):
            p = f"blk.{i}."
            wq, wk, wv = (
                get(p + "attn_q.weight"),
                get(p + "attn_k.weight"),
                get(p + "attn_v.weight"),
            )
            bias = [tensors.get(p + f"attn_{n}.bias") for n in "qkv"]
            if permuted:
                wq, wk = _unpermute(wq, hp.n_heads), _unpermute(wk, hp.n_kv_heads)
                if bias[0] is not None and bias[1] is not None:
                    bias[0] = _unpermute_bias(bias[0], hp.n_heads)
                    bias[1] = _unpermute_bias(bias[1], hp.n_kv_heads)
            bqkv = None
            if any(b is not None for b in bias):
                sizes = (wq.shape[0], wk.shape[0], wv.shape[0])
                bqkv = np.concatenate(
                    [
                        b if b is not None else np.zeros(n, F32)
                        for b, n in zip(bias, sizes, strict=True)
                    ]
                )
            layers.append(
                Layer(
                    attn_norm=get(p + "attn_norm.weight"),
                    wqkv=np.ascontiguousarray(np.concatenate([wq, wk, wv]).T),
                    bqkv=bqkv,
                    wo=np.ascontiguousarray(get(p + "attn_output.weight").T),
                    ffn_norm=get(p + "ffn_norm.weight"),
                    w_gate_up=np.ascontiguousarray(
                        np.concatenate([get(p + "ffn_gate.weight"), get(p + "ffn_up.weight")]).T
                    ),
                    w_down=np.ascontiguousarray(get(p + "ffn_down.weight").T),
                )
            )
        self.layers = layers
        half = hp.head_dim // 2
        self._inv_freq = (1.0 / hp.rope_theta ** (np.arange(half, dtype=np.float64) / half)).astype(
            np.float64
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
            qkv = h @ layer.wqkv
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
            x = x + attn.reshape(count, hp.dim) @ layer.wo
            h = self._norm(x, layer.ffn_norm)
            gate_up = h @ layer.w_gate_up
            gate, up = gate_up[:, : hp.ffn_dim], gate_up[:, hp.ffn_dim :]
            x = x + ((gate / (1.0 + np.exp(-gate))) * up) @ layer.w_down
        cache.length = end
        last = self._norm(x[-1], self.output_norm)
        logits: np.ndarray = self.output @ last
        return logits
