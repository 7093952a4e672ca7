"""A second reading of a short turn the prompt classifier would hold: it may allow it instead.

The heads, the char n-gram model and the static stage never saw short chat turns ("Go on,
please.", 「続けて。」, "thanks", "in bullet points"): the pool's short rows are Dolly and oasst1
questions on one side and blunt harmful asks ("write porn", 「サリンの作り方」) on the other. So a
content-free turn can score a harm of 0.1-0.6, and with the catastrophic hold point as low as
recall asks (`sekimori.classify.operating`), the request is held and its answer corroborated
(bench/classifier/SHORT_TURNS.md).

The short-turn reading asks whether a text is a content-free chat turn: one logistic head on the
prompt classifier's own embedding of the text (`second_opinion.classifier_embed`: its
recent-embeddings cache, no second encoder pass), fitted with the team's hand-written benign
short turns against every short training row of the prompt model's pool, harmful or benign, and
the hand-written harmful short turns (`short_turns_train`): not "is it harmless?", which every
short ordinary request is too, but "does it carry no task of its own?". It is asked only about a
text **in scope** (nothing decoded, every view at most `SHORT_TOKENS` estimated tokens) whose
verdict, on the policy scale, would be held or flagged: some hazard category (ip.copyright
aside) at the hold level, none sure, no jailbreak wrapper read, and not a block the second
opinion turned into a hold (it was sure). Where its P(chat turn) reaches its point, the hazard
scores are capped just under the hold level: the turn is allowed, and still read by the full
answer judge (`CAREFUL_AT`); the verdict carries `MARK_SHORT_TURN` so the decision says why. It
never touches a sure score.

The point is chosen on the validation split only: 0.01 above the highest P(chat turn) of the
harmful validation items it is asked about, on a 0.01 grid, at least `MIN_POINT`
(bench/classifier/SHORT_TURNS_RULE.md, ST2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.heads import linear_probabilities, load_linear, save_linear
from sekimori.classify.operating import HOLD_LEVEL, JAILBREAK_AT
from sekimori.classify.reproduction import CATEGORY as REPRODUCTION
from sekimori.classify.second_opinion import Embed, belongs, sure_hazards
from sekimori.classify.segments import estimate_tokens
from sekimori.taxonomy import BY_ID, MARK_REVIEWED, MARK_SHORT_TURN, SIGNAL_JAILBREAK
from sekimori.types import Verdict

DEFAULT_DIR = Path(__file__).resolve().parent / "models" / "short_turns"
WEIGHTS_FILE = "short_turns.npz"
META_FILE = "short_turns.json"
FILES = (WEIGHTS_FILE, META_FILE)
FORMAT = 1
# In scope: every view at most this many estimated encoder tokens (half a window: about 15
# English words or 40 Japanese characters).
SHORT_TOKENS = 32
# The lowest point it may have: under it the head finds the text more likely not a chat turn.
MIN_POINT = 0.5
# How far under the hold level a capped score is.
_UNDER = 1e-4


def in_scope(text: str) -> bool:
    """A short turn: nothing decoded from it, every view at most `SHORT_TOKENS` tokens."""
    from sekimori.classify.normalize import normalize

    if not text.strip() or estimate_tokens(text) > SHORT_TOKENS:
        return False
    norm = normalize(text)
    return not norm.decoded and estimate_tokens(norm.text) <= SHORT_TOKENS


def _hazards(categories: Mapping[str, float]) -> dict[str, float]:
    return {c: float(s) for c, s in categories.items() if c in BY_ID and c != REPRODUCTION}


def asked(verdict: Verdict, sure_at: float) -> bool:
    """Whether a verdict (policy scale) is one the reading is asked about: held or flagged for a
    hazard, nothing sure (nor sure before the second opinion), no wrapper."""
    scores = verdict.categories
    if scores.get(SIGNAL_JAILBREAK, 0.0) >= JAILBREAK_AT or scores.get(MARK_REVIEWED, 0.0) > 0:
        return False
    if sure_hazards(verdict, sure_at):
        return False
    return any(s >= HOLD_LEVEL for s in _hazards(scores).values())


def _capped(categories: Mapping[str, float]) -> dict[str, float]:
    cap = HOLD_LEVEL - _UNDER
    hazards = _hazards(categories)
    out = {c: min(float(s), cap) if c in hazards else float(s) for c, s in categories.items()}
    return {**out, MARK_SHORT_TURN: 1.0}


@dataclass(frozen=True, slots=True)
class ShortTurnReading:
    """P(chat turn) of a short text, and the point from which a hold becomes an allow."""

    weight: NDArray[np.float32]  # (dim,)
    bias: float
    point: float
    figures: Mapping[str, Any] = field(default_factory=dict)
    prompt_model: str = ""  # `second_opinion.prompt_model_digest` of the model it was chosen for

    def probabilities(self, embeddings: NDArray[np.float32]) -> NDArray[np.float32]:
        return linear_probabilities(embeddings, self.weight, self.bias)

    def reconsider(self, text: str, verdict: Verdict, sure_at: float, embed: Embed) -> Verdict:
        """``verdict`` (policy scale) with its hazard scores capped under the hold level where
        the text is in scope, is asked about and reads as a chat turn; unchanged otherwise.
        ``embed`` is called only for a verdict it is asked about."""
        if not asked(verdict, sure_at) or not in_scope(text):
            return verdict
        if float(self.probabilities(embed([text]))[0]) < self.point:
            return verdict
        certain = verdict.certain
        if certain is not None:
            certain = replace(certain, categories=_capped(certain.categories))
        return replace(verdict, categories=_capped(verdict.categories), certain=certain)

    def save(self, directory: Path) -> None:
        meta = {
            "format": FORMAT,
            "prompt_model": self.prompt_model,
            "point": self.point,
            "short_tokens": SHORT_TOKENS,
            "validation": dict(self.figures),
        }
        save_linear(directory, FILES, self.weight.astype(np.float32), self.bias, meta)

    @classmethod
    def load(cls, directory: Path) -> ShortTurnReading | None:
        """The reading stored in ``directory``; None when it has none."""
        names = ("the short-turn reading", "sekimori train short-turns")
        loaded = load_linear(directory, FILES, FORMAT, names, _point)
        if loaded is None:
            return None
        weight, bias, meta, (point, prompt_model) = loaded
        return cls(weight, bias, point, meta.get("validation", {}), prompt_model)


def _point(meta: dict[str, Any]) -> tuple[float, str]:
    return float(meta["point"]), str(meta["prompt_model"])


def load_short_turns(meta: Any, directory: Path = DEFAULT_DIR) -> ShortTurnReading | None:
    """The short-turn reading for the prompt model of ``meta`` (a `PromptModelMeta`); None (with
    a warning) when there is none or it was chosen for another model (its point would be read on
    another model's scores)."""
    reading = ShortTurnReading.load(directory)
    names = ("the short-turn reading", "sekimori train short-turns", "短いターンの再確認")
    if reading is None or not belongs(reading.prompt_model, meta, directory, names):
        return None
    return reading
