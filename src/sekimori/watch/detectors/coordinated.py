"""Coordinated keys: a distillation campaign spread thin over many keys ("slow and low").

Keys driven by one script send the same sampling parameters. Per UTC day, keys are grouped by
their parameter signature (temperature, max_tokens, n, logprobs, top_logprobs); each group keeps
the day profile (`profile.py`) of at most `MAX_KEYS_PER_GROUP` keys. Every `CHECK_EVERY`
requests a group counts the keys whose profile times how sustained their day has been (active
hours, `profile.py`: a script keeps going, an evaluation team's run is a burst) reaches the
level (with `MIN_KEY_REQUESTS` requests at least); when at least `MIN_KEYS` such keys together
sent `CAMPAIGN_VOLUME` requests, the group alerts once that day, naming the keys.
A limit that matters: keys on the default parameters share one crowded group; a campaign that
copies the crowd's parameters is found only if it still fits among the group's most recent keys.
"""

from __future__ import annotations

from sekimori.types import WatchAction
from sekimori.watch.detectors.base import DETECTORS, Alert, Units, unit_name
from sekimori.watch.detectors.profile import DayProfile
from sekimori.watch.sketch import FLAG_LOGPROBS, Sketch, id64

NAME = "coordinated"
MAX_KEYS_PER_GROUP = 256
MAX_GROUPS = 4_096
MIN_KEY_REQUESTS = 30
MIN_KEYS = 3
CAMPAIGN_VOLUME = 2_000
CHECK_EVERY = 50
DEFAULT_LEVEL = 0.45  # bench/watch/run.py, train seeds 1 and 2 (the grid's lowest)


class _Group:
    __slots__ = ("alerted_day", "keys", "requests")

    def __init__(self) -> None:
        self.keys: Units[DayProfile] = Units(DayProfile, MAX_KEYS_PER_GROUP)
        self.requests = 0
        self.alerted_day = -1


def signature(sketch: Sketch) -> int:
    logprobs = sketch.has(FLAG_LOGPROBS)
    parts = (sketch.temperature, sketch.max_tokens, sketch.n, logprobs, sketch.top_logprobs)
    return id64(repr(parts))


class CoordinatedDetector:
    def __init__(self, *, level: float | None = None) -> None:
        self.level = DEFAULT_LEVEL if level is None else level
        self._groups: Units[_Group] = Units(_Group, MAX_GROUPS)

    def observe(self, sketch: Sketch) -> Alert | None:
        sig = signature(sketch)
        group = self._groups.get(sig)
        profile = group.keys.get(sketch.key)
        profile.add(sketch)
        group.requests += 1
        if group.requests % CHECK_EVERY or group.alerted_day == profile.day:
            return None
        suspects: list[tuple[int, float, int]] = []
        for key, state in group.keys.items():
            if state.day != profile.day or state.count < MIN_KEY_REQUESTS:
                continue
            features = state.features()
            score = features.profile * features.sustained
            if score >= self.level:
                suspects.append((key, score, state.count))
        volume = sum(count for _, _, count in suspects)
        if len(suspects) < MIN_KEYS or volume < CAMPAIGN_VOLUME:
            return None
        group.alerted_day = profile.day
        mean = sum(score for _, score, _ in suspects) / len(suspects)
        return Alert(
            detector=NAME,
            unit=unit_name("campaign", sig),
            ts=sketch.ts,
            score=round(mean, 3),
            level=self.level,
            action=WatchAction.HOLD,
            features={
                "keys": float(len(suspects)),
                "requests_today": float(volume),
                "mean_profile": round(mean, 3),
            },
            reason_en=(
                f"{len(suspects)} keys with the same sampling parameters sent {volume} "
                f"distillation-like requests today (mean profile {mean:.2f})"
            ),
            reason_ja=(
                f"同じサンプリング設定の {len(suspects)} 個のキーが本日、蒸留に似た要求を "
                f"{volume} 件送信（平均プロファイル {mean:.2f}）"
            ),
            keys=tuple(key for key, _, _ in suspects),
        )


@DETECTORS.register(NAME)
def _make(*, level: float | None = None) -> CoordinatedDetector:
    return CoordinatedDetector(level=level)
