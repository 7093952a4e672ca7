"""Training the short-turn reading (`sekimori.classify.short_turns`) from the prompt pool.

- Rows: positives, the benign rows of the team's hand-written short turns
  (`data/prompts/candidates/chat_turns.jsonl`: chat turns); negatives, every labelled
  training-split row of the prompt model's own pool (evaluation-only texts already removed by
  `train.training_pool`) that is in scope (`short_turns.in_scope`), harmful or benign, and the
  file's harmful rows. Rows equal to an evaluation-only item are left out, as the pool leaves
  them out. Should the file be in the pool (as in candidate P2, bench/classifier/RETRAIN.md),
  its rows are fitted as the file's (every split) and their copies in the pool are left out, so
  that no row is counted twice and none chooses the point it was fitted on.
- Model: logistic regression over the classifier's own embedding of each row, classes weighted
  to balance (`second_opinion_train.fit_logistic`): P(chat turn).
- Point, on the validation split only: 0.01 above the highest P(chat turn) of the harmful
  validation items the reading is asked about (any tier, any language), on a 0.01 grid, at least
  `MIN_POINT`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sekimori.classify.corpus import Example, Split, team_data_dir, team_files
from sekimori.classify.leak import eval_keys, leak_key
from sekimori.classify.second_opinion import Embed
from sekimori.classify.second_opinion_train import Score, fit_logistic, score_rows
from sekimori.classify.short_turns import MIN_POINT, ShortTurnReading, asked, in_scope
from sekimori.errors import ModelError

C = 1.0  # inverse regularisation, as the second opinion's


def written_rows_path() -> Path:
    """The team's hand-written short turns (kept out of the pool until a full retrain)."""
    return team_data_dir() / "candidates" / "chat_turns.jsonl"


@dataclass(frozen=True, slots=True)
class ShortTurnSettings:
    c: float = C
    seed: int = 13


def written_rows(path: Path, shared: Path) -> list[Example]:
    """The hand-written rows of ``path``, those equal to an evaluation-only item left out."""
    keys = eval_keys(shared)
    return [e for e in team_files([path]) if leak_key(e.text) not in keys]


def choose_point(probabilities: Sequence[float]) -> float:
    """The smallest 0.01 step from `MIN_POINT` that all of ``probabilities`` (the harmful
    validation items asked about) stay under (1.01: none can, the reading never acts)."""
    if not probabilities:
        return MIN_POINT
    return max(MIN_POINT, round(math.floor(max(probabilities) * 100) / 100 + 0.01, 2))


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def train_short_turns(
    examples: Sequence[Example],
    written: Sequence[Example],
    score: Score,
    embed: Embed,
    sure_at: float,
    settings: ShortTurnSettings = ShortTurnSettings(),
    progress: Callable[[str], None] = print,
    *,
    prompt_model: str = "",
) -> ShortTurnReading:
    """Fits ``written``'s benign rows (chat turns) against the in-scope training rows and
    ``written``'s harmful rows (``embed``: the classifier's embedding) and chooses the point on
    the in-scope validation rows, scored by ``score`` (the deployed classifier on the policy
    scale, second opinion included)."""
    mine = {leak_key(e.text) for e in written}
    labelled = [
        e
        for e in examples
        if e.harmful is not None and in_scope(e.text) and leak_key(e.text) not in mine
    ]
    turns = [e for e in written if not e.harmful]
    train = turns + [e for e in labelled if e.split is Split.TRAIN]
    train += [e for e in written if e.harmful]
    valid = [e for e in labelled if e.split is Split.VALIDATION]
    progress(f"fitting {len(turns)} chat turns against {len(train) - len(turns)} short rows")
    y = np.zeros(len(train), bool)
    y[: len(turns)] = True
    if not turns or len(turns) == len(train):
        raise ModelError("training the short-turn reading needs chat turns and other short rows")
    x = np.concatenate(
        [embed([e.text for e in train[i : i + 64]]) for i in range(0, len(train), 64)]
    )
    weight, bias = fit_logistic(x, y, settings.c, settings.seed)
    unplaced = ShortTurnReading(weight, bias, 0.0)
    progress(f"scoring the {len(valid)} short validation rows")
    verdicts = score_rows(valid, score)
    rows = [(e, v) for e, v in zip(valid, verdicts, strict=True) if asked(v, sure_at)]
    p = unplaced.probabilities(embed([e.text for e, _ in rows])) if rows else np.zeros(0)
    point = choose_point([float(q) for (e, _), q in zip(rows, p, strict=True) if e.harmful])

    def cell(harmful: bool, lang: str) -> dict[str, Any]:
        mine = [
            float(q)
            for (e, _), q in zip(rows, p, strict=True)
            if e.harmful is harmful and (lang == "all" or e.lang == lang)
        ]
        n = sum(q >= point for q in mine)
        return {"asked": len(mine), "allowed": n, "share": _rate(n, len(mine))}

    figures = {
        "split": Split.VALIDATION.value,
        "rule": "0.01 above the highest P(chat turn) of a harmful item asked about, at least 0.5",
        "train_rows": {
            "chat_turns": len(turns),
            "other": len(train) - len(turns),
            "written_harmful": len(written) - len(turns),
        },
        "validation_in_scope": len(valid),
        **{
            label: {lang: cell(harmful, lang) for lang in ("all", "en", "ja")}
            for label, harmful in (("harmful", True), ("benign", False))
        },
    }
    return ShortTurnReading(weight, bias, point, figures, prompt_model)
