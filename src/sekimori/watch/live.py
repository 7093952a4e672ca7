"""The watch inside the gateway: each screened request becomes a sketch, written beside the audit.

The request path only queues a `Seen` (the prompt, the verdict's scores, sampling parameters,
ids): the sketch itself (SimHash, topic bits, markers) is computed in the writer's thread when
a batch is written, and the prompt is dropped there. So a request pays for a list append, not
for the sketch; `bench/watch/record.py` measures what the gateway pays end to end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sekimori.store.sketches import SketchRow, SketchStore
from sekimori.taxonomy import CATEGORY_IDS
from sekimori.watch.sketch import SamplingParams, make_sketch, text_features


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


def sketch_row(seen: Seen) -> SketchRow:
    hazards = [seen.scores.get(c, 0.0) for c in CATEGORY_IDS]
    sketch = make_sketch(
        text_features(seen.prompt),
        ts=seen.ts,
        key=seen.key_id,
        tenant=seen.tenant,
        session=seen.session,
        harm=max(hazards, default=0.0),  # the highest hazard score: the screen has no other
        categories=seen.scores,
        params=seen.params,
        lang=seen.lang,
        answer_chars=seen.answer_chars,
        refused=seen.refused,
        latency_ms=seen.latency_ms,
    )
    return SketchRow(seen.request_id, seen.ts, sketch.pack())


class SketchWriter:
    """What the batching recorder writes through: sketches made in its worker thread."""

    def __init__(self, store: SketchStore) -> None:
        self.store = store

    def append(self, batch: Sequence[Seen]) -> None:
        self.store.append([sketch_row(seen) for seen in batch])

    def close(self) -> None:
        self.store.close()
