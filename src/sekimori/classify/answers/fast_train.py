"""Building the answer judge's first stage (`fast.py`) beside the committed judge weights.

1. Vocabulary: every e5 token of the judge's training split (prompts and answers).
2. Distillation: each kept token alone through the judge's encoder (plain e5-small), PCA to
   ``dims``, SIF weights (`sekimori.classify.static_train.distil`).
3. Head: an MLP over the stage's features (`fast.pair_rows`) of the judge's training views
   (whole answers, their 64/128/256-token prefixes and the other layouts, as the judge sees
   them), labelled harmful or not; the judge's n-gram log-odds among them out of fold. With
   ``tune_epochs`` the token vectors are trained with the head (`fast_tune.py`).
4. The clear point, from out-of-fold predictions (5 folds grouped by prompt) on the training
   split only, of the level (the MLP's P(harmful), or with ``ngram_gate`` the higher of it
   and the judge's n-gram head's): the highest level (0.001 steps, or with ``fine_clear``
   log10 steps of 0.02) at which no whole harmful answer of the team's own sets and at most
   ``harm_loss`` of all harmful views would be cleared. Held-back answers (the judge's test split,
   `heldout_prose*.jsonl`) never influence anything here.

Rerun after every `sekimori train answers`: the stage reads the judge's harm n-gram head and
switches itself off when the judge's weights are not the ones it was built beside.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.answers.data import load_all, split
from sekimori.classify.answers.fast import (
    FAST_FILE,
    FastMeta,
    FastModel,
    extra_columns,
    feature_rows,
    pair_bags,
    write_meta,
)
from sekimori.classify.answers.fast_tune import TuneSettings, tune
from sekimori.classify.answers.model import MODEL_DIR, load_model
from sekimori.classify.answers.prefix import PREFIX_TOKENS
from sekimori.classify.answers.train import (
    FLOOR_SOURCES,
    SEED,
    View,
    _sklearn,
    ngram_matrix,
    relayout_views,
    views_of,
)
from sekimori.classify.heads import Dense, MLPHead, sigmoid
from sekimori.classify.static import TokenPool, e5_tokenizer
from sekimori.classify.static_train import StaticSettings, build_vocab, distil
from sekimori.errors import InputError


@dataclass(frozen=True, slots=True)
class FastSettings:
    folder: Path = MODEL_DIR
    dims: int = 128
    sif: float = 1e-3
    hidden: int = 128
    min_known: float = 0.9
    harm_loss: float = 0.005  # share of all harmful training views the stage may clear
    threads: int = 2
    enable: bool = True
    # Epochs of training the token vectors and head together (`fast_tune.py`) from the
    # distilled vectors; 0: vectors frozen, the head a scikit-learn MLP.
    tune_epochs: int = 0
    # level = max(MLP, judge's n-gram head) (the stages before issue 16); False: the MLP alone
    ngram_gate: bool = False
    # The clear point's candidates: steps of 0.02 in log10 from 1e-9 (a level that is the MLP's
    # alone is surest far under 0.001), or (False) 0.001 steps as before issue 16.
    fine_clear: bool = True
    # Start from the token vectors of this fast.npz (same judge encoder) instead of distilling.
    vectors_from: Path | None = None


@dataclass(frozen=True, slots=True)
class FastReport:
    clear: float
    figures: dict[str, Any]
    seconds: float


COARSE_GRID = np.round(np.arange(0.001, 1.0, 0.001), 3)
FINE_GRID = np.array([float(f"{c:.4g}") for c in 10 ** np.arange(-9.0, 0.0, 0.02)])


def choose_clear(
    oof: NDArray[np.float64],
    harmful: NDArray[np.bool_],
    must_keep: NDArray[np.bool_],
    harm_loss: float,
    grid: NDArray[np.float64] = COARSE_GRID,
) -> float:
    """The highest level of `grid` (ascending; default 0.001 steps) clearing no `must_keep`
    view and at most `harm_loss` of the harmful views; 0.0 when even the lowest fails (the
    stage then clears nothing)."""
    clear = 0.0
    allowed = harm_loss * int(harmful.sum())
    for c in grid:
        cleared = oof < c
        if (cleared & must_keep).any() or int((cleared & harmful).sum()) > allowed:
            break
        clear = float(c)
    return clear


def figures(
    views: Sequence[View], oof: NDArray[np.float64], clear: float, judge_threshold: float
) -> dict[str, Any]:
    """Out-of-fold shares cleared, by label, whole or prefix, and source group."""
    cleared = oof < clear
    harmful = np.array([v.example.harmful for v in views])
    whole = np.array([None in v.prefixes for v in views])
    own = np.array([v.example.source in FLOOR_SOURCES for v in views])

    def share(mask: NDArray[np.bool_]) -> dict[str, Any]:
        n = int(mask.sum())
        return {"cleared": round(float(cleared[mask].mean()), 4) if n else None, "n": n}

    return {
        "clear": clear,
        "judge_threshold": judge_threshold,
        "benign_whole": share(~harmful & whole),
        "benign_prefix": share(~harmful & ~whole),
        "benign_whole_own": share(~harmful & whole & own),
        "benign_whole_xstest": share(~harmful & whole & ~own),
        "harmful_whole_own": share(harmful & whole & own),
        "harmful_whole_xstest": share(harmful & whole & ~own),
        "harmful_prefix": share(harmful & ~whole),
        "harmful_all_cleared_count": int((cleared & harmful).sum()),
    }


def train_fast(
    settings: FastSettings, progress: Callable[[str], None] = print, shared: Path | None = None
) -> FastReport:
    """Builds ``fast.npz`` and ``fast.json`` next to the judge's weights in `settings.folder`."""
    import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
    from sekimori.classify.encoder import ENCODERS

    linear_model, model_selection, neural_network = _sklearn()
    started = time.monotonic()
    judge = load_model(settings.folder)
    train_ex = split(load_all(shared), "train")
    if not train_ex:
        raise InputError("no training examples (split == 'train')")
    views = views_of(train_ex, PREFIX_TOKENS) + relayout_views(train_ex)
    prompts = [v.example.prompt for v in views]
    answers = [v.answer for v in views]
    tokenizer = e5_tokenizer()
    if settings.vectors_from is not None:
        # The token vectors of an earlier build (the distillation is the slow step).
        earlier = FastModel.load(settings.vectors_from)
        vocab, vectors = earlier.vocab, earlier.vectors
        progress(f"{len(views)} training views; {len(vocab)} token vectors from an earlier build")
    else:
        counts = build_vocab([*set(prompts), *set(answers)], tokenizer)
        vocab = np.array(sorted(counts), np.int32)
        progress(f"{len(views)} training views; vocabulary {len(vocab)} tokens; distilling")
        encoder = ENCODERS.get(judge.encoder)(threads=settings.threads)
        settings_static = StaticSettings(dims=settings.dims, sif=settings.sif)
        vectors = distil(encoder, vocab, counts, settings_static)
    pool = TokenPool(vocab, vectors, tokenizer)
    bags, known = pair_bags(pool, prompts, answers)
    extra = extra_columns(judge, prompts, answers)
    y = np.array([v.example.harmful for v in views])
    groups = np.array(prompts)
    folds = model_selection.GroupKFold(n_splits=5)
    progress(f"features done ({time.monotonic() - started:.0f} s); out-of-fold predictions")
    with warnings.catch_warnings():
        # A fixed iteration budget keeps runs reproducible; an unconverged fit is still scored.
        warnings.simplefilter("ignore", category=UserWarning)
        # The judge's n-gram head saw these very answers, so its log-odds here are surer than
        # on answers it never saw: the head is refitted out of fold, as the judge chose its
        # blend, and the stage learns from (and its clear point is chosen on) those log-odds.
        oof_grams = model_selection.cross_val_predict(
            linear_model.LogisticRegression(
                C=float(judge.meta.get("c_ngram", 10.0)), max_iter=2000, random_state=SEED
            ),
            ngram_matrix(answers),
            y,
            groups=groups,
            cv=folds,
            method="decision_function",
        ).astype(np.float32)
        extra[:, -1] = oof_grams
        x = feature_rows(bags, extra, pool.vectors)
        mean = x.mean(axis=0)
        scale = x.std(axis=0) + np.float32(1e-6)
        if settings.tune_epochs > 0:
            tuning = TuneSettings(epochs=settings.tune_epochs, hidden=settings.hidden, seed=SEED)
            oof_mlp = np.zeros(len(views))
            for k, (fit_at, held_at) in enumerate(folds.split(x, y, groups)):
                fold_vectors, fold_head = tune(
                    bags, extra, y, pool.vectors, mean, scale, tuning, fit_at.astype(np.int64)
                )
                rows = feature_rows(bags.subset(held_at), extra[held_at], fold_vectors)
                oof_mlp[held_at] = sigmoid(fold_head.logits((rows - mean) / scale))[:, 0]
                progress(f"fold {k + 1} of 5 tuned ({time.monotonic() - started:.0f} s)")
            tuned_vectors, head = tune(bags, extra, y, pool.vectors, mean, scale, tuning)
            vectors = tuned_vectors.astype(np.float16)
        else:
            xs = ((x - mean) / scale).astype(np.float32)

            def mlp() -> Any:
                return neural_network.MLPClassifier(
                    hidden_layer_sizes=(settings.hidden,),
                    alpha=1e-3,
                    max_iter=200,
                    random_state=SEED,
                )

            oof_mlp = model_selection.cross_val_predict(
                mlp(), xs, y, groups=groups, cv=folds, method="predict_proba"
            )[:, 1]
            progress(f"out of fold done ({time.monotonic() - started:.0f} s); fitting the head")
            fitted = mlp().fit(xs, y)
            head = MLPHead(
                tuple(
                    Dense(np.asarray(w, np.float32), np.asarray(b, np.float32))
                    for w, b in zip(fitted.coefs_, fitted.intercepts_, strict=True)
                )
            )
    oof = oof_mlp.astype(np.float64)
    if settings.ngram_gate:
        oof = np.maximum(oof, sigmoid(oof_grams))
    # A pair with too few known tokens is never cleared, in choosing as in serving.
    oof = np.where(known >= settings.min_known, oof, np.inf)
    whole = np.array([None in v.prefixes for v in views])
    own = np.array([v.example.source in FLOOR_SOURCES for v in views])
    grid = FINE_GRID if settings.fine_clear else COARSE_GRID
    clear = choose_clear(oof, y, y & whole & own, settings.harm_loss, grid)
    figs = figures(views, oof, clear, judge.threshold)
    model = FastModel(vocab, vectors, mean.astype(np.float32), scale.astype(np.float32), head)
    digest = model.save(settings.folder / FAST_FILE)
    meta = FastMeta(
        clear=clear,
        min_known=settings.min_known,
        judge_sha256=str(judge.meta["sha256"]),
        sha256=digest,
        enabled=settings.enable and clear > 0,
        ngram_gate=settings.ngram_gate,
        validation={
            **figs,
            "views": len(views),
            "vocabulary": len(vocab),
            "dims": settings.dims,
            "hidden": settings.hidden,
            "harm_loss": settings.harm_loss,
            "tune_epochs": settings.tune_epochs,
            "fine_clear": settings.fine_clear,
            "vectors_from_earlier_build": settings.vectors_from is not None,
            "seed": SEED,
        },
    )
    write_meta(settings.folder, meta)
    seconds = time.monotonic() - started
    progress(f"wrote {settings.folder / FAST_FILE} ({seconds:.0f} s)")
    return FastReport(clear, figs, seconds)
