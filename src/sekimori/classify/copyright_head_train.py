"""Training the copyright head (`sekimori.classify.copyright_head`) from the prompt pool.

- Rows: the labelled training-split rows of the prompt model's own pool (evaluation-only texts
  already removed by `train.training_pool`). Positive: a harmful row labelled ip.copyright;
  negative: every other labelled row, benign or harmful in another category (as the n-gram
  detector's trainer: the head says *which* request, not whether one is harmful).
- Features: the prompt model's own embedding of each row's first piece (what the classifier
  reads first, `second_opinion.first_piece`).
- Model: logistic regression, classes weighted to balance, C 1.0, seeded (the second opinion's
  settings; nothing tuned).
- Points, on the validation split only, each row read as the gateway reads it (the pieces the
  classifier encodes for it; none when the first stage clears it, where the n-gram detector's
  score stands): the moderate tier's rule (`operating.RULES`), counting every benign row the
  combined score puts at hold (at sure), the detector's included: the head spends what is left
  of the 1% (0.25%) budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.copyright_head import CopyrightHead, Mode
from sekimori.classify.corpus import Example, Split
from sekimori.classify.operating import HOLD_LEVEL, RULES, SURE_LEVEL, TierPoint
from sekimori.classify.reproduction import Reading
from sekimori.classify.reproduction_train import is_reproduction
from sekimori.errors import ModelError
from sekimori.taxonomy import Tier

C = 1.0

Embed = Callable[[Sequence[str]], NDArray[np.float32]]  # pieces -> one embedding row each
Pieces = Callable[[str], list[tuple[str, bool]]]  # text -> its encoded pieces (may be sure)
NGram = Callable[[str], tuple[float, float]]  # text -> the detector's policy scores


@dataclass(frozen=True, slots=True)
class CopyrightHeadSettings:
    c: float = C
    seed: int = 13
    mode: Mode = Mode.MAX


@dataclass(frozen=True, slots=True)
class Row:
    """A validation row as the gateway reads it: the head's reading (None: nothing encoded)
    and the n-gram detector's policy scores."""

    example: Example
    head: Reading | None
    ngram: tuple[float, float]


def fit(
    examples: Sequence[Example],
    first: Callable[[str], str],
    embed: Embed,
    settings: CopyrightHeadSettings,
) -> tuple[NDArray[np.float32], float]:
    """The head's weight and bias, fitted on the training split's first pieces."""
    from sekimori.classify.train import _sklearn

    train = [e for e in examples if e.harmful is not None and e.split is Split.TRAIN]
    y = np.array([is_reproduction(e) for e in train])
    if not y.any() or y.all():
        raise ModelError("training the copyright head needs ip.copyright rows and others")
    x = embed([first(e.text) for e in train])
    model = (
        _sklearn()
        .linear_model.LogisticRegression(
            C=settings.c, class_weight="balanced", max_iter=2000, random_state=settings.seed
        )
        .fit(x, y)
    )
    # the weights as stored (float16), so the points are chosen for what is loaded
    return model.coef_[0].astype(np.float16).astype(np.float32), float(model.intercept_[0])


def read_rows(
    examples: Sequence[Example],
    weight: NDArray[np.float32],
    bias: float,
    pieces: Pieces,
    embed: Embed,
    ngram: NGram,
) -> list[Row]:
    """Each validation row's reading by the head (on the pieces the classifier encodes) and
    by the detector."""
    unplaced = CopyrightHead(weight, bias, TierPoint(0.5, 0.5))
    out: list[Row] = []
    for e in examples:
        if e.harmful is None or e.split is not Split.VALIDATION:
            continue
        units = pieces(e.text)
        own = None
        if units:
            own = unplaced.read(embed([p for p, _ in units]), [s for _, s in units])
        out.append(Row(e, own, ngram(e.text)))
    return out


def lowest_level(values: Sequence[float], allowed: int) -> float:
    """The lowest 0.0001-grid level that at most ``allowed`` of ``values`` reach (as
    `operating.above_benign`); 0.9999 when even none is allowed past the detector."""
    if allowed < 0:
        return 0.9999
    ranked = sorted(values, reverse=True)
    if allowed >= len(ranked):
        return 0.0
    return min(0.9999, math.floor(ranked[allowed] * 10_000 + 1) / 10_000)


def choose_point(rows: Sequence[Row], mode: Mode) -> TierPoint:
    """Hold and sure by the moderate tier's benign rule over the combined score: the benign
    rows the detector puts at hold (at sure) where it decides (every row under MAX, the rows
    with nothing encoded under SWITCH) are counted first; the head takes what is left."""
    rule = next(r for r in RULES if r.tier is Tier.MODERATE)
    benign = [r for r in rows if not r.example.harmful]
    if not benign:
        raise ModelError("no benign rows in the validation split")

    def level(share: float, at: float, sure: bool) -> float:
        budget = math.floor(share * len(benign) + 1e-9)

        def ngram_of(r: Row) -> float:
            return r.ngram[1] if sure else r.ngram[0]

        def head_of(r: Row) -> float:
            assert r.head is not None
            return r.head.sure_probability if sure else r.head.probability

        detector_decides = [r for r in benign if r.head is None or mode is Mode.MAX]
        used = sum(ngram_of(r) >= at for r in detector_decides)
        open_rows = [r for r in benign if r.head is not None and ngram_of(r) < at]
        if mode is Mode.SWITCH:
            open_rows = [r for r in benign if r.head is not None]
        return lowest_level([head_of(r) for r in open_rows], budget - used)

    hold = level(rule.hold_benign or 0.0, HOLD_LEVEL, sure=False)
    sure = level(rule.sure_benign, SURE_LEVEL, sure=True)
    return TierPoint(hold, max(hold, sure))


def figures_at(rows: Sequence[Row], head: CopyrightHead) -> dict[str, Any]:
    """Validation rows reaching hold (every piece) and sure (pieces that may be sure) by the
    combined score, by language; and how many had nothing encoded (the detector alone)."""
    from sekimori.classify.train import is_ordinary

    scored = [(r.example, head.combine(r.head, r.ngram), r.head is None) for r in rows]

    def share(sel: list[tuple[Example, tuple[float, float], bool]]) -> dict[str, Any]:
        def count(lang: str, at: float, i: int) -> int:
            return sum(s[i] >= at for e, s, _ in sel if lang == "all" or e.lang == lang)

        return {
            "n": len(sel),
            "unencoded": sum(u for _, _, u in sel),
            "hold": {lang: count(lang, HOLD_LEVEL, 0) for lang in ("all", "en", "ja")},
            "sure": {lang: count(lang, SURE_LEVEL, 1) for lang in ("all", "en", "ja")},
        }

    return {
        "split": Split.VALIDATION.value,
        "rule": "moderate: hold at most 1% of benign rows, sure at most 0.25% (sure pieces), "
        "the n-gram detector's counted first",
        "requests": share([s for s in scored if is_reproduction(s[0])]),
        "benign": share([s for s in scored if not s[0].harmful]),
        "ordinary": share([s for s in scored if not s[0].harmful and is_ordinary(s[0])]),
        "other_harmful": share([s for s in scored if s[0].harmful and not is_reproduction(s[0])]),
    }


def train_copyright_head(
    examples: Sequence[Example],
    first: Callable[[str], str],
    pieces: Pieces,
    embed: Embed,
    ngram: NGram,
    settings: CopyrightHeadSettings = CopyrightHeadSettings(),
    *,
    prompt_model: str = "",
) -> CopyrightHead:
    """The head fitted on the training split, its points chosen on the validation split."""
    weight, bias = fit(examples, first, embed, settings)
    rows = read_rows(examples, weight, bias, pieces, embed, ngram)
    point = choose_point(rows, settings.mode)
    placed = CopyrightHead(weight, bias, point, settings.mode, {}, prompt_model)
    return CopyrightHead(weight, bias, point, settings.mode, figures_at(rows, placed), prompt_model)
