"""The watch inside the gateway: each screened request becomes a sketch, written beside the audit,
and the detectors see it; an alert is acted on as the key's tenant's policy says.

The request path only queues a `Seen` (the prompt, the verdict's scores, sampling parameters,
ids): the sketch itself (SimHash, topic bits, markers) is computed in the writer's thread when
a batch is written, and the prompt is dropped there (but for the composer's bounded, in-memory
buffer of a key's last few evidence requests, `watch/compose.py`); the detectors run there too,
and impose their sanctions (`watch/actions.py`) from there. So a request pays for a list append,
not for the sketch; `bench/watch/record.py` measures what the gateway pays end to end.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import orjson

from sekimori.limits.quota import Quota
from sekimori.policy.model import PolicySet, WatchRules
from sekimori.store.sanctions import SanctionRow
from sekimori.store.sketches import AlertRow, SketchRow, SketchStore
from sekimori.types import WatchAction
from sekimori.watch.actions import Sanctions
from sekimori.watch.compose import Composer
from sekimori.watch.detectors import DETECTORS, Alert, Detector
from sekimori.watch.detectors.decomposition import NAME as DECOMPOSITION
from sekimori.watch.detectors.decomposition import DecompositionDetector
from sekimori.watch.sketch import (
    SamplingParams,
    Sketch,
    harm_of,
    id64,
    make_sketch,
    text_features,
)

log = logging.getLogger("sekimori.watch")
WEBHOOK_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class Seen:
    """One screened request as the gateway hands it over; held in memory until its batch is
    written (a flush interval), then only its sketch is kept."""

    request_id: str
    ts: float
    key_id: str
    tenant: str
    session: str  # what makes the conversation one (the gateway derives it; hashed in the sketch)
    prompt: str
    lang: str
    params: SamplingParams
    scores: Mapping[str, float]
    answer_chars: int = 0
    refused: bool = False
    latency_ms: float = 0.0


def sketch_of(seen: Seen) -> Sketch:
    return make_sketch(
        text_features(seen.prompt),
        ts=seen.ts,
        key=seen.key_id,
        tenant=seen.tenant,
        session=seen.session,
        harm=harm_of(seen.scores),
        categories=seen.scores,
        params=seen.params,
        lang=seen.lang,
        answer_chars=seen.answer_chars,
        refused=seen.refused,
        latency_ms=seen.latency_ms,
    )


def sketch_row(seen: Seen) -> SketchRow:
    return SketchRow(seen.request_id, seen.ts, sketch_of(seen).pack())


class LiveWatch:
    """What the batching recorder writes through, in its worker thread: each batch's sketches
    made and stored, every detector shown each one, and their alerts acted on."""

    def __init__(
        self,
        store: SketchStore,
        *,
        policy: Callable[[], PolicySet],
        sanctions: Sanctions,
        detectors: Sequence[Detector] | None = None,
        composer: Composer | None = None,
        decomposition: Mapping[str, Any] | None = None,
        max_keys: int = 200_000,
    ) -> None:
        self.store = store
        self.policy = policy  # the current one: the gateway reloads it
        self.sanctions = sanctions
        if detectors is None:  # every registered detector, at its defaults but `decomposition`'s
            detectors = [
                DecompositionDetector(**(decomposition or {}))
                if name == DECOMPOSITION
                else DETECTORS.get(name)()
                for name in DETECTORS.names()
            ]
        self.detectors = detectors
        # The composed reading feeds the decomposition detector; without one it has no use.
        self._decomposition = next(
            (d for d in detectors if isinstance(d, DecompositionDetector)), None
        )
        self.composer = composer if self._decomposition is not None else None
        # Sketches name keys by digest; an alert is acted on by key id (as the policy names it).
        self._keys: OrderedDict[int, tuple[str, str]] = OrderedDict()
        self._max_keys = max_keys
        self._client: httpx.Client | None = None

    def append(self, batch: Sequence[Seen]) -> None:
        rows: list[SketchRow] = []
        alerts: list[tuple[AlertRow, WatchRules]] = []
        for seen in batch:
            sketch = sketch_of(seen)
            rows.append(SketchRow(seen.request_id, seen.ts, sketch.pack()))
            self._keys[sketch.key] = (seen.key_id, seen.tenant)
            self._keys.move_to_end(sketch.key)
            if len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
            for detector in self.detectors:
                alert = detector.observe(sketch)
                if alert is not None:
                    alerts.extend(self._act(alert))
            if self.composer is not None and self._decomposition is not None:
                reading = self.composer.see(sketch, seen.prompt)
                if reading is not None:
                    alert = self._decomposition.composed(
                        sketch,
                        reading.scores,
                        texts=reading.texts,
                        passed=reading.passed,
                        parts=reading.parts,
                    )
                    if alert is not None:
                        alerts.extend(self._act(alert))
        self.store.append(rows, [row for row, _ in alerts])
        for row, rules in alerts:
            if rules.webhook:
                self._post(rules.webhook, row)

    def _act(self, alert: Alert) -> list[tuple[AlertRow, WatchRules]]:
        """One alert row per key it names, each with the action its tenant's policy chose."""
        out = []
        for digest in alert.keys:
            known = self._keys.get(digest)
            if known is None:
                continue  # a key not seen for long (evicted): the alert is still replayable
            key_id, tenant = known
            rules = self.policy().for_tenant(tenant).watch
            action = rules.action(alert.detector, alert.action)
            row = AlertRow(
                ts=alert.ts,
                detector=alert.detector,
                unit=alert.unit,
                action=action.value,
                tenant=tenant,
                key_id=key_id,
                score=alert.score,
                level=alert.level,
                category=alert.category,
                reason_en=alert.reason_en,
                reason_ja=alert.reason_ja,
                features=dict(alert.features),
            )
            impose(self.sanctions, row, rules)
            log.warning(
                "watch: %s on key %s (tenant %s): %s -> %s",
                alert.detector,
                key_id,
                tenant,
                alert.reason_en,
                action.value,
            )
            out.append((row, rules))
        return out

    def _post(self, url: str, row: AlertRow) -> None:
        """The alert to the tenant's webhook; a failure is logged, never retried."""
        if self._client is None:
            self._client = httpx.Client(timeout=WEBHOOK_TIMEOUT_S)
        body = orjson.dumps({"type": "sekimori.watch.alert", **alert_json(row)})
        try:
            self._client.post(url, content=body, headers={"content-type": "application/json"})
        except httpx.HTTPError as exc:
            log.error("watch webhook %s failed: %s", url, exc)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.store.close()


def impose(sanctions: Sanctions, row: AlertRow, rules: WatchRules) -> None:
    """The sanction the alert's action puts on its key, for the policy's `for_s` (none for an
    alert alone)."""
    if row.action == WatchAction.ALERT:
        return
    quota = rules.throttle if row.action == WatchAction.THROTTLE else Quota()
    sanction = SanctionRow(
        key_id=row.key_id,
        tenant=row.tenant,
        action=row.action,
        since=row.ts,
        until=row.ts + rules.for_s,
        detector=row.detector,
        reason_en=row.reason_en,
        reason_ja=row.reason_ja,
        quota={f: v for f, v in asdict(quota).items() if v is not None},
    )
    sanctions.impose(sanction, time.time())


def alert_json(row: AlertRow) -> dict[str, object]:
    """An alert as JSON (webhook, `watch tail --json`): every field, the key by id."""
    return {name: getattr(row, name) for name in AlertRow.__slots__} | {
        "features": dict(row.features),
        "key": f"{id64(row.key_id):016x}",
    }
