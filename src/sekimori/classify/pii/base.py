"""The detector seam: one detector per file, each registered in `DETECTORS`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sekimori.classify.pii.types import PiiSpan
from sekimori.registry import Registry


class Detector(Protocol):
    """Finds spans of its entity types in a text (offsets into that text)."""

    def __call__(self, text: str) -> Iterable[PiiSpan]: ...


DETECTORS: Registry[Detector] = Registry("pii detector")
