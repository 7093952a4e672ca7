"""Distillation by one key: a high daily volume of fresh, broad prompts asking for reasoning.

The score is the key's day profile (`profile.py`, 0..1) times how sustained its day has been
(active hours, `profile.SUSTAINED_HOURS`: a benchmark run's burst scores low, a harvesting
script that keeps going reaches 1) times a volume ramp that reaches 1 at `FULL_VOLUME` requests
a day; it is checked every `CHECK_EVERY` requests once the day has
`MIN_VOLUME`, and a key alerts at most once a day. `DEFAULT_LEVEL` was chosen on simulated
training traffic (bench/watch/run.py, train seeds); the measured rates are in
bench/watch/RESULTS.md.
"""

from __future__ import annotations

from sekimori.types import WatchAction
from sekimori.watch.detectors.base import DETECTORS, Alert, Units, unit_name
from sekimori.watch.detectors.profile import DayProfile
from sekimori.watch.sketch import Sketch

NAME = "distillation"
FULL_VOLUME = 2_000
MIN_VOLUME = 500
CHECK_EVERY = 50
DEFAULT_LEVEL = 0.3  # bench/watch/run.py, train seeds 1 and 2 (the grid's lowest)


class DistillationDetector:
    def __init__(
        self, *, level: float | None = None, max_keys: int = 200_000, record_peaks: bool = False
    ) -> None:
        self.level = DEFAULT_LEVEL if level is None else level
        # Each key's highest score, for choosing the level on simulated traffic (unbounded).
        self.peaks: dict[int, float] | None = {} if record_peaks else None
        self._keys: Units[DayProfile] = Units(DayProfile, max_keys)
        self._alerted: Units[list[int]] = Units(lambda: [-1], max_keys)

    def observe(self, sketch: Sketch) -> Alert | None:
        day = self._keys.get(sketch.key)
        day.add(sketch)
        if day.count < MIN_VOLUME or day.count % CHECK_EVERY:
            return None
        alerted = self._alerted.get(sketch.key)
        if alerted[0] == day.day and self.peaks is None:
            return None
        features = day.features()
        score = features.profile * features.sustained * min(1.0, day.count / FULL_VOLUME)
        if self.peaks is not None:
            self.peaks[sketch.key] = max(score, self.peaks.get(sketch.key, 0.0))
        if score < self.level or alerted[0] == day.day:
            return None
        alerted[0] = day.day
        values = features.as_dict()
        return Alert(
            detector=NAME,
            unit=unit_name("key", sketch.key),
            ts=sketch.ts,
            score=round(score, 3),
            level=self.level,
            action=WatchAction.THROTTLE,
            features=values,
            reason_en=(
                f"{day.count} requests today with broad, fresh prompts (coverage "
                f"{values['coverage']}, novelty {values['novelty']}), reasoning asked in "
                f"{values['reasoning_share']:.0%}, log-probabilities in "
                f"{values['logprobs_share']:.0%}, active {values['active_hours']:.0f} hours "
                "of the day: looks like distillation"
            ),
            reason_ja=(
                f"本日 {day.count} 件、幅広く新しいプロンプト（網羅度 {values['coverage']}、"
                f"新規率 {values['novelty']}）、推論の要求 {values['reasoning_share']:.0%}、"
                f"対数確率の要求 {values['logprobs_share']:.0%}、"
                f"本日 {values['active_hours']:.0f} 時間にわたり活動：蒸留の疑い"
            ),
            keys=(sketch.key,),
        )


@DETECTORS.register(NAME)
def _make(*, level: float | None = None) -> DistillationDetector:
    return DistillationDetector(level=level)
