"""What the gateway does about an alert: the tenant's policy picks the action, this keeps it.

The live watch (`watch/live.py`) imposes a sanction on a key from its writer thread, into the
shared sanction store (`store/sanctions.py`: Redis beside the limits, else the watch's
database), so every worker and replica enforces it; each process reads the store every
`REFRESH_S` into memory, and the gateway applies what it read on the event loop when the key's
next request arrives (`gateway/limiting.py`): a suspended key is refused (403), a throttled key
is counted against the lower limit through `sekimori.limits` (429 with Retry-After beyond it),
a held key's answers are held until the answer screen has passed them whole and each request
is flagged. A sanction lapses after the policy's `watch.for_s`, or when an operator lifts it
(`sekimori watch lift`), within `REFRESH_S` everywhere.
"""

from __future__ import annotations

import logging
import threading

from sekimori.errors import StoreError
from sekimori.limits.quota import Quota
from sekimori.store.sanctions import SanctionRow, SanctionStore

log = logging.getLogger("sekimori.watch")
REFRESH_S = 1.0  # how stale a process's view of the shared sanctions may be


def quota_of(row: SanctionRow) -> Quota:
    """A throttle's lower limit."""
    return Quota(**row.quota)


class Sanctions:
    """Per key id, the sanction in force: the strongest, then the longest. With a store, what the
    store held at the last `refresh` and what this process imposed since; without one (tests,
    `watch.sketches: false`), this process's own."""

    def __init__(self, store: SanctionStore | None = None) -> None:
        self.store = store
        self._by_key: dict[str, SanctionRow] = {}
        self._lock = threading.Lock()

    def impose(self, row: SanctionRow, now: float) -> None:
        """Blocks on the store: called from the watch's writer thread. When the store fails, the
        sanction holds in this process only (logged)."""
        try:
            if self.store is not None and not self.store.impose(row, now):
                return
        except StoreError as exc:
            log.error("%s; the sanction on key %s holds in this process only", exc, row.key_id)
        with self._lock:
            if row.outranks(self._by_key.get(row.key_id), now):
                self._by_key[row.key_id] = row

    def refresh(self, now: float) -> None:
        """Replace this process's view with the store's (blocks); lifted and lapsed ones go."""
        if self.store is None:
            return
        fresh = {row.key_id: row for row in self.store.active(now)}
        with self._lock:
            self._by_key = fresh

    def get(self, key_id: str, now: float) -> SanctionRow | None:
        sanction = self._by_key.get(key_id)
        if sanction is None or sanction.until > now:
            return sanction
        with self._lock:  # lapsed: forget it (unless a new one came meanwhile)
            if self._by_key.get(key_id) is sanction:
                del self._by_key[key_id]
        return None

    def __len__(self) -> int:
        return len(self._by_key)
