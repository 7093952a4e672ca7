"""Policy reloads that reach every replica: PostgreSQL LISTEN/NOTIFY on the shared store.

A gateway that reloads its policy on request (SIGHUP, `POST /admin/policy/reload`) announces it
on the channel; every other gateway sharing the database reloads its own copy (each reads its own
policy file: ship the file to every host first, then reload one). Gateways of one
`serve --workers N` share a group id and skip their group's notices: their supervisor tells them.

A listener that lost its connection reloads once when it is back, since it may have missed a
notice while away (a partition, a database restart).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from sekimori.errors import StoreError
from sekimori.store.backend import redact
from sekimori.store.postgres import CONNECT_TIMEOUT_S, conninfo

log = logging.getLogger("sekimori.store")
CHANNEL = "sekimori_policy_reload"


class PostgresReloadBus:
    def __init__(self, url: str, group: str) -> None:
        self.url = url
        self.group = group
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()  # set while listening (tests wait on it)

    def announce(self) -> None:
        """Tell the other groups to reload; raises StoreError when the database is unreachable."""
        try:
            with psycopg.connect(
                conninfo(self.url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
            ) as conn:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, self.group))
        except psycopg.Error as exc:
            detail = " ".join(str(exc).split())
            raise StoreError(
                f"store {redact(self.url)}: reload notice not sent: {detail}"
            ) from None

    def listen(self, on_reload: Callable[[], None]) -> None:
        """Call `on_reload` (from a thread) for every other group's notice, until `close`."""
        self._thread = threading.Thread(
            target=self._run, args=(on_reload,), name="policy-reload-listener", daemon=True
        )
        self._thread.start()

    def _run(self, on_reload: Callable[[], None]) -> None:
        first, down = True, False
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    conninfo(self.url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    if down:
                        log.warning("policy reload notices: listening again")
                    if not first:  # a notice may have gone by while the connection was down
                        on_reload()
                    first, down = False, False
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            if notice.payload != self.group:
                                on_reload()
            except psycopg.Error as exc:
                self.connected.clear()
                if not down:
                    detail = " ".join(str(exc).split())
                    log.warning(
                        "policy reload notices from %s lost (%s); retrying",
                        redact(self.url),
                        detail,
                    )
                down, first = True, False
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
