"""Training the static stage's token vectors for the task (`sekimori train static --train-vectors`).

The distilled vectors (`static_train.distil`) are frozen: a token's vector is what the encoder
makes of it alone, and a text's is their mean, so a harmful request diluted by ordinary words
(a long prompt, a request padded or wrapped) drifts towards the ordinary. Here the vectors and
the two heads are trained end to end (the fastText / Model2Vec fine-tuning idea) on the
training split only: the pooling is the stage's own (the mean of the known tokens' vectors,
L2-normalised, `static.TokenPool`), so inference and its cost do not change; a token's vector
may grow longer than the others' and so weigh more in any mean it is part of.

- Start: the distilled vectors and the heads fitted on them (`static_train.fit_heads`).
- Rows: each view of each training example with the heads' targets (harm, jailbreak; a row
  without a label for one head does not train it), catastrophic and severe rows weighing
  ``tier_weight``; plus augmentations built from the training split alone: each catastrophic
  and severe training prompt padded with ordinary training prompts of its language (before,
  after or around it) and in the persona and letter disguises of `sekimori.testing` (the ones
  the normaliser does not decode), all harmful; and ordinary training prompts joined into
  longer ordinary texts (harmless), so that padding does not become a sign of harm.
- Loss: weighted binary cross-entropy of each head and an L2 penalty on the heads' weights (as
  their first fit); Adam (sparse for the vectors: a step touches its batch's tokens only), and
  after each step the touched vectors are drawn back towards the distilled ones by
  ``drift_l2``; seeded, deterministic on the CPU.

The clear points are then chosen exactly as for frozen vectors (`static_train.choose_points`,
validation split only).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Example
from sekimori.classify.heads import Dense, MLPHead
from sekimori.classify.prompt import views
from sekimori.classify.static import StaticModel, Tokenizer
from sekimori.taxonomy import Tier
from sekimori.testing.disguises import WRAPPERS

# the disguises the normaliser does not undo into a payload of its own (base64 and rot13
# payloads always reach the encoder, whatever the stage says)
DISGUISES = ("DAN", "leet", "spaced")


@dataclass(frozen=True, slots=True)
class TuneSettings:
    epochs: int = 4
    batch: int = 128
    lr: float = 2e-3  # Adam, heads and vectors
    head_l2: float = 1e-4  # on the heads' weights
    drift_l2: float = 1.0  # pull of the touched vectors back to the distilled ones, per step
    tier_weight: int = 3
    pads: int = 2  # padded copies of each catastrophic and severe training prompt
    long_ordinary: int = 2000  # longer ordinary texts joined from ordinary training prompts
    seed: int = 13
    threads: int = 2


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    harm: int  # 1, 0, or -1: no label
    jailbreak: int
    weight: float


def training_rows(
    train: Sequence[Example],
    tier_of: Callable[[Example], Tier | None],
    is_ordinary: Callable[[Example], bool],
    settings: TuneSettings,
) -> list[Row]:
    """The training split's views with their targets, and the augmentations (module doc)."""
    rng = random.Random(settings.seed)
    rows: list[Row] = []
    ordinary: dict[str, list[str]] = {"en": [], "ja": []}
    for ex in train:
        if ex.harmful is False and ex.jailbreak is not True and is_ordinary(ex):
            ordinary.setdefault(ex.lang, []).append(ex.text)
    for ex in train:
        harm = -1 if ex.harmful is None else int(ex.harmful)
        jail = -1 if ex.jailbreak is None else int(ex.jailbreak)
        grave = bool(ex.harmful) and tier_of(ex) in (Tier.CATASTROPHIC, Tier.SEVERE)
        weight = float(settings.tier_weight if grave else 1)
        rows.extend(Row(v, harm, jail, weight) for v in views(ex.text))
        if not grave:
            continue
        fillers = ordinary.get(ex.lang) or ordinary["en"]
        for i in range(settings.pads):
            pad = rng.sample(fillers, k=min(len(fillers), rng.randint(2, 6)))
            cut = (0, len(pad), len(pad) // 2)[(i + len(rows)) % 3]
            joiner = "" if ex.lang == "ja" else " "
            text = joiner.join([*pad[:cut], ex.text, *pad[cut:]])
            rows.extend(Row(v, 1, -1, weight) for v in views(text))
        for name in DISGUISES:
            wrapped = WRAPPERS[name](ex.text, ex.lang)
            if wrapped is not None:
                rows.extend(Row(v, 1, -1, weight) for v in views(wrapped))
    for lang, texts in sorted(ordinary.items()):
        share = len(texts) / max(1, sum(len(t) for t in ordinary.values()))
        for _ in range(round(settings.long_ordinary * share)):
            pad = rng.sample(texts, k=min(len(texts), rng.randint(3, 8)))
            text = ("" if lang == "ja" else " ").join(pad)
            rows.extend(Row(v, 0, 0, 1.0) for v in views(text))
    return rows


@dataclass(frozen=True, slots=True)
class Tuned:
    model: StaticModel
    losses: list[float]  # the mean training loss of each epoch (before the first: index 0)


def tune(
    static: StaticModel,
    rows: Sequence[Row],
    tokenizer: Tokenizer,
    settings: TuneSettings,
    progress: Callable[[str], None] = print,
) -> Tuned:
    """The static model with its vectors and heads trained on ``rows`` (module doc)."""
    import torch
    from torch import nn

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    torch.use_deterministic_algorithms(True)
    where = np.full(tokenizer.vocab_size, -1, np.int64)
    where[static.vocab] = np.arange(len(static.vocab))
    bags: list[NDArray[np.int64]] = []
    keep: list[Row] = []
    for row in rows:
        ids = where[np.asarray(tokenizer.ids(row.text), np.int64)]
        ids = ids[ids >= 0]
        if len(ids):
            bags.append(ids)
            keep.append(row)
    harm_y = torch.tensor([r.harm for r in keep], dtype=torch.float32)
    jail_y = torch.tensor([r.jailbreak for r in keep], dtype=torch.float32)
    weight = torch.tensor([r.weight for r in keep], dtype=torch.float32)

    start = torch.tensor(static.vectors.astype(np.float32))
    # sparse: a step touches only the rows of its batch's tokens (Adam on all 4 M numbers each
    # step cost most of the time)
    table = nn.EmbeddingBag.from_pretrained(start.clone(), freeze=False, mode="mean", sparse=True)

    def torch_head(head: MLPHead) -> nn.Sequential:
        layers: list[nn.Module] = []
        for i, dense in enumerate(head.layers):
            lin = nn.Linear(*dense.weight.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(dense.weight.T))
                lin.bias.copy_(torch.tensor(dense.bias))
            layers.append(lin)
            if i < len(head.layers) - 1:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    harm_net, jail_net = torch_head(static.harm), torch_head(static.jailbreak)
    heads = [*harm_net.parameters(), *jail_net.parameters()]
    opt_vectors = torch.optim.SparseAdam(list(table.parameters()), lr=settings.lr)
    opt_heads = torch.optim.Adam(heads, lr=settings.lr)
    bce = nn.BCEWithLogitsLoss(reduction="none")

    def loss_of(idx: NDArray[np.int64]) -> tuple[torch.Tensor, torch.Tensor]:
        chosen = [bags[int(i)] for i in idx]
        flat = torch.tensor(np.concatenate(chosen))
        offsets = torch.tensor(np.cumsum([0, *(len(b) for b in chosen[:-1])]))
        pooled = nn.functional.normalize(table(flat, offsets), dim=1, eps=1e-12)
        total = torch.zeros(())
        for net, y in ((harm_net, harm_y), (jail_net, jail_y)):
            t, w = y[idx], weight[idx]
            mask = t >= 0
            if mask.any():
                out = net(pooled[mask]).squeeze(1)
                total = total + (bce(out, t[mask]) * w[mask]).sum() / w[mask].sum()
        return total, flat

    def head_penalty() -> torch.Tensor:
        total = torch.zeros(())
        for net in (harm_net, jail_net):
            for m in net:
                if isinstance(m, nn.Linear):
                    total = total + (m.weight**2).sum()
        return settings.head_l2 * total

    order = np.random.default_rng(settings.seed)
    losses: list[float] = []

    def mean_loss() -> float:
        with torch.no_grad():
            parts = [
                float(loss_of(np.arange(i, min(i + 1024, len(bags))))[0]) * min(1024, len(bags) - i)
                for i in range(0, len(bags), 1024)
            ]
        return sum(parts) / max(1, len(bags))

    losses.append(mean_loss())
    progress(f"training vectors: {len(bags)} rows, loss before {losses[0]:.4f}")
    for epoch in range(settings.epochs):
        perm = order.permutation(len(bags))
        for i in range(0, len(perm), settings.batch):
            opt_vectors.zero_grad()
            opt_heads.zero_grad()
            loss, used = loss_of(perm[i : i + settings.batch])
            (loss + head_penalty()).backward()  # type: ignore[no-untyped-call]
            opt_vectors.step()  # type: ignore[no-untyped-call]
            opt_heads.step()
            # the vectors' drift from the distilled ones, shrunk where the batch touched them
            with torch.no_grad():
                rows_used = torch.unique(used)
                w = table.weight
                w[rows_used] -= settings.lr * settings.drift_l2 * (w[rows_used] - start[rows_used])
        losses.append(mean_loss())
        progress(f"epoch {epoch + 1}/{settings.epochs}: loss {losses[-1]:.4f}")

    def numpy_head(net: nn.Sequential) -> MLPHead:
        return MLPHead(
            tuple(
                Dense(
                    m.weight.detach().numpy().T.astype(np.float32).copy(),
                    m.bias.detach().numpy().astype(np.float32).copy(),
                )
                for m in net
                if isinstance(m, nn.Linear)
            )
        )

    vectors: NDArray[np.float16] = table.weight.detach().numpy().astype(np.float16)
    trained = StaticModel(static.vocab, vectors, numpy_head(harm_net), numpy_head(jail_net))
    return Tuned(trained, losses)
