"""A second reading of a prompt the classifier is sure is harmful: it may turn a block into a hold.

The prompt classifier's heads read topic more than intent: "write a function to generate
cryptographically secure random numbers" reaches cyber.offense's sure point, "how can I annihilate
the bed bugs in my house?" weapons.bio's. The second opinion is one logistic head on the prompt
classifier's own encoder embedding of the text (its first piece, as the classifier reads the
whole; usually still in the classifier's recent-embeddings cache, so no second encoder pass),
fitted only on the *region that matters*: the training-split rows the classifier scores at or
above a tier's hold point, harmful against the benign ones there, the hard negatives that the
heads, fitted on every row, outweigh (`second_opinion_train`). Hashed character n-grams were tried
first and held almost none of the benign sure blocks (bench/classifier/SECOND_OPINION.md).

It is asked only about a prompt whose sure-eligible scores (`Verdict.certain`) reach the sure
level in some hazard category (ip.copyright, scored by its own detector, aside), and only when no
jailbreak wrapper is read (`attack.jailbreak` under `JAILBREAK_AT`). The prompt's *blocking
tier* is the strictest tier among those sure categories. Where the head's probability of harm is
under that tier's point, the sure-eligible hazard scores are capped just under the sure level:
the policy engine then holds the request (the answer judge reads the whole answer before any of
it is released) exactly as it holds an unsure block. It never lowers a score the policy acts on:
a request it reconsiders is still stopped (held), never allowed. The verdict carries `REVIEWED`
(1.0) so the decision can say why it was held.

The points are chosen per tier on the validation split only: the highest level at which none of
the catastrophic and at most 2% of the severe and moderate harmful validation prompts the
classifier blocks surely would be held (bench/classifier/SECOND_OPINION.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.heads import linear_probabilities, load_linear, save_linear
from sekimori.classify.operating import JAILBREAK_AT
from sekimori.classify.reproduction import CATEGORY as REPRODUCTION
from sekimori.taxonomy import BY_ID, MARK_REVIEWED, SELF_HARM, SIGNAL_JAILBREAK, Tier
from sekimori.types import Verdict

if TYPE_CHECKING:
    from sekimori.classify.prompt import PromptClassifier

DEFAULT_DIR = Path(__file__).resolve().parent / "models" / "second_opinion"
WEIGHTS_FILE = "second_opinion.npz"
META_FILE = "second_opinion.json"
FILES = (WEIGHTS_FILE, META_FILE)
FORMAT = 1
REVIEWED = MARK_REVIEWED
# How far under the sure level a reconsidered score is capped.
_UNDER = 1e-4
STRICTEST: tuple[Tier, ...] = (Tier.CATASTROPHIC, Tier.SEVERE, Tier.MODERATE)

log = logging.getLogger(__name__)

Embed = Callable[[Sequence[str]], NDArray[np.float32]]  # texts -> one embedding row each


def first_piece(text: str, segment_chars: int) -> str:
    """The piece of ``text`` the classifier reads first when it reads the whole."""
    from sekimori.classify.prompt import segments, views

    return next((s for v in views(text) for s in segments(v, segment_chars)), text)


def classifier_embed(classifier: PromptClassifier) -> Embed:
    """The classifier's own embedding of each text's first piece (its recent-embeddings cache
    first: scoring the text has usually just embedded that piece)."""
    size = classifier.model.meta.segment_chars

    def embed(texts: Sequence[str]) -> NDArray[np.float32]:
        pieces = [first_piece(t, size) for t in texts]
        return classifier.recent.embed(classifier.encoder, pieces)

    return embed


def prompt_model_digest(meta: Any) -> str:
    """What ties a second opinion to the prompt model it was chosen for (a `PromptModelMeta`): its
    training data's fingerprint and its operating points (the scale its points are on)."""
    data = getattr(meta, "data", None) or {}
    key = {"fingerprint": data.get("fingerprint"), "points": meta.operating_points}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def sure_hazards(verdict: Verdict, sure_at: float) -> dict[str, float]:
    """The hazard categories (ip.copyright aside) whose sure-eligible score reaches ``sure_at``."""
    certain = verdict.certain or verdict
    return {
        c: float(s)
        for c, s in certain.categories.items()
        if c in BY_ID and c != REPRODUCTION and s >= sure_at
    }


def blocking_tier(verdict: Verdict, sure_at: float) -> Tier | None:
    """The strictest tier the classifier is sure of in ``verdict``; None: none, or a jailbreak
    wrapper is read, or self-harm is among the sure hazards (the second opinion leaves those
    alone: blocked, self-harm gets the support answer, which a hold would trade for the
    upstream's)."""
    if verdict.categories.get(SIGNAL_JAILBREAK, 0.0) >= JAILBREAK_AT:
        return None
    sure = sure_hazards(verdict, sure_at)
    if SELF_HARM in sure:
        return None
    tiers = {BY_ID[c].tier for c in sure}
    return next((t for t in STRICTEST if t in tiers), None)


@dataclass(frozen=True, slots=True)
class SecondOpinion:
    """P(harmful) of a prompt the classifier is sure of, and the point per tier under which a
    sure block becomes a hold."""

    weight: NDArray[np.float32]  # (dim,)
    bias: float
    points: Mapping[Tier, float]
    figures: Mapping[str, Any] = field(default_factory=dict)
    prompt_model: str = ""  # `prompt_model_digest` of the model it was chosen for

    def probabilities(self, embeddings: NDArray[np.float32]) -> NDArray[np.float32]:
        """P(harmful) of each embedding row."""
        return linear_probabilities(embeddings, self.weight, self.bias)

    def reconsider(self, text: str, verdict: Verdict, sure_at: float, embed: Embed) -> Verdict:
        """``verdict`` (on the policy scale), its sure hazard scores capped under ``sure_at``
        where the second reading finds no harmful intent; unchanged otherwise. ``embed`` is
        called only for a verdict the second opinion is asked about."""
        tier = blocking_tier(verdict, sure_at)
        if tier is None:
            return verdict
        probability = float(self.probabilities(embed([text]))[0])
        if probability >= self.points.get(tier, 0.0):
            return verdict
        certain = verdict.certain or verdict
        cap = sure_at - _UNDER
        capped = {
            c: min(float(s), cap) if c in BY_ID and c != REPRODUCTION else float(s)
            for c, s in certain.categories.items()
        }
        marked = {**verdict.categories, REVIEWED: 1.0}
        return replace(
            verdict,
            categories=marked,
            certain=replace(certain, categories={**capped, REVIEWED: 1.0}, certain=None),
        )

    def save(self, directory: Path) -> None:
        meta = {
            "format": FORMAT,
            "prompt_model": self.prompt_model,
            "points": {t.value: self.points[t] for t in STRICTEST if t in self.points},
            "validation": dict(self.figures),
        }
        save_linear(directory, FILES, self.weight.astype(np.float32), self.bias, meta)

    @classmethod
    def load(cls, directory: Path) -> SecondOpinion | None:
        """The second opinion stored in ``directory``; None when it has none."""
        names = ("the second opinion", "sekimori train second-opinion")
        loaded = load_linear(directory, FILES, FORMAT, names, _points)
        if loaded is None:
            return None
        weight, bias, meta, (points, prompt_model) = loaded
        return cls(weight, bias, points, meta.get("validation", {}), prompt_model)


def _points(meta: dict[str, Any]) -> tuple[dict[Tier, float], str]:
    """The points per tier and the prompt model's digest, from the metadata."""
    return {Tier(t): float(p) for t, p in meta["points"].items()}, str(meta["prompt_model"])


def belongs(digest: str, meta: Any, directory: Path, names: tuple[str, str, str]) -> bool:
    """Whether a reading stored in ``directory`` with ``digest`` was chosen for the prompt model of
    ``meta`` (its points are on that model's scale); warns when not. ``names``: the reading, the
    command that rebuilds it, and the reading in Japanese."""
    if digest == prompt_model_digest(meta):
        return True
    what, command, what_ja = names
    log.warning(
        "%s in %s was chosen for another prompt model; it is off until `%s` rebuilds it / "
        "別のモデル用の%sのため無効です",
        what,
        directory,
        command,
        what_ja,
    )
    return False


def load_second_opinion(meta: Any, directory: Path = DEFAULT_DIR) -> SecondOpinion | None:
    """The second opinion for the prompt model of ``meta``; None (with a warning) when there is
    none or it was chosen for another model (its points would be on another scale)."""
    second = SecondOpinion.load(directory)
    names = ("the second opinion", "sekimori train second-opinion", "再確認モデル")
    if second is None or not belongs(second.prompt_model, meta, directory, names):
        return None
    return second
