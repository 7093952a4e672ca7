"""Training the second opinion (`sekimori.classify.second_opinion`) from the prompt pool.

- Rows: the labelled training-split rows of the prompt model's own pool (evaluation-only texts
  already removed by `train.training_pool`) that the classifier, as deployed, scores at or above
  a tier's hold point (`HOLD_LEVEL` on the policy scale) in some hazard category: the harmful
  ones against the benign ones there (the classifier's hard negatives). Rows it scores under
  every hold point are never asked about and teach the model nothing it needs.
- Model: logistic regression over the classifier's own embedding of each row
  (`second_opinion.classifier_embed`), classes weighted to balance.
- Points, on the validation split only, per blocking tier (`second_opinion.blocking_tier`) of
  the harmful validation prompts the classifier blocks surely: the highest level at which at
  most ``spare`` of them (catastrophic: none) score under it, so would be held instead.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.corpus import Example, Split
from sekimori.classify.operating import HOLD_LEVEL
from sekimori.classify.second_opinion import STRICTEST, Embed, SecondOpinion, blocking_tier
from sekimori.errors import ModelError
from sekimori.taxonomy import BY_ID, Tier
from sekimori.types import Verdict

C = 1.0  # inverse regularisation (the same held on validation at 0.1, 1 and 10)
# The most share of a tier's surely blocked harmful validation prompts the point may hold.
SPARE: Mapping[Tier, float] = {Tier.CATASTROPHIC: 0.0, Tier.SEVERE: 0.02, Tier.MODERATE: 0.02}

Score = Callable[[Sequence[str]], list[Verdict]]


@dataclass(frozen=True, slots=True)
class SecondOpinionSettings:
    c: float = C
    seed: int = 13
    # Score and fit on a seeded sample of this many training rows (None: all); the scoring of
    # the whole training split by the classifier takes most of an hour on 2 cores.
    train_rows: int | None = None


def train_sample(rows: Sequence[Example], settings: SecondOpinionSettings) -> list[Example]:
    """The training rows to score and fit on, in pool order: all, or a seeded sample."""
    if settings.train_rows is None or settings.train_rows >= len(rows):
        return list(rows)
    # The first rows of a seeded permutation: a smaller sample is part of a larger one.
    order = random.Random(settings.seed).sample(range(len(rows)), len(rows))
    keep = sorted(order[: settings.train_rows])
    return [rows[i] for i in keep]


def in_region(verdict: Verdict) -> bool:
    """Whether some hazard category reaches its tier's hold point (policy scale)."""
    return any(c in BY_ID and s >= HOLD_LEVEL for c, s in verdict.categories.items())


def fit(
    rows: Sequence[tuple[Example, Verdict]],
    embed: Embed,
    settings: SecondOpinionSettings = SecondOpinionSettings(),
) -> SecondOpinion:
    """The head fitted on the training-split rows in the region; no points yet (never holds)."""
    region = [
        e for e, v in rows if e.split is Split.TRAIN and e.harmful is not None and in_region(v)
    ]
    y = np.array([bool(e.harmful) for e in region])
    if not y.any() or y.all():
        raise ModelError("training the second opinion needs harmful and benign rows in the region")
    x = np.concatenate(
        [embed([e.text for e in region[i : i + 64]]) for i in range(0, len(region), 64)]
    )
    weight, bias = fit_logistic(x, y, settings.c, settings.seed)
    return SecondOpinion(
        weight, bias, {}, {"region_rows": {"harmful": int(y.sum()), "benign": int((~y).sum())}}
    )


def fit_logistic(
    x: NDArray[np.float32], y: NDArray[np.bool_], c: float, seed: int
) -> tuple[NDArray[np.float32], float]:
    """A logistic regression's weights and bias, classes weighted to balance."""
    from sekimori.classify.train import _sklearn

    model = (
        _sklearn()
        .linear_model.LogisticRegression(
            C=c, class_weight="balanced", max_iter=2000, random_state=seed
        )
        .fit(x, y)
    )
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def lowest_allowed(values: Sequence[float], spare: float) -> float:
    """The highest level under which at most ``spare`` of ``values`` lie (0.0 for none)."""
    ranked = sorted(values)
    if not ranked:
        return 0.0
    allowed = math.floor(spare * len(ranked) + 1e-9)
    return ranked[allowed] if allowed < len(ranked) else 1.0


@dataclass(frozen=True, slots=True)
class Blocked:
    """A validation prompt the classifier blocks surely: its label, language, blocking tier and
    the second opinion's probability."""

    harmful: bool
    lang: str
    tier: Tier
    probability: float


def blocked_rows(
    rows: Sequence[tuple[Example, Verdict]], model: SecondOpinion, sure_at: float, embed: Embed
) -> list[Blocked]:
    asked = [(e, t) for e, v in rows if e.harmful is not None and (t := blocking_tier(v, sure_at))]
    if not asked:
        return []
    p = model.probabilities(embed([e.text for e, _ in asked]))
    return [
        Blocked(bool(e.harmful), e.lang, t, float(q)) for (e, t), q in zip(asked, p, strict=True)
    ]


def choose_points(blocked: Sequence[Blocked]) -> dict[Tier, float]:
    # floored to 6 decimals, so a harmful prompt at the point is never under the stored point
    return {
        t: math.floor(
            lowest_allowed([b.probability for b in blocked if b.harmful and b.tier is t], SPARE[t])
            * 1e6
        )
        / 1e6
        for t in STRICTEST
    }


def held_figures(blocked: Sequence[Blocked], points: Mapping[Tier, float]) -> dict[str, Any]:
    """Per blocking tier and language: surely blocked prompts (harmful, benign) and the share the
    second opinion would hold instead."""

    def cell(sel: list[Blocked]) -> dict[str, Any]:
        held = sum(b.probability < points.get(b.tier, 0.0) for b in sel)
        return {"n": len(sel), "held": held, "share": round(held / len(sel), 4) if sel else None}

    out: dict[str, Any] = {}
    for label, harmful in (("harmful", True), ("benign", False)):
        mine = [b for b in blocked if b.harmful is harmful]
        out[label] = {
            t.value: {
                lang: cell([b for b in mine if b.tier is t and (lang == "all" or b.lang == lang)])
                for lang in ("all", "en", "ja")
            }
            for t in STRICTEST
        } | {"all": cell(mine)}
    return out


def score_rows(rows: Sequence[Example], score: Score) -> list[Verdict]:
    """``score`` of each row's text, 64 texts a call."""
    verdicts: list[Verdict] = []
    for i in range(0, len(rows), 64):
        verdicts.extend(score([e.text for e in rows[i : i + 64]]))
    return verdicts


def train_second_opinion(
    examples: Sequence[Example],
    score: Score,
    embed: Embed,
    sure_at: float,
    settings: SecondOpinionSettings = SecondOpinionSettings(),
    progress: Callable[[str], None] = print,
    *,
    prompt_model: str = "",
) -> SecondOpinion:
    """Scores the training and validation splits with ``score`` (the deployed classifier on the
    policy scale), fits on the training region (``embed``: the classifier's embedding) and
    chooses the points on the validation split."""
    labelled = [e for e in examples if e.harmful is not None]
    by_split = {s: [e for e in labelled if e.split is s] for s in (Split.TRAIN, Split.VALIDATION)}
    scored: dict[Split, list[tuple[Example, Verdict]]] = {}
    for split, rows in by_split.items():
        progress(f"scoring the {split.value} split ({len(rows)} rows)")
        scored[split] = list(zip(rows, score_rows(rows, score), strict=True))
    progress("fitting on the training rows at or above a hold point")
    unplaced = fit(scored[Split.TRAIN], embed, settings)
    blocked = blocked_rows(scored[Split.VALIDATION], unplaced, sure_at, embed)
    points = choose_points(blocked)
    figures = dict(unplaced.figures) | {
        "split": Split.VALIDATION.value,
        "rule": "catastrophic: none held; severe, moderate: at most 2% of the harmful sure blocks",
        **held_figures(blocked, points),
    }
    return SecondOpinion(unplaced.weight, unplaced.bias, points, figures, prompt_model)
