"""Training the answer judges (scikit-learn at training time only; inference is numpy).

Every training answer is seen whole and as its 64-, 128- and 256-token prefixes, each view with
the label of the whole answer, because the gateway judges streams. Each answer is also seen
whole in its other layout (a list as one paragraph, prose as a numbered list; `layouts.py`),
harmful and harmless alike, so that layout carries no label. Embeddings are cached by text
under `.sekimori/cache/` so retraining and evaluation do not re-encode.
The weight of the n-gram harm head in the harm blend and the harm threshold are the pair that
maximises F1 on out-of-fold predictions (5 folds grouped by prompt) over training data only;
the threshold is then lowered where needed until out-of-fold recall on our own whole harmful
answers reaches RECALL_FLOOR (the gateway holds answers on this judge, so a missed harmful
answer costs more than a false alarm), but only if out-of-fold false-harmful on whole benign
training answers stays at or below BENIGN_FP_CAP there; otherwise the F1-best threshold stands
(a judge that withholds ordinary answers breaks the product). The weight of the n-gram refusal
head in the refusal blend and the bias on `partial` are the pair that maximises out-of-fold
refusal accuracy on whole training answers. Held-back answers never influence the weights, the
threshold, the blends or the bias.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.answers.data import AnswerExample, split, training_text
from sekimori.classify.answers.layouts import other_layout
from sekimori.classify.answers.model import (
    NGRAM_BUCKETS,
    NGRAM_MAX_N,
    OPENING_TOKENS,
    REFUSAL_LABELS,
    AnswerModel,
    Head,
    blend_harm,
    blend_refusal,
    pair_features,
)
from sekimori.classify.answers.prefix import PREFIX_TOKENS, take_tokens
from sekimori.classify.answers.views import prose_view
from sekimori.classify.encoder import Encoder
from sekimori.errors import ConfigError, InputError
from sekimori.screen import JUDGE_PROMPT_CHARS
from sekimori.types import RefusalLabel

SEED = 20261128
# The encoder the committed heads are trained on (registered by sekimori.classify.encoders).
DEFAULT_ENCODER = "e5-small"
# Out-of-fold recall on whole harmful training answers that the harm threshold must reach.
RECALL_FLOOR = 0.95
# Sources whose harmful labels the recall floor is computed on: ours, written as harmful. XSTest's
# harm labels are derived (unsafe prompt + full compliance) and include "I have no access to that"
# answers; a floor over them pulled the threshold to 0.10 in a first run (model card).
FLOOR_SOURCES = ("sekimori", "sekimori-prose", "sekimori-formats", "sekimori-layouts")
# Out-of-fold false-harmful share on whole benign training answers (all sources) that the recall
# floor may cost; above it the F1-best threshold is kept (rule of 2026-12-05, issue 15).
BENIGN_FP_CAP = 0.02
# Own sources written as hard twins (a harmful answer beside a harmless one to the same request in
# the same layout), outside the recall floor; `train(cap_excludes=TWIN_SOURCES)` leaves their
# harmless rows out of the benign cap too, as their harmful rows are left out of the floor
# (round 14, issue 15: off by default).
TWIN_SOURCES = (
    "sekimori-framed",
    "sekimori-mail-tables",
    "sekimori-structured",
    "sekimori-lookalikes",
    "sekimori-handwritten-r18-twins",
)
# Content-free user turns that `train(prompt_substitution=...)` shows some views under instead of
# their prompts (round 17, issue 15): after "go on" the gateway's judge reads the answer with a
# prompt that names nothing, and the heads must judge the answer alone there. Written by hand, by
# the answer's language; the continuation turns the judge is validated and judged after
# (bench/answers/round16.py TURNS, the bench's CONTINUE) are deliberately not among them.
SUBSTITUTE_TURNS: dict[str, tuple[str, ...]] = {
    "en": (
        "go on",
        "Go on.",
        "continue",
        "Continue.",
        "Please continue.",
        "Can you continue?",
        "Carry on.",
        "Don't stop.",
        "and then?",
        "And then what?",
        "What's next?",
        "Next.",
        "next step?",
        "more",
        "Tell me more.",
        "Keep it coming.",
        "Finish it.",
        "The rest?",
        "ok",
        "OK, go ahead.",
        "yes",
        "Yes please.",
        "Thanks.",
        "thank you!",
        "cool",
        "...",
        "?",
        "",
    ),
    "ja": (
        "続けて",
        "続けて。",
        "続きを",
        "続きをお願い",
        "続き",
        "続けてもらえますか？",
        "先をお願いします。",
        "それで？",
        "それから？",
        "で、次は？",
        "次は？",
        "次",
        "もっと",
        "もっと教えて",
        "最後まで",
        "残りは？",
        "はい",
        "うん",
        "お願いします",
        "どうぞ",
        "ありがとう",
        "ありがとうございます。",
        "なるほど",
        "ok",
        "OK",
        "…",
        "？",
        "",
    ),
}
CACHE_DIR = Path(__file__).resolve().parents[4] / ".sekimori" / "cache"
Array = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class View:
    """One (prompt, answer-or-prefix) pair shown to the heads, with its example's labels."""

    example: AnswerExample
    # the prefix lengths this text stands for (None: whole); () for a whole answer in its other
    # layout (not counted as the whole answer)
    prefixes: tuple[int | None, ...]
    answer: str
    # the user turn shown instead of the example's prompt (prompt substitution), if any
    turn: str | None = None

    @property
    def prompt(self) -> str:
        """The prompt the heads read this view under."""
        return self.example.prompt if self.turn is None else self.turn


def substitute_prompts(views: Sequence[View], share: float) -> list[View]:
    """`views` with about `share` of them (harmful and harmless alike, fixed by a hash of the
    example and the view's text, so reruns agree) read under a content-free turn of
    SUBSTITUTE_TURNS in the example's language instead of their prompt. Their example and labels
    stay, so cross-validation still groups them by the example's prompt."""
    if share <= 0.0:
        return list(views)
    out = []
    for v in views:
        key = f"{SEED}\0{v.example.source}\0{v.example.id}\0{v.answer}"
        digest = hashlib.sha256(key.encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 < share:
            turns = SUBSTITUTE_TURNS["ja" if v.example.lang == "ja" else "en"]
            v = replace(v, turn=turns[int.from_bytes(digest[8:12], "big") % len(turns)])
        out.append(v)
    return out


@dataclass(frozen=True, slots=True)
class TrainReport:
    views: int
    examples: int
    threshold: float
    oof_f1: float
    oof_refusal_accuracy: float
    folder: Path


def views_of(examples: Sequence[AnswerExample], prefixes: Sequence[int | None]) -> list[View]:
    """Each example at each prefix length, skipping prefixes that already are the whole answer."""
    out: list[View] = []
    for ex in examples:
        lengths: dict[str, list[int | None]] = {}
        for n in prefixes:
            lengths.setdefault(take_tokens(training_text(ex.answer), n), []).append(n)
        out.extend(View(ex, tuple(ns), text) for text, ns in lengths.items())
    return out


def relayout_views(examples: Sequence[AnswerExample]) -> list[View]:
    """Each training answer, whole, in its other layout (list <-> paragraph) where it has one."""
    return _rendered_views(examples, other_layout)


def prose_training_views(examples: Sequence[AnswerExample]) -> list[View]:
    """Each training answer that `views.prose_view` finds structured (JSON, YAML, tables, CSV,
    code comments...), whole, rendered as plain sentences, with the answer's labels."""
    return _rendered_views(examples, prose_view)


def _rendered_views(
    examples: Sequence[AnswerExample], render: Callable[[str], str | None]
) -> list[View]:
    out = []
    for ex in examples:
        text = render(training_text(ex.answer))
        if text is not None:
            out.append(View(ex, (), text))
    return out


def training_views(examples: Sequence[AnswerExample], *, prose_views: bool = False) -> list[View]:
    """The views `train` fits on: prefixes, the other layout, and (option) the prose views."""
    views = views_of(examples, PREFIX_TOKENS) + relayout_views(examples)
    return views + prose_training_views(examples) if prose_views else views


class EmbeddingCache:
    """Embeddings by sha256 of the text, for one encoder build, persisted as one .npz file.

    By default texts are encoded 64 to a call. With `alone`, each text is encoded in a call of
    its own, as the gateway's judge encodes a (prompt, answer) pair: the int8 encoder quantises
    activations per call, so the same text differs between the two (up to ~0.05 a component).
    The two kinds live in different files (`-alone` in the name) and are never mixed."""

    def __init__(self, encoder: Encoder, folder: Path = CACHE_DIR, *, alone: bool = False) -> None:
        self.encoder = encoder
        self.alone = alone
        # The name alone would survive a rebuilt graph; a probe embedding's digest does not.
        probe = encoder.encode(["sekimori answer-judge cache probe"]).astype(np.float32)
        digest = hashlib.sha256(probe.tobytes()).hexdigest()[:12]
        suffix = "-alone" if alone else ""
        self.path = folder / f"answers-{encoder.name}-{digest}{suffix}.npz"
        self._rows: dict[str, Array] = {}
        if self.path.is_file():
            with np.load(self.path) as npz:
                for key, row in zip(npz["keys"], npz["rows"], strict=True):
                    self._rows[str(key)] = row

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def embed(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> Array:
        missing = sorted({t for t in texts if self.key(t) not in self._rows}, key=len)
        step = 1 if self.alone else 64
        saves = 1280 // step  # calls between saves
        for start in range(0, len(missing), step):
            batch = missing[start : start + step]
            for text, row in zip(batch, self.encoder.encode(batch), strict=True):
                self._rows[self.key(text)] = np.asarray(row, dtype=np.float32)
            if progress and ((start + step) % 64 == 0 or start + step >= len(missing)):
                progress(min(start + step, len(missing)), len(missing))
            if (start // step) % saves == saves - 1:
                self.save()
        if missing:
            self.save()
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.stack([self._rows[self.key(t)] for t in texts]).astype(np.float32)

    def add(self, other: Path) -> int:
        """Rows of another cache file of the same kind (e.g. built by parallel workers) that
        this one lacks; how many were added."""
        added = 0
        with np.load(other) as npz:
            for key, row in zip(npz["keys"], npz["rows"], strict=True):
                if str(key) not in self._rows:
                    self._rows[str(key)] = row
                    added += 1
        return added

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.asarray(list(self._rows))
        rows = np.stack(list(self._rows.values()))
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, rows=rows)
        tmp.replace(self.path)


def read_prompts(views: Sequence[View], prompt_chars: int | None = None) -> list[str]:
    """The prompts the heads read `views` under: whole, or (`prompt_chars`) their last
    characters, as the gateway reads the last user turn (`JUDGE_PROMPT_CHARS`)."""
    return [v.prompt if prompt_chars is None else v.prompt[-prompt_chars:] for v in views]


def texts_of(views: Sequence[View], prompt_chars: int | None = None) -> list[str]:
    """Every text the features of `views` need embedded."""
    return [
        *read_prompts(views, prompt_chars),
        *(v.answer for v in views),
        *(take_tokens(v.answer, OPENING_TOKENS) for v in views),
    ]


def featurize(
    views: Sequence[View], cache: EmbeddingCache, prompt_chars: int | None = None
) -> Array:
    asked = read_prompts(views, prompt_chars)
    prompts = cache.embed(asked)
    answers = cache.embed([v.answer for v in views])
    openings = cache.embed([take_tokens(v.answer, OPENING_TOKENS) for v in views])
    return pair_features(prompts, answers, openings, asked, [v.answer for v in views])


def ngram_matrix(texts: Sequence[str]) -> Any:
    """A scipy CSR matrix of the texts' hashed char n-grams (the n-gram head's input)."""
    from sekimori.classify.train import ngram_matrix as matrix

    return matrix(texts, NGRAM_BUCKETS, max_n=NGRAM_MAX_N)


def _best_blend(
    mlp_p: Array, ngram_p: Array, labels: NDArray[np.int_], whole: NDArray[np.bool_]
) -> tuple[float, float, float]:
    """The (n-gram weight, partial bias) maximising accuracy on whole answers, and that accuracy."""
    partial = REFUSAL_LABELS.index(RefusalLabel.PARTIAL)
    best = (0.0, 0.0, -1.0)
    for w in np.linspace(0.0, 1.0, 11):
        for b in np.linspace(-1.0, 1.0, 21):
            bias = np.zeros(len(REFUSAL_LABELS), dtype=np.float32)
            bias[partial] = b
            p = blend_refusal(mlp_p[whole], ngram_p[whole], float(w), bias)
            acc = float(np.mean(p.argmax(axis=1) == labels[whole]))
            if acc > best[2] + 1e-9:
                best = (round(float(w), 2), round(float(b), 2), acc)
    return best


def _sklearn() -> Any:
    try:
        from sklearn import linear_model, model_selection, neural_network
    except ImportError:
        raise ConfigError(
            "training needs scikit-learn: pip install 'sekimori[train]'", key="answers.train"
        ) from None
    return linear_model, model_selection, neural_network


def _best_f1_threshold(
    scores: NDArray[np.float64], labels: NDArray[np.bool_]
) -> tuple[float, float]:
    best = (0.5, -1.0)
    for t in np.linspace(0.05, 0.95, 91):
        pred = scores >= t
        tp = float(np.sum(pred & labels))
        f1 = 2 * tp / max(float(pred.sum() + labels.sum()), 1.0)
        if f1 > best[1]:
            best = (float(t), f1)
    return best


def _logit(p: NDArray[np.float64]) -> Array:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    out: Array = np.log(q / (1 - q)).astype(np.float32)
    return out


def _recall_floor_threshold(
    scores: NDArray[np.float64], labels: NDArray[np.bool_], threshold: float, floor: float
) -> float:
    """`threshold`, lowered in steps of 0.01 until recall on `labels` reaches `floor`."""
    positives = scores[labels]
    t = threshold
    while t > 0.05 and positives.size and float(np.mean(positives >= t)) < floor:
        t = round(t - 0.01, 2)
    return t


@dataclass(frozen=True, slots=True)
class ThresholdChoice:
    threshold: float
    floor_threshold: float  # where the recall floor alone would put it
    floor_benign_fp: float  # out-of-fold false-harmful share of whole benign answers there
    benign_fp: float  # the same at the chosen threshold


def choose_threshold(
    scores: NDArray[np.float64],
    harmful: NDArray[np.bool_],
    whole: NDArray[np.bool_],
    own: NDArray[np.bool_],
    f1_threshold: float,
    capped: NDArray[np.bool_] | None = None,
) -> ThresholdChoice:
    """The F1-best threshold, lowered to the recall floor on our own whole harmful answers only
    where that keeps false-harmful on whole benign answers (all sources, or those in `capped`)
    <= BENIGN_FP_CAP."""
    floor = _recall_floor_threshold(
        scores[whole & own], harmful[whole & own], f1_threshold, RECALL_FLOOR
    )
    benign = whole & ~harmful if capped is None else whole & ~harmful & capped

    def fp(t: float) -> float:
        return float(np.mean(scores[benign] >= t)) if benign.any() else 0.0

    # The F1 point comes off a float grid (0.36999999999999994): kept as the grid step it is.
    chosen = floor if fp(floor) <= BENIGN_FP_CAP else round(f1_threshold, 2)
    return ThresholdChoice(chosen, floor, fp(floor), fp(chosen))


def _best_harm_blend(
    mlp_p: NDArray[np.float64], ngram_p: NDArray[np.float64], labels: NDArray[np.bool_]
) -> tuple[float, float, float]:
    """The (n-gram weight, threshold) maximising out-of-fold harm F1, and that F1."""
    best = (0.0, 0.5, -1.0)
    for w in np.linspace(0.0, 1.0, 11):
        p = blend_harm(_logit(mlp_p), _logit(ngram_p), float(w)).astype(np.float64)
        t, f1 = _best_f1_threshold(p, labels)
        if f1 > best[2] + 1e-9:
            best = (round(float(w), 2), t, f1)
    return best


def train(
    examples: Sequence[AnswerExample],
    encoder: Encoder,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    hidden: int = 128,
    alpha: float = 1.0,
    c_category: float = 0.1,
    c_ngram: float = 10.0,
    keep_refusal: AnswerModel | None = None,
    prose_views: bool = False,
    cap_excludes: Sequence[str] = (),
    prompt_substitution: float = 0.0,
    exclude_sources: Sequence[str] = (),
    serving_encoding: bool = False,
) -> TrainReport:
    """Fit the three heads on the training split of `examples` and write artefacts to `out`.

    refusal and harm: one-hidden-layer MLPs (`hidden` ReLU units, L2 `alpha`), because harm is an
    interaction (a harmful request AND an answer that complies) that a linear head draws poorly;
    category: multinomial logistic regression (inverse L2 `c_category`) on harmful answers only;
    ngram / harm_ngram: logistic regressions (inverse L2 `c_ngram`) over the answers' hashed char
    n-grams, blended into the refusal and the harm head.
    With `keep_refusal`, that model's refusal heads (MLP, n-gram head, blend, bias) replace the
    new ones (`carry_refusal`): retraining for harm need not move the refusal detector.
    With `prose_views`, every structured training answer is also seen whole as plain sentences
    (`prose_training_views`), so both readings of a table or JSON answer are fitted.
    With `cap_excludes` (e.g. TWIN_SOURCES), those sources' harmless answers do not count in the
    benign cap of the recall floor (`choose_threshold`); the heads themselves are the same.
    With `prompt_substitution` (a share, 0-1), that share of the views is read under a
    content-free turn instead of its prompt (`substitute_prompts`), so the heads learn to judge
    an answer whose prompt says nothing; each turn is encoded alone, as the gateway encodes a
    request's prompt. `exclude_sources` leaves those sources' answers out entirely (e.g. to train
    on the data of an earlier round and validate on the rest).
    With `serving_encoding`, the heads are fitted (and the threshold chosen) on the vectors the
    gateway computes: every text encoded in a call of its own (`EmbeddingCache(alone=True)`) and
    each prompt read as its last JUDGE_PROMPT_CHARS characters, as the policy screen reads the
    last user turn. Off, texts are encoded 64 to a call and prompts read whole (the committed
    heads' build).
    """
    unknown = sorted(set(exclude_sources) - {e.source for e in examples})
    if unknown:
        raise InputError(f"no answers of source(s) {', '.join(unknown)} to leave out")
    if not 0.0 <= prompt_substitution <= 1.0:
        raise InputError(f"prompt substitution share {prompt_substitution} is not within 0-1")
    linear_model, model_selection, neural_network = _sklearn()
    train_ex = [e for e in split(examples, "train") if e.source not in exclude_sources]
    if not train_ex:
        raise InputError("no training examples (split == 'train')")
    views = training_views(train_ex, prose_views=prose_views)
    n_prose = len(prose_training_views(train_ex)) if prose_views else 0
    prompt_chars = JUDGE_PROMPT_CHARS if serving_encoding else None
    cache = EmbeddingCache(encoder, alone=serving_encoding)
    cache.embed(texts_of(views, prompt_chars), progress)
    views = substitute_prompts(views, prompt_substitution)
    for turn in sorted({v.turn for v in views if v.turn is not None}):
        # Alone, as the gateway encodes a prompt: the int8 encoder quantises per batch.
        cache.embed([turn])
    x = featurize(views, cache, prompt_chars)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + np.float32(1e-6)
    xs = (x - mean) / scale

    refusal_y = np.asarray([REFUSAL_LABELS.index(v.example.refusal) for v in views])
    harm_y = np.asarray([v.example.harmful for v in views])
    groups = np.asarray([v.example.prompt for v in views])
    whole = np.asarray([None in v.prefixes for v in views])
    grams = ngram_matrix([v.answer for v in views])

    def mlp() -> Any:
        return neural_network.MLPClassifier(
            hidden_layer_sizes=(hidden,), alpha=alpha, max_iter=300, random_state=SEED
        )

    def ngram_lr() -> Any:
        return linear_model.LogisticRegression(C=c_ngram, max_iter=2000, random_state=SEED)

    with warnings.catch_warnings():
        # A fixed iteration budget keeps runs reproducible; an unconverged fit is still scored.
        warnings.simplefilter("ignore", category=UserWarning)
        folds = model_selection.GroupKFold(n_splits=5)
        oof = model_selection.cross_val_predict(
            mlp(), xs, harm_y, groups=groups, cv=folds, method="predict_proba"
        )[:, 1]
        oof_harm_ngram = model_selection.cross_val_predict(
            ngram_lr(), grams, harm_y, groups=groups, cv=folds, method="predict_proba"
        )[:, 1]
        harm_blend, f1_threshold, oof_f1 = _best_harm_blend(oof, oof_harm_ngram, harm_y)
        oof_harm = blend_harm(_logit(oof), _logit(oof_harm_ngram), harm_blend).astype(np.float64)
        own = np.asarray([v.example.source in FLOOR_SOURCES for v in views])
        capped = np.asarray([v.example.source not in cap_excludes for v in views])
        choice = choose_threshold(oof_harm, harm_y, whole, own, f1_threshold, capped)
        threshold = choice.threshold
        flagged = oof_harm >= threshold
        oof_recall = float(np.mean(flagged[whole & own & harm_y]))
        oof_recall_xstest = float(np.mean(flagged[whole & ~own & harm_y]))
        oof_precision = float(np.sum(flagged & whole & harm_y) / max(np.sum(flagged & whole), 1))
        if keep_refusal is None:
            oof_mlp = model_selection.cross_val_predict(
                mlp(), xs, refusal_y, groups=groups, cv=folds, method="predict_proba"
            ).astype(np.float32)
            oof_ngram = model_selection.cross_val_predict(
                ngram_lr(), grams, refusal_y, groups=groups, cv=folds, method="predict_proba"
            ).astype(np.float32)
            blend, partial_bias, oof_refusal = _best_blend(oof_mlp, oof_ngram, refusal_y, whole)
            refusal = mlp().fit(xs, refusal_y)
            ngram = ngram_lr().fit(grams, refusal_y)
        else:
            # Kept heads replace these below (carry_refusal); fitting them would only cost time.
            partial = REFUSAL_LABELS.index(RefusalLabel.PARTIAL)
            blend, partial_bias = keep_refusal.blend, float(keep_refusal.refusal_bias[partial])
            oof_refusal = float(keep_refusal.meta.get("oof_refusal_accuracy_whole") or 0.0)
        harm = mlp().fit(xs, harm_y)
        harm_ngram = ngram_lr().fit(grams, harm_y)
    harmful = [i for i, v in enumerate(views) if v.example.harmful and v.example.category]
    category = linear_model.LogisticRegression(
        C=c_category, max_iter=3000, class_weight="balanced", random_state=SEED
    ).fit(xs[harmful], [views[i].example.category for i in harmful])
    category_ids = tuple(str(c) for c in category.classes_)
    cat_w, cat_b = category.coef_, category.intercept_
    if len(category_ids) == 2:
        # scikit-learn keeps one row for two classes; softmax needs both.
        cat_w = np.vstack([-cat_w[0] / 2, cat_w[0] / 2])
        cat_b = np.asarray([-cat_b[0] / 2, cat_b[0] / 2])

    model = AnswerModel(
        encoder=encoder.name,
        dim=encoder.dim,
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        refusal=_mlp_head(refusal) if keep_refusal is None else keep_refusal.refusal,
        harm=_mlp_head(harm),
        category=Head(((np.asarray(cat_w).T.astype(np.float32), cat_b.astype(np.float32)),)),
        ngram=_linear_head(ngram) if keep_refusal is None else keep_refusal.ngram,
        harm_ngram=_linear_head(harm_ngram),
        category_ids=category_ids,
        threshold=threshold,
        blend=blend,
        harm_blend=harm_blend,
        refusal_bias=np.asarray(
            [partial_bias if label is RefusalLabel.PARTIAL else 0.0 for label in REFUSAL_LABELS],
            dtype=np.float32,
        ),
        meta={
            "seed": SEED,
            "hidden": hidden,
            "alpha": alpha,
            "c_category": c_category,
            "c_ngram": c_ngram,
            "prefix_tokens": [n or "all" for n in PREFIX_TOKENS],
            "opening_tokens": OPENING_TOKENS,
            "train_examples": len(train_ex),
            "train_views": len(views),
            "oof_f1": round(oof_f1, 4),
            "f1_threshold": round(f1_threshold, 2),
            "recall_floor": RECALL_FLOOR,
            "floor_threshold": round(choice.floor_threshold, 2),
            "oof_benign_fp_at_floor": round(choice.floor_benign_fp, 4),
            "benign_fp_cap": BENIGN_FP_CAP,
            "benign_cap_excludes": sorted(cap_excludes),
            "oof_benign_fp_whole": round(choice.benign_fp, 4),
            "oof_recall_whole_own": round(oof_recall, 4),
            "oof_recall_whole_xstest": round(oof_recall_xstest, 4),
            "oof_precision_whole": round(oof_precision, 4),
            "relayout_views": sum(1 for v in views if not v.prefixes) - n_prose,
            "prose_training_views": n_prose,
            "prompt_substitution": prompt_substitution,
            "substituted_views": sum(1 for v in views if v.turn is not None),
            "excluded_sources": sorted(exclude_sources),
            "serving_encoding": serving_encoding,
            "prompt_chars": prompt_chars,
            "oof_refusal_accuracy_whole": round(oof_refusal, 4),
        },
    )
    if keep_refusal is not None:
        model = carry_refusal(keep_refusal, model)
    model.save(out)
    return TrainReport(len(views), len(train_ex), threshold, oof_f1, oof_refusal, out)


def carry_refusal(old: AnswerModel, new: AnswerModel) -> AnswerModel:
    """`new` with `old`'s refusal heads, its MLP's first layer re-expressed for `new`'s
    standardisation (same features, other mean and scale), so refusal outputs are `old`'s."""
    if old.encoder != new.encoder or old.mean.shape != new.mean.shape:
        raise ConfigError("the kept refusal heads need the same encoder and features", key="keep")
    (w, b), *rest = old.refusal.layers
    # x_old = (x_new * scale_new + mean_new - mean_old) / scale_old, folded into (w, b).
    ratio = (new.scale / old.scale).astype(np.float32)
    shift = ((new.mean - old.mean) / old.scale).astype(np.float32)
    first = ((w * ratio[:, None]).astype(np.float32), (b + shift @ w).astype(np.float32))
    meta = {
        **new.meta,
        "refusal_heads_from": str(old.meta.get("sha256", "?")),
        "oof_refusal_accuracy_whole": old.meta.get("oof_refusal_accuracy_whole"),
    }
    return replace(
        new,
        refusal=Head((first, *rest)),
        ngram=old.ngram,
        blend=old.blend,
        refusal_bias=old.refusal_bias,
        meta=meta,
    )


def _linear_head(lr: Any) -> Head:
    """A fitted scikit-learn linear classifier as one dense layer (inputs, outputs)."""
    return Head(
        (
            (
                np.asarray(lr.coef_).T.astype(np.float32),
                np.asarray(lr.intercept_).astype(np.float32),
            ),
        )
    )


def _mlp_head(mlp: Any) -> Head:
    return Head(
        tuple(
            (np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32))
            for w, b in zip(mlp.coefs_, mlp.intercepts_, strict=True)
        )
    )
