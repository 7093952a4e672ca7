"""Training the answer first stage's token vectors and head together (fastText style).

`fast_train.py` distils one vector per token from the judge's encoder and then fits an MLP on
the pooled features with the vectors frozen. Here the vectors are trained too, for the stage's
own task (harmful or not), starting from the distilled ones: the same features as
`fast.pair_rows` computes at serving time (mean of known token vectors, L2-normalised, for the
prompt, the answer and its opening; their product; the refusal cues and the judge's n-gram
log-odds), standardised with fixed statistics, through one ReLU layer to a logit. The result is
an ordinary `FastModel` (vectors + head): serving needs no torch and no new code.

Deterministic for a seed (one torch thread, deterministic algorithms, fixed batch order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.answers.fast import Bags, PairBags
from sekimori.classify.finetune import _torch
from sekimori.classify.heads import Dense, MLPHead

Array = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class TuneSettings:
    epochs: int = 6
    hidden: int = 128
    batch: int = 128
    lr: float = 2e-3
    vector_lr: float = 5e-2  # token vectors start unit-scale-ish; they need a larger step
    weight_decay: float = 1e-4
    harm_weight: float = 1.0  # loss weight of a harmful pair (a missed one costs more)
    seed: int = 0


def _net(vectors: Array, mean: Array, scale: Array, settings: TuneSettings) -> Any:
    torch = _torch()
    nn = torch.nn
    F = torch.nn.functional
    dims = vectors.shape[1]
    root = math.sqrt(dims)

    class Net(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.bag = nn.EmbeddingBag.from_pretrained(
                torch.from_numpy(vectors.astype(np.float32)), freeze=False, mode="mean"
            )
            self.register_buffer("mean", torch.from_numpy(mean.astype(np.float32)))
            self.register_buffer("scale", torch.from_numpy(scale.astype(np.float32)))
            self.hidden = nn.Linear(len(mean), settings.hidden)
            self.out = nn.Linear(settings.hidden, 1)

        def pooled(self, rows: Any, starts: Any) -> Any:
            # An empty bag gives zeros, and normalising zeros gives zeros: as TokenPool.embed.
            return F.normalize(self.bag(rows, starts), dim=1, eps=1e-12)

        def forward(
            self, p: tuple[Any, Any], a: tuple[Any, Any], o: tuple[Any, Any], extra: Any
        ) -> Any:
            vp, va, vo = self.pooled(*p), self.pooled(*a), self.pooled(*o)
            x = torch.cat([vp, va, vp * va * root, vo, extra], dim=1)
            z = (x - self.mean) / self.scale
            return self.out(torch.relu(self.hidden(z)))[:, 0]

    return Net()


def _batch(
    torch: Any, bags: PairBags, extra: Array, index: NDArray[np.int64]
) -> tuple[tuple[Any, Any], tuple[Any, Any], tuple[Any, Any], Any]:
    def t(b: Bags) -> tuple[Any, Any]:
        rows, starts = b.take(index)
        return torch.from_numpy(rows), torch.from_numpy(starts)

    return t(bags.prompt), t(bags.answer), t(bags.opening), torch.from_numpy(extra[index])


def tune(
    bags: PairBags,
    extra: Array,
    y: NDArray[np.bool_],
    vectors: Array,
    mean: Array,
    scale: Array,
    settings: TuneSettings,
    train: NDArray[np.int64] | None = None,
) -> tuple[Array, MLPHead]:
    """Token vectors and head trained on the pairs at `train` (all when None) from `vectors`.

    `extra`: the feature columns after the pooled vectors (refusal cues, n-gram log-odds);
    `mean`/`scale`: the standardisation of the full feature row, kept fixed."""
    torch = _torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(settings.seed)
        net = _net(vectors, mean, scale, settings)
        head_params = [*net.hidden.parameters(), *net.out.parameters()]
        opt = torch.optim.Adam(
            [
                {"params": head_params, "lr": settings.lr, "weight_decay": settings.weight_decay},
                {"params": net.bag.parameters(), "lr": settings.vector_lr},
            ]
        )
        index = np.arange(len(y), dtype=np.int64) if train is None else train
        labels = torch.from_numpy(y.astype(np.float32))
        weights = torch.from_numpy(np.where(y, settings.harm_weight, 1.0).astype(np.float32))
        rng = np.random.default_rng(settings.seed)
        for _ in range(settings.epochs):
            order = index[rng.permutation(len(index))]
            for start in range(0, len(order), settings.batch):
                idx = order[start : start + settings.batch]
                logits = net(*_batch(torch, bags, extra, idx))
                at = torch.from_numpy(idx)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, labels[at], weight=weights[at]
                )
                opt.zero_grad()
                loss.backward()
                opt.step()
        out_vectors: Array = net.bag.weight.detach().numpy().astype(np.float32)
        head = MLPHead(
            (
                Dense(
                    net.hidden.weight.detach().numpy().T.copy().astype(np.float32),
                    net.hidden.bias.detach().numpy().astype(np.float32),
                ),
                Dense(
                    net.out.weight.detach().numpy().T.copy().astype(np.float32),
                    net.out.bias.detach().numpy().astype(np.float32),
                ),
            )
        )
        return out_vectors, head
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_num_threads(threads)
