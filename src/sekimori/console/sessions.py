"""Console sessions and the login throttle, in `console.db` in the data directory.

A file, not memory: `sekimori serve --workers N` runs N processes behind one port, and a login
answered by one must hold on the next request, whichever worker answers it (and failed logins
count across all of them). Replicas on other machines have their own data directory: put the
console behind sticky sessions, or serve it from one replica.

A session id is 256 random bits in an HttpOnly, SameSite=Strict cookie (Secure when the request
came over TLS); only its sha256 is stored. Its CSRF token goes in every form and must come back
with every POST. Sessions end after `IDLE_S` without a request, and on logout.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sekimori.errors import StoreError
from sekimori.home import private_database

CONSOLE_DB = "console.db"
IDLE_S = 30 * 60
TOUCH_S = 60.0  # a session's last use is written at most this often
# Failed logins allowed per client address (and per account name) in WINDOW_S.
MAX_FAILURES = 5
WINDOW_S = 60.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  digest TEXT PRIMARY KEY, admin TEXT NOT NULL, csrf TEXT NOT NULL, seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (who TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_who ON failures (who, ts);
"""


@dataclass(frozen=True, slots=True)
class Session:
    admin: str  # the account name, or "token" for the admin token
    csrf: str


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class ConsoleStore:
    """Sessions and failed logins; every method is a short local SQLite transaction."""

    def __init__(self, home: Path, idle_s: float = IDLE_S) -> None:
        path = home / CONSOLE_DB
        self._db = private_database(path, "console", _SCHEMA)
        self.path = path
        self._idle = idle_s
        self._lock = threading.Lock()

    def _sql(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"console database {self.path}: {exc}") from None

    # -- sessions
    def open(self, admin: str) -> tuple[str, Session]:
        now = time.time()
        self._sql("DELETE FROM sessions WHERE seen < ?", (now - self._idle,))
        sid = secrets.token_urlsafe(32)
        session = Session(admin, secrets.token_urlsafe(32))
        self._sql(
            "INSERT INTO sessions (digest, admin, csrf, seen) VALUES (?, ?, ?, ?)",
            (_digest(sid), admin, session.csrf, now),
        )
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        digest = _digest(sid)
        rows = self._sql("SELECT admin, csrf, seen FROM sessions WHERE digest = ?", (digest,))
        if not rows:
            return None
        admin, csrf, seen = rows[0]
        now = time.time()
        if now - float(str(seen)) >= self._idle:
            self._sql("DELETE FROM sessions WHERE digest = ?", (digest,))
            return None
        if now - float(str(seen)) >= TOUCH_S:
            self._sql("UPDATE sessions SET seen = ? WHERE digest = ?", (now, digest))
        return Session(str(admin), str(csrf))

    def close(self, sid: str | None) -> None:
        if sid:
            self._sql("DELETE FROM sessions WHERE digest = ?", (_digest(sid),))

    # -- the login throttle
    def retry_after(self, *keys: str) -> int:
        """Seconds until a login may be tried again; 0: it may now."""
        now = time.time()
        wait = 0.0
        for key in keys:
            rows = self._sql(
                "SELECT COUNT(*), MIN(ts) FROM failures WHERE who = ? AND ts > ?",
                (key, now - WINDOW_S),
            )
            count, oldest = rows[0]
            if int(str(count)) >= MAX_FAILURES:
                wait = max(wait, WINDOW_S - (now - float(str(oldest))))
        return int(wait) + 1 if wait else 0

    def failed(self, *keys: str) -> None:
        now = time.time()
        self._sql("DELETE FROM failures WHERE ts < ?", (now - WINDOW_S,))
        for key in keys:
            self._sql("INSERT INTO failures (who, ts) VALUES (?, ?)", (key, now))

    def close_store(self) -> None:
        self._db.close()
