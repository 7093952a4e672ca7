"""Decomposition: hazard evidence that accumulates across turns that each passed the screen.

A question split into innocent-looking steps passes one by one; its steps still carry some
score in the category they lead to. Per session and per key (so that steps spread over
sessions add up), each category keeps a decayed sum of `max(0, score - FLOOR)` over requests
that were not refused; a unit alerts once per category when a sum reaches the level.
Session sums never decay (a session is one conversation); key sums halve every `KEY_HALF_LIFE_S`.
A busy key gathers some evidence by chance (ordinary prompts score a little too), so a key's
sum is compared after subtracting `base` times its decayed request count; `base` is the mean
gain of a benign request, measured on simulated training traffic like `FLOOR` and
`DEFAULT_LEVEL` (bench/watch/run.py).
State: one float per watched category per unit.
"""

from __future__ import annotations

import math

from sekimori.taxonomy import CATEGORIES, Tier, category
from sekimori.types import WatchAction
from sekimori.watch.detectors.base import DETECTORS, Alert, Units, unit_name
from sekimori.watch.sketch import FLAG_REFUSED, SCORE_IDS, Sketch, hamming

NAME = "decomposition"
WATCHED: tuple[str, ...] = tuple(c.id for c in CATEGORIES if c.tier is not Tier.MODERATE)
_INDEX = tuple(SCORE_IDS.index(cid) for cid in WATCHED)
# Chosen by bench/watch/run.py on train seeds 1 and 2 (floor from 0.1-0.4, then the level).
FLOOR = 0.1
DEFAULT_LEVEL = 0.5
KEY_HALF_LIFE_S = 3 * 86_400.0
# A prompt sent again (template within NEAR_BITS of one of the unit's last RECENT evidence
# prompts) adds nothing: a batch job repeating one borderline item is not a campaign.
RECENT = 16
BASE = 0.00384
NEAR_BITS = 3


class _Evidence:
    __slots__ = ("alerted", "count", "count_ts", "recent", "sums", "ts")

    def __init__(self) -> None:
        self.sums = [0.0] * len(WATCHED)
        self.count = 0.0  # requests (decayed like the sums), evidence or not
        self.count_ts = 0.0
        self.ts = 0.0
        self.alerted = 0  # bitmap over WATCHED
        self.recent: list[int] = []  # templates that added evidence lately (at most RECENT)


class DecompositionDetector:
    def __init__(
        self,
        *,
        level: float | None = None,
        floor: float = FLOOR,
        base: float = BASE,
        max_units: int = 500_000,
        record_peaks: bool = False,
    ) -> None:
        self.level = DEFAULT_LEVEL if level is None else level
        self.floor = floor
        self.base = base
        # Each (unit kind, unit, category)'s highest sum, for choosing the level (unbounded).
        self.peaks: dict[tuple[str, int, str], float] | None = {} if record_peaks else None
        self._sessions: Units[_Evidence] = Units(_Evidence, max_units)
        self._keys: Units[_Evidence] = Units(_Evidence, max_units)

    def observe(self, sketch: Sketch) -> Alert | None:
        key_state = self._keys.get(sketch.key)
        session_state = self._sessions.get(sketch.session)
        self._count(key_state, sketch.ts, KEY_HALF_LIFE_S)
        self._count(session_state, sketch.ts, None)
        if sketch.has(FLAG_REFUSED):
            return None  # refused steps gave nothing; the extraction detector sees retries
        gains = [max(0.0, sketch.scores[i] / 255 - self.floor) for i in _INDEX]
        if not any(gains):
            return None
        session = self._add(session_state, gains, sketch, None)
        key = self._add(key_state, gains, sketch, KEY_HALF_LIFE_S)
        self._record("session", sketch.session, session)
        self._record("key", sketch.key, key)
        # One alert a request: a key crossing shadowed here is raised with its next evidence.
        return self._crossed(session, "session", sketch.session, sketch) or self._crossed(
            key, "key", sketch.key, sketch
        )

    def _record(self, kind: str, unit: int, state: _Evidence) -> None:
        if self.peaks is None:
            return
        for cid, total in zip(WATCHED, self._excess(state), strict=True):
            if total > 0:
                self.peaks[(kind, unit, cid)] = max(total, self.peaks.get((kind, unit, cid), 0.0))

    @staticmethod
    def _add(
        state: _Evidence, gains: list[float], sketch: Sketch, half_life: float | None
    ) -> _Evidence:
        if any(hamming(sketch.template, t) <= NEAR_BITS for t in state.recent):
            return state
        state.recent = [*state.recent[-(RECENT - 1) :], sketch.template]
        keep = 1.0 if half_life is None else math.exp2(-max(0.0, sketch.ts - state.ts) / half_life)
        state.sums = [s * keep + g for s, g in zip(state.sums, gains, strict=True)]
        state.ts = sketch.ts
        return state

    @staticmethod
    def _count(state: _Evidence, ts: float, half_life: float | None) -> None:
        keep = 1.0 if half_life is None else math.exp2(-max(0.0, ts - state.count_ts) / half_life)
        state.count = state.count * keep + 1
        state.count_ts = ts

    def _excess(self, state: _Evidence) -> list[float]:
        """The sums less what the unit's request count gathers by chance."""
        return [s - self.base * state.count for s in state.sums]

    def _crossed(self, state: _Evidence, kind: str, unit: int, sketch: Sketch) -> Alert | None:
        for i, total in enumerate(self._excess(state)):
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
                features={
                    "requests": round(state.count, 1),
                    **{WATCHED[j]: round(s, 3) for j, s in enumerate(state.sums) if s > 0},
                },
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
