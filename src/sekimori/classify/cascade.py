"""The cascade: prompts the classifier is unsure of go to a judge (an LLM) for the final word.

The classifier is cheap and decides most traffic alone; a score inside the uncertain band
`[low, high)` is escalated to a `PromptJudge` (the OpenAI-compatible one is
`sekimori.upstream.judge.OpenAIJudge`; this module does no I/O itself). The judge's ruling moves
the verdict across the classifier's threshold and no further: a harmful ruling raises the score
to at least the threshold (and the named category with it), a benign one lowers it just under,
capping the categories, so every consumer that reads scores (the policy engine) agrees with the
ruling. A judge that fails or answers nonsense leaves the classifier's verdict as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sekimori.errors import ConfigError
from sekimori.taxonomy import BY_ID, SIGNALS
from sekimori.types import JudgeRuling, Verdict

# How far under the threshold a benign ruling puts the score (it must read as not harmful).
BELOW = 1e-3


class PromptJudge(Protocol):
    def rule(self, texts: Sequence[str]) -> list[JudgeRuling | None]:
        """One ruling per text, None where the judge gave no usable answer. Blocking."""
        ...


class BatchClassifier(Protocol):
    @property
    def threshold(self) -> float: ...

    def classify_batch(self, texts: Sequence[str]) -> list[Verdict]: ...


@dataclass(frozen=True, slots=True)
class Band:
    """Scores in [low, high) are uncertain and escalated to the judge."""

    low: float = 0.35
    high: float = 0.85

    def __post_init__(self) -> None:
        if not 0.0 <= self.low < self.high <= 1.0:
            raise ConfigError(
                f"judge band [{self.low}, {self.high}) must satisfy 0 <= low < high <= 1",
                key="judge.band",
            )

    def __contains__(self, score: float) -> bool:
        return self.low <= score < self.high

    @classmethod
    def parse(cls, text: str) -> Band:
        """`LOW,HIGH` as written on a command line or in a settings file."""
        low, sep, high = text.partition(",")
        try:
            if not sep:
                raise ValueError
            return cls(float(low), float(high))
        except ValueError:
            raise ConfigError(
                f"judge band {text!r}: expected LOW,HIGH, e.g. 0.35,0.85", key="judge.band"
            ) from None


def ruled_score(score: float, harmful: bool, threshold: float) -> float:
    """A harm score moved to the judge's side of the threshold, by as little as that takes."""
    return max(score, threshold) if harmful else min(score, max(0.0, threshold - BELOW))


def apply_ruling(verdict: Verdict, ruling: JudgeRuling, threshold: float) -> Verdict:
    """The verdict moved to agree with the judge, by as little as that takes."""
    categories = dict(verdict.categories)
    score = ruled_score(verdict.score, ruling.harmful, threshold)
    if ruling.harmful:
        named = ruling.category if ruling.category in BY_ID else None
        if named is not None:
            categories[named] = max(categories.get(named, 0.0), score)
        hazards = {c: s for c, s in categories.items() if c in BY_ID}
        top = named or (max(hazards, key=hazards.__getitem__) if hazards else verdict.top)
    else:
        for cid, value in categories.items():
            if cid not in SIGNALS:
                categories[cid] = min(value, score)
        top = None
    return replace(
        verdict,
        harmful=ruling.harmful,
        score=round(score, 6),
        categories=categories,
        top=top,
        source=f"{verdict.source}+judge",
    )


@dataclass(frozen=True, slots=True)
class CascadeStats:
    escalated: int = 0
    failed: int = 0  # escalated, but the judge gave no usable ruling
    overturned: int = 0  # the ruling differed from the classifier's verdict


class CascadeClassifier:
    """A classifier whose uncertain verdicts a judge decides; a `BatchClassifier` itself."""

    def __init__(self, classifier: BatchClassifier, judge: PromptJudge, band: Band) -> None:
        self.classifier = classifier
        self.judge = judge
        self.band = band
        self.stats = CascadeStats()

    @property
    def threshold(self) -> float:
        return self.classifier.threshold

    def classify_batch(self, texts: Sequence[str]) -> list[Verdict]:
        verdicts = self.classifier.classify_batch(texts)
        unsure = [i for i, v in enumerate(verdicts) if v.score in self.band]
        if not unsure:
            return verdicts
        rulings = self.judge.rule([texts[i] for i in unsure])
        failed = overturned = 0
        for i, ruling in zip(unsure, rulings, strict=True):
            if ruling is None:
                failed += 1
                continue
            overturned += ruling.harmful != verdicts[i].harmful
            verdicts[i] = apply_ruling(verdicts[i], ruling, self.threshold)
        s = self.stats
        self.stats = CascadeStats(
            s.escalated + len(unsure), s.failed + failed, s.overturned + overturned
        )
        return verdicts
