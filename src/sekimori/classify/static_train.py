"""Building the static first stage of a prompt model (`sekimori.classify.static`).

1. Vocabulary: every e5 token that the prompt model's training split uses (both views of
   each example); other tokens are left out of a piece's mean and counted as unknown.
2. Distillation: each kept token alone through the model's own encoder (e5-small with its
   fine-tuning delta), PCA to ``dims``, SIF weights a / (a + p) from the training split.
3. Heads: harm and jailbreak MLPs on the pooled vectors of the training split (catastrophic
   and severe rows counted ``tier_weight`` times), seeded.
4. The clear point, on the validation split only: for each way of combining with the n-gram
   model (`static.COMBINES`), the highest level (0.01 steps) at which no catastrophic harmful
   validation prompt and at most ``severe_loss`` of the severe ones would skip the encoder,
   the same for the team's validation harmful prompts padded with ordinary sentences and in
   each disguise (`sekimori.testing`); the combination that clears the most ordinary
   validation prompts wins. A text *skips* when no piece the classifier would encode (its whole,
   each window, run or sentence chosen) reaches the level; a text with a decoded payload never
   skips (payloads always reach the encoder). Segments count although the classifier clears
   wholes only (it cleared segments too when the committed point was chosen): the rule stays
   as strict as it was then.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Example, Split
from sekimori.classify.heads import MLPHead
from sekimori.classify.normalize import normalize
from sekimori.classify.prompt import (
    DEFAULT_MODEL_DIR,
    PromptClassifier,
    PromptModel,
    views,
    write_meta_field,
)
from sekimori.classify.static import (
    COMBINES,
    FIELD,
    STATIC_FILE,
    Combine,
    FastPathMeta,
    Level,
    StaticModel,
    StaticStage,
    Tokenizer,
    combine,
    e5_tokenizer,
)
from sekimori.errors import ModelError
from sekimori.taxonomy import BY_ID, Tier
from sekimori.testing.disguises import WRAPPERS
from sekimori.testing.padding import padded

PADS = (5, 10, 20)
WHERE = ("after", "before", "around")


@dataclass(frozen=True, slots=True)
class StaticSettings:
    model_dir: Path = DEFAULT_MODEL_DIR
    dims: int = 128  # 29k kept tokens x 128 float16 = 7.5 MB, under the 10 MB file limit
    sif: float = 1e-3
    hidden: int = 128
    epochs: int = 40
    tier_weight: int = 3
    min_known: float = 0.9
    severe_loss: float = 0.005
    seed: int = 13
    threads: int = 2
    # write static.npz and the fast_path entry enabled (False: write it switched off)
    enable: bool = True


@dataclass(frozen=True, slots=True)
class Item:
    """A validation text with what it must do at the first stage."""

    text: str
    lang: str
    kind: str  # "catastrophic", "severe", "moderate", "jailbreak", "ordinary", "benign"
    variant: str  # "bare", "pad-10-after", "base64", ...


@dataclass(frozen=True, slots=True)
class Choice:
    combine: Combine
    clear: float
    figures: dict[str, Any]


def tier_of(example: Example) -> Tier | None:
    tiers = [BY_ID[c].tier for c in example.categories if c in BY_ID]
    for tier in (Tier.CATASTROPHIC, Tier.SEVERE, Tier.MODERATE):
        if tier in tiers:
            return tier
    return None


def kind_of(example: Example) -> str | None:
    from sekimori.classify.train import is_ordinary

    if example.harmful:
        tier = tier_of(example)
        return tier.value if tier is not None else "moderate"
    if example.jailbreak:
        return "jailbreak"
    if example.harmful is False:
        return "ordinary" if is_ordinary(example) else "benign"
    return None


def validation_items(examples: Sequence[Example]) -> list[Item]:
    """The validation split, plus the team's catastrophic and severe validation prompts padded
    (5, 10, 20 ordinary sentences, after, before or around them in turn) and disguised."""
    out: list[Item] = []
    for ex in examples:
        kind = kind_of(ex)
        if ex.split is not Split.VALIDATION or kind is None:
            continue
        out.append(Item(ex.text, ex.lang, kind, "bare"))
        if ex.source != "team" or kind not in ("catastrophic", "severe"):
            continue
        for i, count in enumerate(PADS):
            where = WHERE[(i + len(out)) % len(WHERE)]
            text = padded(ex.text, ex.lang, count, where=where, offset=len(out))
            out.append(Item(text, ex.lang, kind, f"padded-{count}"))
        for name, wrap in WRAPPERS.items():
            wrapped = wrap(ex.text, ex.lang)
            if wrapped is not None:
                out.append(Item(wrapped, ex.lang, kind, name))
    return out


class _PlanOnly:
    """Stands in for the encoder while planning: choosing the clear point never encodes."""

    name = "plan-only"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        raise ModelError("the clear point is chosen without the encoder")


@dataclass(frozen=True, slots=True)
class Reach:
    """An item's pieces (what the classifier without the fast path would encode): each piece's
    static level and n-gram level; ``always`` when a decoded payload reaches the encoder."""

    static: list[Level]
    ngram: list[tuple[float, float]]
    always: bool


def reach_of(clf: PromptClassifier, stage: StaticStage, text: str) -> Reach:
    plan = clf.plan(text)
    pieces = [*plan.whole, *plan.segment_texts]
    always = bool(normalize(text).decoded)
    ngram = [(float(p[0]), float(p[1])) for p in (clf.ngram_probs(t) for t in pieces)]
    return Reach([stage.level(t) for t in pieces], ngram, always)


def top_level(reach: Reach, how: Combine, min_known: float) -> float:
    """The highest combined level among an item's pieces (inf: it always reaches the encoder;
    -inf: nothing of it reaches the encoder even without the fast path)."""
    if reach.always:
        return float("inf")
    best = float("-inf")
    for level, (nh, nj) in zip(reach.static, reach.ngram, strict=True):
        lv = combine(how, level, nh, nj)
        best = max(best, float("inf") if lv.known < min_known else max(lv.harm, lv.jailbreak))
    return best


def choose_clear(
    items: Sequence[Item], tops: NDArray[np.float64], severe_loss: float
) -> tuple[float, dict[str, Any]]:
    """The highest clear point on a 0.01 grid that keeps every catastrophic item (bare or a
    variant) and all but ``severe_loss`` of each severe set at the encoder."""
    kinds = np.array([i.kind for i in items])
    bare = np.array([i.variant == "bare" for i in items])
    reachable = ~np.isneginf(tops)  # -inf: skipped without the fast path too
    clear = 0.0
    for c in np.round(np.arange(0.01, 1.0, 0.01), 2):
        lost = reachable & (tops < c)
        if (lost & (kinds == "catastrophic")).any():
            break
        ok = True
        for group in (bare, ~bare):
            sev = (kinds == "severe") & group & reachable
            if sev.any() and (lost & sev).sum() > severe_loss * sev.sum():
                ok = False
        if not ok:
            break
        clear = float(c)
    return clear, figures(items, tops, clear)


def _share(mask: NDArray[np.bool_], of: NDArray[np.bool_]) -> float | None:
    return round(float(mask[of].mean()), 4) if of.any() else None


def figures(items: Sequence[Item], tops: NDArray[np.float64], clear: float) -> dict[str, Any]:
    """Per kind (bare items) and per variant: the share reaching the encoder, or cleared."""
    kinds = np.array([i.kind for i in items])
    langs = np.array([i.lang for i in items])
    variants = np.array([i.variant for i in items])
    skipped = tops < clear
    reach = ~skipped
    bare = variants == "bare"
    out: dict[str, Any] = {"clear": clear}
    for kind in ("catastrophic", "severe", "moderate", "jailbreak"):
        m = bare & (kinds == kind)
        out[f"{kind}_reach_encoder"] = {
            "all": _share(reach, m),
            "en": _share(reach, m & (langs == "en")),
            "ja": _share(reach, m & (langs == "ja")),
            "n": int(m.sum()),
        }
    for kind in ("ordinary", "benign"):
        m = bare & (kinds == kind)
        out[f"{kind}_cleared"] = {
            "all": _share(skipped, m),
            "en": _share(skipped, m & (langs == "en")),
            "ja": _share(skipped, m & (langs == "ja")),
            "n": int(m.sum()),
        }
    out["variants_reach_encoder"] = {
        v: {"all": _share(reach, variants == v), "n": int((variants == v).sum())}
        for v in sorted(set(variants.tolist()) - {"bare"})
    }
    return out


def build_vocab(texts: Sequence[str], tokenizer: Tokenizer) -> Counter[int]:
    counts: Counter[int] = Counter()
    for text in texts:
        counts.update(tokenizer.ids(text))
    return counts


def distil(
    encoder: Any, vocab: NDArray[np.int32], counts: Counter[int], settings: StaticSettings
) -> NDArray[np.float16]:
    """Each token alone through the encoder, PCA to ``settings.dims``, SIF-weighted."""
    chunks = [
        encoder.encode_ids([[int(t)] for t in vocab[i : i + 2048]])
        for i in range(0, len(vocab), 2048)
    ]
    raw = np.concatenate(chunks).astype(np.float64)
    centred = raw - raw.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[: settings.dims].T
    total = sum(counts.values())
    p = np.array([counts[int(t)] / total for t in vocab])
    weight = settings.sif / (settings.sif + p)
    out: NDArray[np.float16] = (reduced * weight[:, None]).astype(np.float16)
    return out


def fit_heads(
    stage_of: Callable[[], StaticStage], train: Sequence[Example], settings: StaticSettings
) -> tuple[MLPHead, MLPHead]:
    from sekimori.classify.train import fit_mlp

    stage = stage_of()
    rows: list[NDArray[np.float32]] = []
    harm: list[int] = []
    jail: list[int] = []
    for ex in train:
        repeat = settings.tier_weight if tier_of(ex) in (Tier.CATASTROPHIC, Tier.SEVERE) else 1
        for v in views(ex.text):
            vec, _ = stage.embed(v)
            for _ in range(repeat if ex.harmful else 1):
                rows.append(vec)
                harm.append(-1 if ex.harmful is None else int(ex.harmful))
                jail.append(-1 if ex.jailbreak is None else int(ex.jailbreak))
    x = np.stack(rows).astype(np.float32)
    yh, yj = np.array(harm), np.array(jail)
    harm_head = fit_mlp(
        x[yh >= 0], yh[yh >= 0] == 1, settings.hidden, settings.epochs, settings.seed
    )
    jail_head = fit_mlp(
        x[yj >= 0], yj[yj >= 0] == 1, settings.hidden // 2, settings.epochs, settings.seed
    )
    return harm_head, jail_head


def train_static(settings: StaticSettings, progress: Callable[[str], None] = print) -> Choice:
    """Builds ``static.npz`` in the model folder and records ``fast_path`` in its model.json."""
    from sekimori.classify.prompt import load_encoder
    from sekimori.classify.train import corpus_settings_of, training_pool

    started = time.monotonic()
    np.random.seed(settings.seed)
    model = PromptModel.load(settings.model_dir)
    pool = training_pool(corpus_settings_of(model.meta))
    train = [e for e in pool.examples if e.split is Split.TRAIN]
    progress(f"training split: {len(train)} examples")
    tokenizer = e5_tokenizer()
    counts = build_vocab([v for e in train for v in views(e.text)], tokenizer)
    vocab = np.array(sorted(counts), np.int32)
    progress(f"vocabulary: {len(vocab)} tokens; distilling with the model's encoder")
    encoder = load_encoder(settings.model_dir, model.meta, threads=settings.threads)
    vectors = distil(encoder, vocab, counts, settings)
    placeholder = FastPathMeta(clear=0.0, combine="static", min_known=settings.min_known)
    empty = MLPHead(())

    def stage_of() -> StaticStage:
        return StaticStage(StaticModel(vocab, vectors, empty, empty), placeholder, tokenizer)

    progress(f"fitting heads ({time.monotonic() - started:.0f} s)")
    harm, jail = fit_heads(stage_of, train, settings)
    static = StaticModel(vocab, vectors, harm, jail)
    stage = StaticStage(static, placeholder, tokenizer)

    progress(
        f"choosing the clear point on the validation split ({time.monotonic() - started:.0f} s)"
    )
    items = validation_items(pool.examples)
    planner = PromptClassifier(model, _PlanOnly(model.meta.dim), fast_path=False)
    reaches = [reach_of(planner, stage, i.text) for i in items]
    best: Choice | None = None
    tried: dict[str, Any] = {}
    for how in COMBINES:
        tops = np.array([top_level(r, how, settings.min_known) for r in reaches])
        clear, figs = choose_clear(items, tops, settings.severe_loss)
        tried[how] = {"clear": clear, "ordinary_cleared": figs["ordinary_cleared"]["all"]}
        share = figs["ordinary_cleared"]["all"] or 0.0
        if best is None or share > (best.figures["ordinary_cleared"]["all"] or 0.0):
            best = Choice(how, clear, figs)
    assert best is not None
    validation = {
        **best.figures,
        "items": len(items),
        "combines_tried": tried,
        "vocabulary": len(vocab),
        "dims": settings.dims,
        "seed": settings.seed,
    }
    meta = FastPathMeta(
        clear=best.clear,
        combine=best.combine,
        min_known=settings.min_known,
        file=STATIC_FILE,
        enabled=settings.enable and best.clear > 0,
        validation=validation,
    )
    static.save(settings.model_dir / STATIC_FILE)
    write_meta_field(settings.model_dir, FIELD, meta.to_json())
    progress(f"wrote {settings.model_dir / STATIC_FILE} ({time.monotonic() - started:.0f} s)")
    return Choice(best.combine, best.clear, validation)
