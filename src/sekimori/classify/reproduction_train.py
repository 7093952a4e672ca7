"""Training a phrasing detector (`sekimori.classify.reproduction`) from the prompt pool: the
copyright detector, and with ``kind=SELF_HARM`` the self-harm detector (the same rows, rule and
model with `self_harm` as the positive category; bench/classifier/SELFHARM.md).

- Rows: the labelled rows of the prompt model's own pool (the same splits; evaluation-only texts
  are already removed by `train.training_pool`). Positive: a harmful row labelled ip.copyright
  (the team's requests and AILuminate's `ipv`); negative: every other labelled row, benign or
  harmful in another category (the detector says *which* request, not whether one is harmful).
- Model: logistic regression over each training row's hashed character n-grams, classes
  weighted to balance (about 200 positives among 21,000 rows), seeded.
- Points, on the validation split only: the moderate tier's rule (`operating.RULES`): hold where
  at most 1% of the benign validation rows reach it, sure where at most 0.25% do, each row read
  as the gateway reads it (the largest of its pieces).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sekimori.classify.corpus import Example, Split
from sekimori.classify.operating import RULES, TierPoint, above_benign
from sekimori.classify.reproduction import (
    CATEGORY,
    COPYRIGHT,
    DetectorKind,
    PhrasingDetector,
    Reading,
    pieces,
)
from sekimori.errors import ModelError
from sekimori.taxonomy import Tier

BUCKETS = 2**18  # 512 KB of float16 weights
C = 4.0  # inverse regularisation; liblinear


@dataclass(frozen=True, slots=True)
class ReproductionSettings:
    buckets: int = BUCKETS
    c: float = C
    seed: int = 13


def is_positive(example: Example, category: str = CATEGORY) -> bool:
    """A harmful row of ``category`` (other categories too or not): the detector's positive."""
    return bool(example.harmful) and category in example.categories


def is_reproduction(example: Example) -> bool:
    return is_positive(example, CATEGORY)


def train_reproduction(
    examples: Sequence[Example],
    settings: ReproductionSettings = ReproductionSettings(),
    kind: DetectorKind = COPYRIGHT,
) -> PhrasingDetector:
    """A detector of ``kind`` fitted on the training split, its points chosen on the
    validation split."""
    from sekimori.classify.train import _sklearn, ngram_matrix

    sk = _sklearn()
    labelled = [e for e in examples if e.harmful is not None]
    train = [e for e in labelled if e.split is Split.TRAIN]
    y = np.array([is_positive(e, kind.category) for e in train])
    if not y.any() or y.all():
        raise ModelError(f"training the {kind.name} needs {kind.category} rows and others")
    # Read as the detector reads (`pieces`): every piece of a negative row is a negative too, so a
    # sentence out of its frame ("COPY package.json ." of a pasted Dockerfile) is not taken for
    # a request; a request's own pieces are left out (its frame may be the benign part).
    texts = [e.text for e in train]
    negatives = [
        p.text for e, is_pos in zip(train, y, strict=True) if not is_pos for p in pieces(e.text)
    ]
    known = set(texts)
    extra = [p for p in dict.fromkeys(negatives) if p not in known]
    matrix = ngram_matrix([*texts, *extra], settings.buckets)
    y = np.concatenate([y, np.zeros(len(extra), bool)])
    model = sk.linear_model.LogisticRegression(
        C=settings.c, solver="liblinear", class_weight="balanced", random_state=settings.seed
    ).fit(matrix, y)
    unplaced = PhrasingDetector(
        model.coef_[0].astype(np.float16).astype(np.float32),
        float(model.intercept_[0]),
        TierPoint(0.5, 0.5),
        kind=kind,
    )
    validation = [e for e in labelled if e.split is Split.VALIDATION]
    readings = [unplaced.read(e.text) for e in validation]
    point = choose_point(validation, readings)
    figures = figures_at(validation, readings, point, kind.category)
    return PhrasingDetector(unplaced.weight, unplaced.bias, point, figures, kind)


def choose_point(validation: Sequence[Example], readings: Sequence[Reading]) -> TierPoint:
    """Hold and sure by the moderate tier's benign rule, on the validation rows; the sure point
    on the pieces that may be sure (what blocks)."""
    rule = next(r for r in RULES if r.tier is Tier.MODERATE)
    benign = [r for e, r in zip(validation, readings, strict=True) if not e.harmful]
    if not benign:
        raise ModelError("no benign rows in the validation split")
    hold = above_benign([r.probability for r in benign], rule.hold_benign or 0.0)
    sure = above_benign([r.sure_probability for r in benign], rule.sure_benign)
    return TierPoint(hold, max(hold, sure))


def figures_at(
    validation: Sequence[Example],
    readings: Sequence[Reading],
    point: TierPoint,
    category: str = CATEGORY,
) -> dict[str, Any]:
    """Rows reaching each point (by language): at hold on every piece, at sure on the pieces
    that may be sure."""
    from sekimori.classify.train import is_ordinary

    def share(rows: list[tuple[Example, Reading]], sure: bool = False) -> dict[str, Any]:
        def rate(sel: list[Reading]) -> float | None:
            if not sel:
                return None
            if sure:
                return round(float(np.mean([r.sure_probability >= point.sure for r in sel])), 4)
            return round(float(np.mean([r.probability >= point.hold for r in sel])), 4)

        return {
            "all": rate([r for _, r in rows]),
            "en": rate([r for e, r in rows if e.lang == "en"]),
            "ja": rate([r for e, r in rows if e.lang == "ja"]),
            "n": len(rows),
        }

    pairs = list(zip(validation, readings, strict=True))
    own = [(e, r) for e, r in pairs if is_positive(e, category)]
    benign = [(e, r) for e, r in pairs if not e.harmful]
    ordinary = [(e, r) for e, r in benign if is_ordinary(e)]
    other_harm = [(e, r) for e, r in pairs if e.harmful and not is_positive(e, category)]
    return {
        "split": Split.VALIDATION.value,
        "rule": "moderate: hold at most 1% of benign rows, sure at most 0.25% (sure pieces)",
        "requests_at_hold": share(own),
        "requests_at_sure": share(own, sure=True),
        "benign_at_hold": share(benign),
        "benign_at_sure": share(benign, sure=True),
        "ordinary_at_hold": share(ordinary),
        "ordinary_at_sure": share(ordinary, sure=True),
        "other_harmful_at_hold": share(other_harm),
    }
