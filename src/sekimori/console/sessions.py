"""Console sessions, CSRF tokens and the login throttle, all in this process's memory.

A session id is 256 random bits in an HttpOnly, SameSite=Strict cookie (Secure when the request
came over TLS); its CSRF token goes in every form and must come back with every POST. Sessions
end after `IDLE_S` without a request and on logout; a restart ends them all (log in again).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

IDLE_S = 30 * 60
MAX_SESSIONS = 1000
# Failed logins allowed per client address (and per account name) in WINDOW_S.
MAX_FAILURES = 5
WINDOW_S = 60.0


@dataclass(slots=True)
class Session:
    admin: str  # the account name, or "token" for the admin token
    csrf: str
    seen: float = field(default_factory=time.monotonic)


class Sessions:
    def __init__(self, idle_s: float = IDLE_S) -> None:
        self._idle = idle_s
        self._by_id: dict[str, Session] = {}

    def open(self, admin: str) -> tuple[str, Session]:
        now = time.monotonic()
        self._by_id = {k: s for k, s in self._by_id.items() if now - s.seen < self._idle}
        if len(self._by_id) >= MAX_SESSIONS:  # the oldest goes: memory stays bounded
            del self._by_id[min(self._by_id, key=lambda k: self._by_id[k].seen)]
        sid = secrets.token_urlsafe(32)
        session = Session(admin, secrets.token_urlsafe(32))
        self._by_id[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        session = self._by_id.get(sid or "")
        if session is None:
            return None
        now = time.monotonic()
        if now - session.seen >= self._idle:
            del self._by_id[sid or ""]
            return None
        session.seen = now
        return session

    def close(self, sid: str | None) -> None:
        self._by_id.pop(sid or "", None)


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class Throttle:
    """Counts failed logins per key (a client address, an account name) in a sliding window."""

    def __init__(self, limit: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self._limit = limit
        self._window = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self._window:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login may be tried again; 0: it may now."""
        now = time.monotonic()
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self._limit:
                wait = max(wait, self._window - (now - times[0]))
        return int(wait) + 1 if wait else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            self._recent(key, now).append(now)
        if len(self._failures) > 10_000:  # a flood of names: forget the idle ones
            self._failures = {k: v for k, v in self._failures.items() if self._recent(k, now)}
