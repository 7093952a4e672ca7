"""What every watch detector shares: the protocol, the alert it raises, bounded per-unit state.

A detector sees sketches one at a time, in time order, and keeps a small fixed-size state per
unit (a key, a session): the work per sketch is O(1) amortised and memory is bounded by
`max_units` (the least recently seen unit is dropped first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sekimori.registry import Registry
from sekimori.types import WatchAction  # the watch proposes one; the tenant's policy decides
from sekimori.watch.sketch import Sketch

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Alert:
    """A detector's finding about one unit, with the features that drove it."""

    detector: str
    unit: str  # "key:<hex>", "session:<hex>" or "campaign:<hex>"
    ts: float
    score: float
    level: float
    action: WatchAction
    features: Mapping[str, float]
    reason_en: str
    reason_ja: str
    category: str | None = None
    keys: tuple[int, ...] = ()  # the keys involved (one for key-level alerts)

    def reason(self, lang: str) -> str:
        return self.reason_ja if lang == "ja" else self.reason_en


class Detector(Protocol):
    """Sees one sketch; returns an alert when a unit crosses the level, else None."""

    def observe(self, sketch: Sketch) -> Alert | None: ...


class DetectorFactory(Protocol):
    def __call__(self, *, level: float | None = None) -> Detector: ...


DETECTORS: Registry[DetectorFactory] = Registry("watch detector")

S = TypeVar("S")


class Units(Generic[S]):
    """Per-unit state, at most `max_units` of them; the least recently seen is evicted."""

    def __init__(self, make: Callable[[], S], max_units: int) -> None:
        self._make = make
        self._max = max_units
        self._items: OrderedDict[int, S] = OrderedDict()

    def get(self, unit: int) -> S:
        state = self._items.get(unit)
        if state is None:
            state = self._items[unit] = self._make()
            if len(self._items) > self._max:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(unit)
        return state

    def items(self) -> Iterator[tuple[int, S]]:
        return iter(self._items.items())

    def __len__(self) -> int:
        return len(self._items)


def unit_name(kind: str, value: int) -> str:
    return f"{kind}:{value:016x}"
