"""Extraction and probing by one key: system-prompt requests, fingerprinting, retries of refusals.

Per key, decayed counts (half-life `HALF_LIFE_S`) of: prompts asking for the system prompt or
hidden instructions; prompts asking which model or version this is; and near-duplicates
(template SimHash within `NEAR_BITS` bits) of the key's last `RING` refused prompts, the
rephrase-and-retry walk along the policy's edge. Retries count at most as many as the key's
refusals, and a retry must be nearer a refused prompt than any of the key's last `ACCEPTED`
accepted ones: a batch job whose prompts share one template is not walking the edge.
Retries count only while refusals are at least `WALK_SHARE` of the key's requests: a walker is
refused often, a batch job whose classifier refuses 3% of its items is not.
Score = extraction + 0.5 fingerprint + 0.5 min(retries, refusals); one alert per key per
half-life.
"""

from __future__ import annotations

import math

from sekimori.types import WatchAction
from sekimori.watch.detectors.base import DETECTORS, Alert, Units, unit_name
from sekimori.watch.sketch import FLAG_EXTRACTION, FLAG_FINGERPRINT, FLAG_REFUSED, Sketch, hamming

NAME = "extraction"
HALF_LIFE_S = 3_600.0
NEAR_BITS = 8
RING = 8
ACCEPTED = 16
WALK_SHARE = 0.2
DEFAULT_LEVEL = 4.0


class _Probe:
    __slots__ = (
        "accepted",
        "alerted_at",
        "extraction",
        "fingerprint",
        "refusals",
        "refused",
        "requests",
        "retries",
        "ts",
    )

    def __init__(self) -> None:
        self.extraction = self.fingerprint = self.retries = self.refusals = self.requests = 0.0
        self.ts = 0.0
        self.alerted_at = -math.inf
        self.refused: list[int] = []
        self.accepted: list[int] = []


class ExtractionDetector:
    def __init__(self, *, level: float | None = None, max_keys: int = 200_000) -> None:
        self.level = DEFAULT_LEVEL if level is None else level
        self._keys: Units[_Probe] = Units(_Probe, max_keys)

    def observe(self, sketch: Sketch) -> Alert | None:
        state = self._keys.get(sketch.key)
        keep = math.exp2(-max(0.0, sketch.ts - state.ts) / HALF_LIFE_S)
        state.ts = sketch.ts
        state.extraction = state.extraction * keep + sketch.has(FLAG_EXTRACTION)
        state.fingerprint = state.fingerprint * keep + sketch.has(FLAG_FINGERPRINT)
        to_refused = min((hamming(sketch.template, r) for r in state.refused), default=64)
        to_accepted = min((hamming(sketch.template, a) for a in state.accepted), default=64)
        retry = to_refused <= NEAR_BITS and to_refused < to_accepted
        state.retries = state.retries * keep + retry
        state.refusals = state.refusals * keep + sketch.has(FLAG_REFUSED)
        state.requests = state.requests * keep + 1
        if sketch.has(FLAG_REFUSED):
            state.refused = [*state.refused[-(RING - 1) :], sketch.template]
        else:
            state.accepted = [*state.accepted[-(ACCEPTED - 1) :], sketch.template]
        walking = state.refusals >= WALK_SHARE * state.requests
        walk = min(state.retries, state.refusals) if walking else 0.0
        score = state.extraction + 0.5 * state.fingerprint + 0.5 * walk
        if score < self.level or sketch.ts - state.alerted_at < HALF_LIFE_S:
            return None
        state.alerted_at = sketch.ts
        return Alert(
            detector=NAME,
            unit=unit_name("key", sketch.key),
            ts=sketch.ts,
            score=round(score, 2),
            level=self.level,
            action=WatchAction.ALERT,
            features={
                "extraction_attempts": round(state.extraction, 2),
                "fingerprint_probes": round(state.fingerprint, 2),
                "retries_after_refusal": round(state.retries, 2),
            },
            reason_en=(
                f"in the last hour or so: {state.extraction:.1f} system-prompt requests, "
                f"{state.fingerprint:.1f} model-fingerprint probes, {state.retries:.1f} "
                "rephrased retries of refused prompts"
            ),
            reason_ja=(
                f"直近およそ1時間：システムプロンプトの要求 {state.extraction:.1f} 件、"
                f"モデル特定の探り {state.fingerprint:.1f} 件、拒否後の言い換え再試行 "
                f"{state.retries:.1f} 件"
            ),
            keys=(sketch.key,),
        )


@DETECTORS.register(NAME)
def _make(*, level: float | None = None) -> ExtractionDetector:
    return ExtractionDetector(level=level)
