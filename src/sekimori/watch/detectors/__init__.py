"""Watch detectors, one a file; each registers itself in `DETECTORS` on import."""

from sekimori.types import WatchAction
from sekimori.watch.detectors import coordinated, decomposition, distillation, extraction
from sekimori.watch.detectors.base import DETECTORS, Alert, Detector

__all__ = [
    "DETECTORS",
    "Alert",
    "Detector",
    "WatchAction",
    "coordinated",
    "decomposition",
    "distillation",
    "extraction",
]
