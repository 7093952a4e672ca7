"""Runs detectors over sketches in time order and collects their alerts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sekimori.watch.detectors import DETECTORS, Alert, Detector
from sekimori.watch.sketch import Sketch


@dataclass(frozen=True, slots=True)
class Replay:
    alerts: list[Alert]
    sketches: int


def replay(
    sketches: Iterable[Sketch],
    names: Sequence[str] | None = None,
    levels: Mapping[str, float] | None = None,
) -> Replay:
    """Each named detector (all registered when None) sees every sketch; alerts in time order."""
    chosen = list(names) if names is not None else DETECTORS.names()
    levels = levels or {}
    return run_detectors([DETECTORS.get(name)(level=levels.get(name)) for name in chosen], sketches)


def run_detectors(detectors: Sequence[Detector], sketches: Iterable[Sketch]) -> Replay:
    alerts: list[Alert] = []
    count = 0
    for sketch in sketches:
        count += 1
        for detector in detectors:
            alert = detector.observe(sketch)
            if alert is not None:
                alerts.append(alert)
    return Replay(alerts, count)
