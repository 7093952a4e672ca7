"""A key's traffic profile for one UTC day: the features that tell distillation from real work.

Distillation wants broad, systematic topic coverage, many fresh prompts, long answers,
reasoning elicitation and log-probabilities, and it keeps going: a script harvests around the
clock. Real work looks different in at least one: a batch pipeline reuses one template (narrow
template coverage), an evaluation team runs its fixed item list in a burst of an hour or two
and falls silent (and re-runs the same items on later days), an office user works office hours
and sends few requests. `sustained` says how much of the day a key has been active: its active
hours over `SUSTAINED_HOURS`, a working day and then some, so a human's day stays below 1 and a
burst far below. The detectors multiply their profile by it. A distiller that sends its whole
day in one burst and stops is, for that day, scored like a benchmark run.
State is fixed-size: a few counters and four bitmaps (24 + 256 + 1,024 + 4,096 bits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sekimori.watch.detectors.base import DAY_S
from sekimori.watch.sketch import FLAG_LOGPROBS, Sketch

_TOPIC_CELLS = 256
_TEMPLATE_CELLS = 1024
_SEEN_CELLS = 4096

# Weights of the profile score (sum 1). Set by hand from what distillation needs; the level
# the score must reach is chosen on simulated training traffic (bench/watch/run.py).
W_REASONING = 0.3
W_LOGPROBS = 0.2
W_COVERAGE = 0.3
W_NOVELTY = 0.2
SUSTAINED_HOURS = 16  # by hand: longer than an office day with overtime (see the docstring)


@dataclass(frozen=True, slots=True)
class ProfileFeatures:
    count: int
    reasoning: float
    logprobs: float
    coverage: float
    novelty: float
    answer_chars: float
    hours: int  # hours of the UTC day with at least one request

    @property
    def sustained(self) -> float:
        return min(1.0, self.hours / SUSTAINED_HOURS)

    @property
    def profile(self) -> float:
        return (
            W_REASONING * self.reasoning
            + W_LOGPROBS * self.logprobs
            + W_COVERAGE * self.coverage
            + W_NOVELTY * self.novelty
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "requests_today": float(self.count),
            "reasoning_share": round(self.reasoning, 3),
            "logprobs_share": round(self.logprobs, 3),
            "coverage": round(self.coverage, 3),
            "novelty": round(self.novelty, 3),
            "mean_answer_chars": round(self.answer_chars, 1),
            "active_hours": float(self.hours),
            "profile": round(self.profile, 3),
        }


def _fill_ratio(filled: int, draws: int, cells: int) -> float:
    """Cells filled against what `draws` uniform draws would fill: ~1 diverse, ~0 one template."""
    expected = cells * (1.0 - math.exp(-draws / cells))
    return min(1.0, filled / expected) if expected > 0 else 0.0


class DayProfile:
    __slots__ = (
        "answer_chars",
        "count",
        "day",
        "fresh",
        "hours",
        "logprobs",
        "reasoning",
        "seen",
        "seen_before",
        "templates",
        "topics",
    )

    def __init__(self) -> None:
        self.day = -1
        self.count = self.reasoning = self.logprobs = self.fresh = self.answer_chars = 0
        self.topics = self.templates = self.hours = 0  # bitmaps
        self.seen = 0  # templates seen today (bitmap)
        self.seen_before = 0  # templates seen on earlier days

    def add(self, sketch: Sketch) -> bool:
        """Counts the sketch; True when it started a new day (the counters were reset)."""
        day = int(sketch.ts // DAY_S)
        new_day = day != self.day
        if new_day:
            self.seen_before |= self.seen
            self.day = day
            self.count = self.reasoning = self.logprobs = self.fresh = self.answer_chars = 0
            self.topics = self.templates = self.seen = self.hours = 0
        self.count += 1
        self.reasoning += sketch.reasoning > 0
        self.logprobs += sketch.has(FLAG_LOGPROBS) or sketch.top_logprobs > 0
        self.answer_chars += sketch.answer_chars
        self.topics |= 1 << sketch.topic[0]
        self.hours |= 1 << int(sketch.ts % DAY_S // 3_600)
        self.templates |= 1 << (sketch.template >> 54)
        cell = 1 << (sketch.template & (_SEEN_CELLS - 1))
        self.fresh += not self.seen_before & cell
        self.seen |= cell
        return new_day

    def features(self) -> ProfileFeatures:
        n = max(self.count, 1)
        coverage = min(
            _fill_ratio(self.topics.bit_count(), n, _TOPIC_CELLS),
            _fill_ratio(self.templates.bit_count(), n, _TEMPLATE_CELLS),
        )
        return ProfileFeatures(
            count=self.count,
            reasoning=self.reasoning / n,
            logprobs=self.logprobs / n,
            coverage=coverage,
            novelty=self.fresh / n,
            answer_chars=self.answer_chars / n,
            hours=self.hours.bit_count(),
        )
