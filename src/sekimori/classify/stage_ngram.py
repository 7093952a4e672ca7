"""Fitting the prompt model's first-stage n-gram weight set (`stage_ngram_weight` and
`stage_ngram_bias` in heads.npz; bench/classifier/NGRAM2_RULE.md, issue 16).

The set is read only by the first stage (the n-gram gate, the static stage's combined level, the
segment gate); the final blend keeps the model's own n-gram weights. It is the n-gram model of
`train.train` (hashed char 1-4-grams, liblinear, ``c``, balanced classes) fitted on more benign
negatives, so that the first stage reads benign long prose as benign:

1. the training split's rows as `train.train` reads them (whole texts; a label the source does
   not give is left out of its column);
2. the scan pieces (`segments.scan_spans`, at most ``pieces_per_text`` a text, a seeded draw) of
   the training split's benign prompts of two sentences or more;
3. Dolly rows outside the prompt pool (rows ``dolly_from`` and later, longer than one window, not
   equal to a pool or an evaluation-only text; ``dolly_rows`` a language), whole and in pieces.

Then the n-gram gate (model.json ``gate``) is chosen again on the set's levels by the rule of
`train.train` (`train.choose_gate`, validation split only). The static stage's clear points read
these levels too: choose them again afterwards (`sekimori train static --points-only`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Example, Split
from sekimori.classify.leak import eval_keys, leak_key
from sekimori.classify.prompt import (
    DEFAULT_MODEL_DIR,
    PromptClassifier,
    PromptModel,
    one_window,
    views,
    write_meta_field,
    write_stage_ngram,
)
from sekimori.classify.segments import scan_spans, sentences
from sekimori.classify.static_train import _PlanOnly
from sekimori.classify.train import (
    NGRAM_C,
    choose_gate,
    corpus_settings_of,
    fit_ngram,
    ngram_matrix,
    training_pool,
)
from sekimori.errors import ConfigError
from sekimori.paths import shared_data_dir

# Dolly's files in the shared data folder, by language.
DOLLY_FOLDERS = (("en", "dolly-15k"), ("ja", "dolly-15k-ja"))


@dataclass(frozen=True, slots=True)
class StageNgramSettings:
    """How the first-stage set is fitted; the defaults made the committed set."""

    model_dir: Path = DEFAULT_MODEL_DIR
    seed: int = 13  # the draw of each text's pieces
    c: float = NGRAM_C  # liblinear's inverse regularisation, as `train.train`'s n-gram model
    pieces_per_text: int = 12
    dolly_from: int = 3000  # the prompt pool's Dolly rows (and FASTPATH.md's) lie before it
    dolly_rows: int = 2500  # extra Dolly rows a language
    # the gate may skip at most this share of the harmful validation items (`train.train`'s)
    gate_recall_loss: float = 0.0

    def __post_init__(self) -> None:
        if self.c <= 0:
            raise ConfigError(f"c must be positive, got {self.c}")
        for name in ("pieces_per_text", "dolly_from", "dolly_rows"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if not 0.0 <= self.gate_recall_loss < 1.0:
            raise ConfigError(f"gate_recall_loss must be in [0, 1), got {self.gate_recall_loss}")


@dataclass(frozen=True, slots=True)
class StageNgramReport:
    model_dir: Path
    rows: dict[str, int]
    gate: float
    seconds: float


@dataclass(frozen=True, slots=True)
class StageRows:
    """The rows the set is fitted on; -1: no label for that column."""

    texts: list[str]
    harm: NDArray[np.int64]
    jailbreak: NDArray[np.int64]
    counts: dict[str, int]


def pieces_of(text: str, rng: random.Random, limit: int) -> list[str]:
    """Up to ``limit`` of the pieces the segment scan reads in a text (both views), drawn with
    ``rng``."""
    found = dict.fromkeys(p for v in views(text) for a, b in scan_spans(v) if (p := v[a:b].strip()))
    out = list(found)
    rng.shuffle(out)
    return out[:limit]


def extra_dolly(
    pool_examples: Sequence[Example],
    start: int,
    per_lang: int,
    root: Path | None = None,
) -> list[Example]:
    """Dolly rows outside the prompt pool (rows ``start`` and later), longer than one window, not
    equal to a pool or an evaluation-only text; ``per_lang`` a language, in file order."""
    root = root or shared_data_dir()
    keys = eval_keys(root) | {leak_key(e.text) for e in pool_examples}
    used = {int(e.group.split(":")[1]) for e in pool_examples if e.source == "dolly"}
    out: list[Example] = []
    for lang, folder in DOLLY_FOLDERS:
        with (root / folder / "prompts.jsonl").open(encoding="utf-8") as f:
            rows = [str(json.loads(line)["text"]) for line in f]
        kept = [
            (i, t)
            for i, t in enumerate(rows)
            if i >= start and i not in used and leak_key(t) not in keys and not one_window(views(t))
        ]
        for i, t in kept[:per_lang]:
            out.append(Example(t, lang, False, (), False, "dolly", f"dolly-extra:{i}"))  # type: ignore[arg-type]
    return out


def stage_rows(
    train: Sequence[Example], extra: Sequence[Example], settings: StageNgramSettings
) -> StageRows:
    """The training rows as `train.train` reads them, then the benign negatives: the scan pieces
    of the training split's benign prompts of two sentences or more, and ``extra`` whole and in
    pieces (jailbreak-labelled and harmful rows give none)."""
    rng = random.Random(settings.seed)
    texts: list[str] = []
    harm: list[int] = []
    jail: list[int] = []
    for ex in train:
        texts.append(ex.text)
        harm.append(-1 if ex.harmful is None else int(ex.harmful))
        jail.append(-1 if ex.jailbreak is None else int(ex.jailbreak))
    counts = {"rows": len(texts), "pieces": 0, "dolly": 0, "dolly_pieces": 0}
    for ex, is_extra in [*((e, False) for e in train), *((e, True) for e in extra)]:
        if ex.harmful is not False or ex.jailbreak is True:
            continue
        j = 0 if ex.jailbreak is False else -1
        if is_extra:
            texts.append(ex.text)
            harm.append(0)
            jail.append(j)
            counts["dolly"] += 1
        elif len(sentences(ex.text)) < 2:
            continue
        for p in pieces_of(ex.text, rng, settings.pieces_per_text):
            texts.append(p)
            harm.append(0)
            jail.append(j)
            counts["dolly_pieces" if is_extra else "pieces"] += 1
    return StageRows(texts, np.array(harm, np.int64), np.array(jail, np.int64), counts)


def fit_stage_ngram(
    rows: StageRows, buckets: int, c: float
) -> tuple[NDArray[np.float16], NDArray[np.float32]]:
    """The set's weights (float16, as stored) and biases, fitted on ``rows``."""
    xn = ngram_matrix(rows.texts, buckets)
    targets = [(np.flatnonzero(y >= 0), y) for y in (rows.harm, rows.jailbreak)]
    weight, bias = fit_ngram(xn, targets, c)
    return weight.astype(np.float16), bias


def stage_gate(model: PromptModel, examples: Sequence[Example], recall_loss: float) -> float:
    """The n-gram gate on the levels it reads (the first stage's set, or with
    `fast_path.stage_ngram_reads` "clear" or "long" the model's own weights): `train.train`'s
    rule (`choose_gate`) over the validation split's harm-labelled items, below the model's
    threshold."""
    clf = PromptClassifier(model, _PlanOnly(model.meta.dim), fast_path=False)
    labelled = [e for e in examples if e.split is Split.VALIDATION and e.harmful is not None]
    harmful = np.array([bool(e.harmful) for e in labelled])
    levels = np.array(
        [np.max([clf.gate_ngram_probs(v) for v in views(e.text)], axis=0) for e in labelled]
    ).reshape(len(labelled), 2)
    return choose_gate(levels, harmful, min(0.5, model.meta.threshold), recall_loss)


def train_stage_ngram(
    settings: StageNgramSettings, progress: Callable[[str], None] = print
) -> StageNgramReport:
    """Fits the first-stage set of the model in ``settings.model_dir`` on its own training pool,
    writes it into heads.npz (every other array kept) and the gate chosen on it into model.json
    (every other key kept)."""
    started = time.monotonic()
    model = PromptModel.load(settings.model_dir)
    pool = training_pool(corpus_settings_of(model.meta))
    train = [e for e in pool.examples if e.split is Split.TRAIN]
    extra = extra_dolly(pool.examples, settings.dolly_from, settings.dolly_rows)
    rows = stage_rows(train, extra, settings)
    progress(f"rows: {rows.counts}; fitting ({time.monotonic() - started:.0f} s)")
    weight, bias = fit_stage_ngram(rows, model.meta.buckets, settings.c)
    staged = replace(model, stage_ngram_weight=weight, stage_ngram_bias=bias)
    gate = stage_gate(staged, pool.examples, settings.gate_recall_loss)
    write_stage_ngram(settings.model_dir, weight, bias)
    write_meta_field(settings.model_dir, "gate", gate)
    progress(f"gate {gate:.2f}; wrote {settings.model_dir / 'heads.npz'}")
    return StageNgramReport(settings.model_dir, rows.counts, gate, time.monotonic() - started)
