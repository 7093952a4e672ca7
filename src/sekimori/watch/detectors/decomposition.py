"""Decomposition: hazard evidence that accumulates across turns that each passed the screen.

A question split into innocent-looking steps passes one by one; its steps still carry some
score in the category they lead to. Per session and per key (so that steps spread over
sessions add up), each category keeps a decayed sum of `max(0, score - FLOOR)` over requests
that were not refused; a unit alerts once per category when a sum reaches the level.
Session sums never decay (a session is one conversation); key sums halve every `KEY_HALF_LIFE_S`.
`FLOOR` and `DEFAULT_LEVEL` were chosen on simulated training traffic (bench/watch/run.py).
State: one float per watched category per unit.
"""

from __future__ import annotations

import math

from sekimori.taxonomy import CATEGORIES, Tier, category
from sekimori.watch.detectors.base import DETECTORS, Alert, Units, WatchAction, unit_name
from sekimori.watch.sketch import FLAG_REFUSED, SCORE_IDS, Sketch

NAME = "decomposition"
WATCHED: tuple[str, ...] = tuple(c.id for c in CATEGORIES if c.tier is not Tier.MODERATE)
_INDEX = tuple(SCORE_IDS.index(cid) for cid in WATCHED)
FLOOR = 0.1
DEFAULT_LEVEL = 0.8
KEY_HALF_LIFE_S = 3 * 86_400.0


class _Evidence:
    __slots__ = ("alerted", "sums", "ts")

    def __init__(self) -> None:
        self.sums = [0.0] * len(WATCHED)
        self.ts = 0.0
        self.alerted = 0  # bitmap over WATCHED


class DecompositionDetector:
    def __init__(
        self, *, level: float | None = None, floor: float = FLOOR, max_units: int = 500_000
    ) -> None:
        self.level = DEFAULT_LEVEL if level is None else level
        self.floor = floor
        self._sessions: Units[_Evidence] = Units(_Evidence, max_units)
        self._keys: Units[_Evidence] = Units(_Evidence, max_units)

    def observe(self, sketch: Sketch) -> Alert | None:
        if sketch.has(FLAG_REFUSED):
            return None  # refused steps gave nothing; the extraction detector sees retries
        gains = [max(0.0, sketch.scores[i] / 255 - self.floor) for i in _INDEX]
        if not any(gains):
            return None
        session = self._add(self._sessions.get(sketch.session), gains, sketch.ts, None)
        key = self._add(self._keys.get(sketch.key), gains, sketch.ts, KEY_HALF_LIFE_S)
        found = self._crossed(session, "session", sketch.session, sketch) or self._crossed(
            key, "key", sketch.key, sketch
        )
        return found

    @staticmethod
    def _add(state: _Evidence, gains: list[float], ts: float, half_life: float | None) -> _Evidence:
        keep = 1.0 if half_life is None else math.exp2(-max(0.0, ts - state.ts) / half_life)
        state.sums = [s * keep + g for s, g in zip(state.sums, gains, strict=True)]
        state.ts = ts
        return state

    def _crossed(self, state: _Evidence, kind: str, unit: int, sketch: Sketch) -> Alert | None:
        for i, total in enumerate(state.sums):
            if total < self.level or state.alerted & (1 << i):
                continue
            state.alerted |= 1 << i
            cat = category(WATCHED[i])
            return Alert(
                detector=NAME,
                unit=unit_name(kind, unit),
                ts=sketch.ts,
                score=round(total, 3),
                level=self.level,
                action=WatchAction.HOLD if cat.tier is Tier.CATASTROPHIC else WatchAction.ALERT,
                features={WATCHED[j]: round(s, 3) for j, s in enumerate(state.sums) if s > 0},
                reason_en=(
                    f"{cat.name_en}: evidence {total:.2f} accumulated over requests in this "
                    f"{kind} that each passed (level {self.level})"
                ),
                reason_ja=(
                    f"{cat.name_ja}：個々には通過した要求の積み重ねで証拠が {total:.2f} に達した"
                    f"（{'セッション' if kind == 'session' else 'キー'}単位、基準 {self.level}）"
                ),
                category=cat.id,
                keys=(sketch.key,),
            )
        return None


@DETECTORS.register(NAME)
def _make(*, level: float | None = None) -> DecompositionDetector:
    return DecompositionDetector(level=level)
