"""What the gateway does about an alert: the tenant's policy picks the action, this keeps it.

The live watch (`watch/live.py`) imposes a `Sanction` on a key from its writer thread; the
gateway reads it on the event loop when the key's next request arrives (`gateway/limiting.py`):
a suspended key is refused (403), a throttled key is counted against the lower limit through
`sekimori.limits` (429 with Retry-After beyond it), a held key's answers are held until the
answer screen has passed them whole and each request is flagged. A sanction lapses after the
policy's `watch.for_s`. Each replica keeps its own (its detectors see its own traffic); the
alerts that imposed them are in the watch's store, and a restarted gateway imposes again those
still in force.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sekimori.limits.quota import Quota
from sekimori.types import WatchAction


@dataclass(frozen=True, slots=True)
class Sanction:
    action: WatchAction  # never ALERT: an alert alone changes nothing for the key
    until: float  # epoch seconds
    detector: str
    reason_en: str
    reason_ja: str
    quota: Quota | None = None  # the lower limit of a throttle


_RANK = {WatchAction.THROTTLE: 1, WatchAction.HOLD: 2, WatchAction.SUSPEND: 3}


class Sanctions:
    """Per key id, the sanction in force: the strongest, then the longest."""

    def __init__(self) -> None:
        self._by_key: dict[str, Sanction] = {}
        self._lock = threading.Lock()

    def impose(self, key_id: str, sanction: Sanction) -> None:
        if sanction.action is WatchAction.ALERT:
            return
        with self._lock:
            now = self._by_key.get(key_id)
            if now is None or (_RANK[sanction.action], sanction.until) > (
                _RANK[now.action],
                now.until,
            ):
                self._by_key[key_id] = sanction

    def get(self, key_id: str, now: float) -> Sanction | None:
        sanction = self._by_key.get(key_id)
        if sanction is None or sanction.until > now:
            return sanction
        with self._lock:  # lapsed: forget it (unless a new one came meanwhile)
            if self._by_key.get(key_id) is sanction:
                del self._by_key[key_id]
        return None

    def __len__(self) -> int:
        return len(self._by_key)
