"""Training the prompt classifier: reproducible from a seed, on 2 CPU cores, in minutes.

Pipeline: load the training pool (`corpus`), drop anything equal to an evaluation-only item
(`leak`), embed every segment once (cached on disk), fit the char n-gram logistic models and
three MLP heads (harm, categories multi-label, jailbreak) on the train split, then choose the
blend weight, the harm threshold and the first-stage gate on the validation split only.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import CorpusSettings, Example, Split, load_corpus
from sekimori.classify.embedcache import CachedEncoder, EmbeddingCache
from sekimori.classify.encoder import ENCODERS, Encoder
from sekimori.classify.finetune import FinetuneSettings, TuningRows, finetune
from sekimori.classify.heads import Dense, MLPHead
from sekimori.classify.leak import eval_keys, leak_key
from sekimori.classify.ngrams import hashed_ngrams
from sekimori.classify.prompt import (
    DEFAULT_MODEL_DIR,
    PromptClassifier,
    PromptModel,
    PromptModelMeta,
    segments,
    views,
)
from sekimori.errors import ConfigError, ModelError
from sekimori.paths import shared_data_dir
from sekimori.taxonomy import CATEGORY_IDS

# Benign sources of ordinary assistant traffic (the false-alarm constraint is measured on them).
ORDINARY_SOURCES = frozenset({"dolly", "oasst1", "deepset"})
# The team's everyday prompts (data/prompts/ordinary_more.jsonl, ids team.ord.*): long technical,
# format-constrained and creative requests, closer to real assistant traffic than Dolly's; and the
# realistic validation-only pool (data/prompts/validation/realistic_<lang>.jsonl, ids team.rv.*).
ORDINARY_TEAM_GROUP = ("team:team.ord.", "team:team.rv.")


def is_ordinary(example: Example) -> bool:
    """Ordinary assistant traffic: the threshold holds false alarms on it at `ordinary_fpr`."""
    return example.source in ORDINARY_SOURCES or example.group.startswith(ORDINARY_TEAM_GROUP)


# The built-in encoder the committed heads sit on, and the file of its fine-tuning delta.
DEFAULT_ENCODER = "e5-small"
DELTA_FILE = "encoder_delta.npz"
FINETUNE_ROWS = 12000
# The char n-gram models' inverse regularisation (liblinear, balanced classes).
NGRAM_C = 8.0


@dataclass(frozen=True, slots=True)
class TrainSettings:
    encoder: str
    seed: int = 13
    buckets: int = 1 << 18
    segment_chars: int = 1200
    hidden: int = 256
    epochs: int = 40
    # The category and jailbreak heads learn easier boundaries: smaller and shorter.
    side_hidden: int = 128
    side_epochs: int = 30
    dolly_rows: int = 3500
    # Ordinary prompts must pass: the threshold keeps false alarms on the ordinary benign
    # validation prompts (Dolly, oasst1, deepset benign) at or under this rate.
    ordinary_fpr: float = 0.01
    jailbreak_rows: int = 320
    # Train on the red-team sets too (CatQA, DangerousQA, MultiJail, ToxiGen seeds).
    red_team_sets: bool = True
    # The in-the-wild prompts the team read as no jailbreak, labelled so (`corpus.not_jailbreaks`).
    jailbreak_labels: bool = True
    # The first stage may skip at most this share of the harmful validation items (a share of
    # all of them, caught or not: n-gram scores are less sure out of distribution).
    gate_recall_loss: float = 0.0
    # The cascade's band may send at most this share of the validation prompts to the judge.
    judge_share: float = 0.10
    output: Path = DEFAULT_MODEL_DIR
    # Fine-tune the encoder's top layers before fitting the heads (None: keep it frozen).
    finetune: FinetuneSettings | None = field(default_factory=FinetuneSettings)
    # At most this many texts tune the encoder: every non-ordinary one, ordinary ones sampled.
    finetune_rows: int = FINETUNE_ROWS
    # An encoder delta already tuned (a model's encoder_delta.npz) to fit the heads on instead
    # of tuning one: the heads learn new data at a fraction of the cost (needs finetune None).
    delta: Path | None = None
    # Encoder threads while embedding the pool (inference runs one; the vectors are the same).
    threads: int = 2


@dataclass(frozen=True, slots=True)
class TrainingPool:
    examples: list[Example]
    dropped_as_eval: int


@dataclass(frozen=True, slots=True)
class TrainReport:
    output: Path
    examples: dict[str, int]
    threshold: float
    blend: float
    gate: float
    validation: dict[str, Any]


# What `sekimori train classifier` says when it replaces heads that had a first-stage n-gram set:
# `train` writes heads without one (the first stage then reads the new n-gram weights).
STAGE_NGRAM_DROPPED = (
    "warning: {output} held a first-stage n-gram weight set (stage_ngram_weight); the new "
    "heads.npz has none, so the first stage now reads the new n-gram weights. To refit it: "
    "sekimori train stage-ngram --model {output}, then sekimori train static --model {output} "
    "(or --points-only) / 警告: {output} の第一段専用の n-gram 重み（stage_ngram_weight）は新しい "
    "heads.npz に含まれず、第一段は新しい n-gram 重みを読みます。学習し直すには "
    "sekimori train stage-ngram --model {output} の後に sekimori train static --model {output}"
    "（または --points-only）を実行してください"
)


def training_pool(settings: CorpusSettings, root: Path | None = None) -> TrainingPool:
    """The training pool with every item equal to an evaluation-only text removed."""
    root = root or shared_data_dir()
    keys = eval_keys(root)
    examples: list[Example] = []
    dropped = 0
    for ex in load_corpus(settings, root=root):
        if leak_key(ex.text) in keys:
            dropped += 1
        else:
            examples.append(ex)
    return TrainingPool(examples, dropped)


def corpus_settings_of(meta: PromptModelMeta) -> CorpusSettings:
    """The corpus settings a model was trained with (to rebuild its pool and held-out split)."""
    return CorpusSettings.recorded(meta.data, meta.seed)


def _sklearn() -> Any:
    try:
        import sklearn.exceptions
        import sklearn.linear_model
        import sklearn.neural_network
    except ImportError as exc:
        raise ModelError(
            "training needs scikit-learn: pip install 'sekimori[train]' / "
            "学習には scikit-learn が必要です"
        ) from exc
    return sklearn


def ngram_matrix(texts: Sequence[str], buckets: int, max_n: int = 4) -> Any:
    """A scipy CSR matrix of the texts' hashed char n-grams (`ngrams.hashed_ngrams`)."""
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    indptr = [0]
    indices: list[NDArray[np.int64]] = []
    values: list[NDArray[np.float32]] = []
    for text in texts:
        row = hashed_ngrams(text, buckets=buckets, max_n=max_n)
        indices.append(row.index)
        values.append(row.value)
        indptr.append(indptr[-1] + len(row.index))
    return csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.asarray(indptr)),
        shape=(len(texts), buckets),
    )


def fit_ngram(
    xn: Any, targets: Sequence[tuple[Sequence[int] | NDArray[np.int64], NDArray[Any]]], c: float
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The char n-gram logistic models, one column per target (``(rows, labels)``: the labels
    of those rows of ``xn`` are read): liblinear, inverse regularisation ``c``, balanced."""
    sk = _sklearn()
    weight = np.zeros((xn.shape[1], len(targets)), np.float32)
    bias = np.zeros(len(targets), np.float32)
    for col, (idx, y) in enumerate(targets):
        lr = sk.linear_model.LogisticRegression(C=c, solver="liblinear", class_weight="balanced")
        lr.fit(xn[idx], y[idx])
        weight[:, col] = lr.coef_[0]
        bias[col] = lr.intercept_[0]
    return weight, bias


def choose_gate(
    ngram: NDArray[np.floating[Any]], harmful: NDArray[np.bool_], upper: float, recall_loss: float
) -> float:
    """The first stage's n-gram gate: the largest level on a 0.01 grid under ``upper`` such that
    skipping the encoder for items with both n-gram levels (``ngram``: harm, jailbreak) under it
    drops at most ``recall_loss`` of the ``harmful`` items."""
    gate = 0.0
    for g in np.round(np.arange(0.01, upper, 0.01), 2):
        skipped_harm = harmful & (ngram[:, 0] < g) & (ngram[:, 1] < g)
        if skipped_harm.sum() > recall_loss * max(1, harmful.sum()):
            break
        gate = float(g)
    return gate


def fit_mlp(
    x: NDArray[np.float32], y: NDArray[Any], hidden: int, epochs: int, seed: int
) -> MLPHead:
    import warnings

    sk = _sklearn()
    mlp = sk.neural_network.MLPClassifier(
        hidden_layer_sizes=(hidden,),
        alpha=1e-3,
        batch_size=128,
        learning_rate_init=1e-3,
        max_iter=epochs,
        early_stopping=False,
        random_state=seed,
        tol=1e-5,
        n_iter_no_change=8,
    )
    with warnings.catch_warnings():
        # A fixed epoch budget (for the time limit) is the point, not a failure to converge.
        warnings.simplefilter("ignore", sk.exceptions.ConvergenceWarning)
        mlp.fit(x, y)
    return MLPHead(
        tuple(
            Dense(np.asarray(w, np.float32), np.asarray(b, np.float32))
            for w, b in zip(mlp.coefs_, mlp.intercepts_, strict=True)
        )
    )


@dataclass(frozen=True, slots=True)
class _Rows:
    """Training rows: one per encoder segment of each view of each example."""

    examples: list[Example]
    texts: list[str]
    owner: NDArray[np.int64]


def _rows(examples: list[Example], segment_chars: int) -> _Rows:
    texts: list[str] = []
    owner: list[int] = []
    for i, ex in enumerate(examples):
        for v in views(ex.text):
            for s in segments(v, segment_chars):
                texts.append(s)
                owner.append(i)
    return _Rows(examples, texts, np.asarray(owner, np.int64))


def _f1(y: NDArray[np.bool_], pred: NDArray[np.bool_]) -> float:
    tp = float(np.sum(y & pred))
    fp = float(np.sum(~y & pred))
    fn = float(np.sum(y & ~pred))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def data_fingerprint(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(f"{ex.source}\t{ex.harmful}\t{ex.jailbreak}\t{','.join(ex.categories)}\t".encode())
        h.update(ex.text.encode())
    return h.hexdigest()


def train(settings: TrainSettings, progress: Callable[[str], None] = print) -> TrainReport:
    if settings.finetune is not None and settings.delta is not None:
        raise ConfigError("tune the encoder or reuse a delta, not both")
    np.random.seed(settings.seed)
    _sklearn()  # stop before any work without scikit-learn
    pool = training_pool(
        CorpusSettings(
            dolly_rows=settings.dolly_rows,
            jailbreak_rows=settings.jailbreak_rows,
            seed=settings.seed,
            red_team_sets=settings.red_team_sets,
            jailbreak_labels=settings.jailbreak_labels,
        )
    )
    by_split = {s: [e for e in pool.examples if e.split is s] for s in Split}
    sizes = ", ".join(f"{s}: {len(v)}" for s, v in by_split.items())
    progress(
        f"examples: {len(pool.examples)} ({sizes}); "
        f"dropped as evaluation items: {pool.dropped_as_eval}"
    )
    import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)

    train_ex = by_split[Split.TRAIN]
    delta_name: str | None = None
    options: dict[str, Any] = {}
    if settings.finetune is not None:
        delta_name = DELTA_FILE
        tuning = tuning_rows(train_ex, settings.finetune_rows, settings.seed)
        finetune(tuning, settings.finetune, settings.output / delta_name, progress)
        options["delta"] = settings.output / delta_name
    elif settings.delta is not None:
        delta_name = DELTA_FILE
        target = settings.output / delta_name
        if settings.delta.resolve() != target.resolve():
            settings.output.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(settings.delta, target)
        progress(f"encoder delta reused from {settings.delta}")
        options["delta"] = target
    encoder: Encoder = ENCODERS.get(settings.encoder)(threads=settings.threads, **options)
    cache = EmbeddingCache(encoder)
    cached = CachedEncoder(cache)

    rows = _rows(train_ex, settings.segment_chars)
    progress(f"embedding {len(rows.texts)} segments with {encoder.name} (cache: {len(cache)})")
    x = cache.embed(rows.texts)

    harm_idx = [i for i, e in enumerate(train_ex) if e.harmful is not None]
    jail_idx = [i for i, e in enumerate(train_ex) if e.jailbreak is not None]
    cat_idx = [i for i, e in enumerate(train_ex) if e.harmful is False or e.categories]

    def select(idx: list[int]) -> NDArray[np.bool_]:
        keep = np.zeros(len(train_ex), bool)
        keep[idx] = True
        mask: NDArray[np.bool_] = keep[rows.owner]
        return mask

    progress("fitting char n-gram models")
    xn = ngram_matrix([e.text for e in train_ex], settings.buckets)
    harm_y = np.array([bool(e.harmful) for e in train_ex])
    jail_y = np.array([bool(e.jailbreak) for e in train_ex])
    ngram_w, ngram_b = fit_ngram(xn, [(harm_idx, harm_y), (jail_idx, jail_y)], NGRAM_C)

    progress("fitting MLP heads")
    owner_ex = [train_ex[i] for i in rows.owner]

    def labels(mask: NDArray[np.bool_], field: str) -> NDArray[np.bool_]:
        return np.array([bool(getattr(e, field)) for e, k in zip(owner_ex, mask, strict=True) if k])

    m = select(harm_idx)
    harm = fit_mlp(x[m], labels(m, "harmful"), settings.hidden, settings.epochs, settings.seed)
    m = select(jail_idx)
    jail = fit_mlp(
        x[m], labels(m, "jailbreak"), settings.side_hidden, settings.side_epochs, settings.seed
    )
    m = select(cat_idx)
    ycat = np.array(
        [[c in e.categories for c in CATEGORY_IDS] for e, k in zip(owner_ex, m, strict=True) if k],
        np.int64,
    )
    cat = fit_mlp(x[m], ycat, settings.side_hidden, settings.side_epochs, settings.seed)

    meta = PromptModelMeta(
        encoder=settings.encoder,
        encoder_delta=delta_name,
        dim=encoder.dim,
        buckets=settings.buckets,
        segment_chars=settings.segment_chars,
        threshold=0.5,
        blend=1.0,
        gate=0.0,
        seed=settings.seed,
    )
    model = PromptModel(meta, harm, cat, jail, ngram_w.astype(np.float16), ngram_b)
    progress("choosing blend, threshold and gate on the validation split")
    chosen = _choose(model, cached, by_split[Split.VALIDATION], settings)
    counts = Counter(f"{e.source}/{e.lang}/{e.split}" for e in pool.examples)
    final = PromptModel(
        PromptModelMeta(
            encoder=settings.encoder,
            encoder_delta=delta_name,
            dim=encoder.dim,
            buckets=settings.buckets,
            segment_chars=settings.segment_chars,
            threshold=chosen.threshold,
            blend=chosen.blend,
            gate=chosen.gate,
            seed=settings.seed,
            data={
                "fingerprint": data_fingerprint(pool.examples),
                "dropped_as_eval_items": pool.dropped_as_eval,
                "dolly_rows": settings.dolly_rows,
                "jailbreak_rows": settings.jailbreak_rows,
                "red_team_sets": settings.red_team_sets,
                "jailbreak_labels": settings.jailbreak_labels,
                "counts": dict(sorted(counts.items())),
            },
            validation=chosen.validation,
            band=chosen.band,
        ),
        harm,
        cat,
        jail,
        ngram_w.astype(np.float16),
        ngram_b,
    )
    final.save(settings.output)
    # The tiers' hold and sure points belong to these heads: chosen now, on the same validation
    # split, by the classifier as deployed (read back from disk with its encoder delta).
    progress("choosing operating points per tier on the validation split")
    from sekimori.classify.operating import choose_points, score_items, write_points

    deployed = PromptClassifier.load(settings.output)
    write_points(settings.output, choose_points(score_items(deployed, pool.examples)))
    progress(f"wrote {settings.output}")
    return TrainReport(
        settings.output,
        {s.value: len(v) for s, v in by_split.items()},
        chosen.threshold,
        chosen.blend,
        chosen.gate,
        chosen.validation,
    )


def tuning_rows(examples: Sequence[Example], limit: int, seed: int) -> TuningRows:
    """The texts that tune the encoder, with harm, jailbreak and category targets (-1: unknown).

    Every example outside the ordinary sources is kept (they carry the contrasts); ordinary
    prompts fill the rest, sampled with the seed."""
    rng = np.random.default_rng(seed)
    special = [e for e in examples if e.source not in ORDINARY_SOURCES]
    ordinary = [e for e in examples if e.source in ORDINARY_SOURCES]
    room = max(0, limit - len(special))
    picked = sorted(rng.permutation(len(ordinary))[:room].tolist())
    chosen = [*special, *(ordinary[i] for i in picked)]
    texts: list[str] = []
    harm: list[float] = []
    jail: list[float] = []
    cats: list[list[float]] = []
    for ex in chosen:
        known_cats = ex.harmful is False or bool(ex.categories)
        for view in views(ex.text):
            texts.append(view)
            harm.append(-1.0 if ex.harmful is None else float(ex.harmful))
            jail.append(-1.0 if ex.jailbreak is None else float(ex.jailbreak))
            cats.append(
                [float(c in ex.categories) for c in CATEGORY_IDS]
                if known_cats
                else [-1.0] * len(CATEGORY_IDS)
            )
    return TuningRows(
        texts,
        np.asarray(harm, np.float32),
        np.asarray(cats, np.float32).reshape(len(texts), len(CATEGORY_IDS)),
        np.asarray(jail, np.float32),
    )


@dataclass(frozen=True, slots=True)
class _Choice:
    threshold: float
    blend: float
    gate: float
    validation: dict[str, Any]
    band: tuple[float, float]


def choose_band(
    score: NDArray[np.floating[Any]],
    mistaken: NDArray[np.bool_],
    threshold: float,
    share: float,
) -> tuple[float, float]:
    """The band [low, high) around ``threshold`` that holds the most ``mistaken`` items while
    holding at most ``share`` of all items (ties: the narrower band). A 0.01 grid."""
    grid = np.round(np.arange(0.0, 1.001, 0.01), 2)
    lows = grid[grid <= threshold]
    highs = grid[grid > threshold]
    above_low = score[None, :] >= lows[:, None]  # (lows, items)
    below_high = score[None, :] < highs[:, None]  # (highs, items)
    inside = above_low[:, None, :] & below_high[None, :, :]  # (lows, highs, items)
    held = inside.mean(axis=2)
    caught = (inside & mistaken[None, None, :]).sum(axis=2)
    width = highs[None, :] - lows[:, None]
    # Best: most mistakes caught, then the smallest width; bands over the share never win.
    rank = np.where(held <= share, caught * 10.0 - width, -np.inf)
    i, j = np.unravel_index(int(np.argmax(rank)), rank.shape)
    return float(lows[i]), float(highs[j])


def choose_threshold(
    mlp: NDArray[np.floating[Any]],
    ngram: NDArray[np.floating[Any]],
    harmful: NDArray[np.bool_],
    ordinary: NDArray[np.bool_],
    limit: float,
) -> tuple[float, float]:
    """(threshold, blend) with the best F1 among those that flag at most ``limit`` of the
    ``ordinary`` items; the score is blend × mlp + (1 − blend) × ngram. Should none hold the
    limit: the fewest false alarms, then the best F1."""
    best = (-1.0, 0.5, 1.0)
    fallback = (np.inf, -1.0, 0.95, 1.0)
    for blend in np.round(np.arange(0.3, 1.01, 0.1), 2):
        score = blend * mlp + (1 - blend) * ngram
        for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
            fpr = float(np.mean(score[ordinary] >= t))
            f1 = _f1(harmful, score >= t)
            if (fpr, -f1) < fallback[:2]:
                fallback = (fpr, -f1, float(t), float(blend))
            if fpr <= limit and f1 > best[0] + 1e-9:
                best = (f1, float(t), float(blend))
    return (best[1], best[2]) if best[0] >= 0 else (fallback[2], fallback[3])


def _choose(
    model: PromptModel, encoder: Encoder, val: list[Example], settings: TrainSettings
) -> _Choice:
    labelled = [e for e in val if e.harmful is not None]
    y = np.array([bool(e.harmful) for e in labelled])
    ordinary = np.array([is_ordinary(e) for e in labelled]) & ~y
    clf = PromptClassifier(model, encoder)
    texts = [e.text for e in labelled]
    ngram = np.array([np.max([clf.ngram_probs(v) for v in views(t)], axis=0) for t in texts])
    ungated = clf.scores_batch(texts)  # gate 0: every text reaches the encoder
    # Recover the MLP part from the blend-1.0 scores (the model above has blend 1.0).
    mlp = np.array([s.harm for s in ungated])
    threshold, blend = choose_threshold(mlp, ngram[:, 0], y, ordinary, settings.ordinary_fpr)
    score = blend * mlp + (1 - blend) * ngram[:, 0]
    pred = score >= threshold
    # Gate: the largest n-gram level under which skipping the encoder drops at most the allowed
    # share of the harmful validation items.
    gate = choose_gate(ngram, y, min(0.5, threshold), settings.gate_recall_loss)
    gated = (ngram[:, 0] < gate) & (ngram[:, 1] < gate)
    skipped = float(np.mean(gated))
    final_pred = pred & ~gated
    langs = np.array([e.lang for e in labelled])
    validation: dict[str, Any] = {
        "items": len(labelled),
        "f1": round(_f1(y, final_pred), 4),
        "f1_en": round(_f1(y[langs == "en"], final_pred[langs == "en"]), 4),
        "f1_ja": round(_f1(y[langs == "ja"], final_pred[langs == "ja"]), 4),
        "share_skipping_encoder": round(skipped, 4),
        "ordinary_items": int(ordinary.sum()),
        "ordinary_false_alarms": round(float(np.mean(final_pred[ordinary])), 4),
    }
    # The cascade's band, on the scores as deployed (a gated text scores its n-gram level).
    deployed = np.where(gated, ngram[:, 0], score)
    mistaken = final_pred != y
    band = choose_band(deployed, mistaken, threshold, settings.judge_share)
    in_band = (deployed >= band[0]) & (deployed < band[1])
    validation["band_share"] = round(float(np.mean(in_band)), 4)
    validation["band_mistakes"] = (
        round(float(np.mean(in_band[mistaken])), 4) if mistaken.any() else None
    )
    return _Choice(threshold, blend, gate, validation, band)
