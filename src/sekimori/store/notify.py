"""Policy reloads that reach every replica: PostgreSQL LISTEN/NOTIFY on the shared store, or
Redis pub/sub where the replicas share a Redis (`limits.url`) but no PostgreSQL.

A gateway that reloads its policy on request (SIGHUP, `POST /admin/policy/reload`) announces it
on the channel; every other gateway sharing the database reloads its own copy (each reads its own
policy file: ship the file to every host first, then reload one). Gateways of one
`serve --workers N` share a group id and skip their group's notices: their supervisor tells them.

A listener that lost its connection reloads once when it is back, since it may have missed a
notice while away (a partition, a database restart). With neither PostgreSQL nor Redis there is
no shared service: one host's `serve --workers N` supervisor tells its own workers.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from sekimori.errors import StoreError
from sekimori.settings import Settings
from sekimori.store.backend import ReloadBus, StoreBackend, redact
from sekimori.store.postgres import CONNECT_TIMEOUT_S, conninfo

log = logging.getLogger("sekimori.store")
CHANNEL = "sekimori_policy_reload"
REDIS_CHANNEL = "policy_reload"  # after `limits.prefix`, which keeps deployments on one Redis apart
_RETRY_S = 1.0


def open_reload_bus(settings: Settings, backend: StoreBackend, group: str) -> ReloadBus | None:
    """The store's bus (PostgreSQL), else Redis pub/sub when limits count in a Redis; None when
    the replicas share neither (one host: its supervisor tells its workers)."""
    bus = backend.reload_bus(group)
    if bus is None and settings.limits.url is not None:
        channel = settings.limits.prefix + REDIS_CHANNEL
        return RedisReloadBus(settings.limits.url, group, channel, settings.limits.timeout_s)
    return bus


class _Listener(ABC):
    """The listening side both buses share: a thread that calls `on_reload` for every other
    group's notice, reconnects after a second when cut off, and then reloads once."""

    url: str
    group: str

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()  # set while listening (tests wait on it)

    @abstractmethod
    def _notices(self) -> Iterator[str | None]:
        """Connects and listens: yields None once listening, then each notice's group, until
        `close`; raises one of `_errors()` when the connection fails."""

    @abstractmethod
    def _errors(self) -> tuple[type[Exception], ...]:
        """What a lost connection raises."""

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
                for group in self._notices():
                    if group is not None:
                        if group != self.group:
                            on_reload()
                        continue
                    self.connected.set()
                    if down:
                        log.warning("policy reload notices: listening again")
                    if not first:  # a notice may have gone by while the connection was down
                        on_reload()
                    first, down = False, False
            except self._errors() as exc:
                self.connected.clear()
                if not down:
                    detail = " ".join(str(exc).split())
                    log.warning(
                        "policy reload notices from %s lost (%s); retrying",
                        redact(self.url),
                        detail,
                    )
                down, first = True, False
                self._stop.wait(_RETRY_S)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)


class PostgresReloadBus(_Listener):
    def __init__(self, url: str, group: str) -> None:
        super().__init__()
        self.url = url
        self.group = group

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

    def _errors(self) -> tuple[type[Exception], ...]:
        return (psycopg.Error,)

    def _notices(self) -> Iterator[str | None]:
        with psycopg.connect(
            conninfo(self.url), autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        ) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            yield None
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=1.0):
                    yield notice.payload


class RedisReloadBus(_Listener):
    """The same notices over Redis pub/sub (PUBLISH / SUBSCRIBE on one channel)."""

    def __init__(self, url: str, group: str, channel: str, timeout_s: float) -> None:
        super().__init__()
        self.url = url
        self.group = group
        self.channel = channel
        # A publish is one round trip; the limit store's timeout is generous for it.
        self.timeout_s = max(timeout_s, CONNECT_TIMEOUT_S)

    def _client(self) -> Any:
        import redis

        return redis.Redis.from_url(
            self.url,
            socket_timeout=self.timeout_s,
            socket_connect_timeout=self.timeout_s,
            health_check_interval=10,
        )

    def announce(self) -> None:
        """Tell the other groups to reload; raises StoreError when Redis is unreachable."""
        import redis

        client = self._client()
        try:
            client.publish(self.channel, self.group)
        except redis.RedisError as exc:
            raise StoreError(f"redis {redact(self.url)}: reload notice not sent: {exc}") from None
        finally:
            client.close()

    def _errors(self) -> tuple[type[Exception], ...]:
        import redis

        return (redis.RedisError,)

    def _notices(self) -> Iterator[str | None]:
        client = self._client()
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.channel)
            yield None
            while not self._stop.is_set():
                # Waits up to 1 s, so `close` is seen; a dead connection raises here.
                message = pubsub.get_message(timeout=1.0)
                if message is not None:
                    yield bytes(message["data"]).decode("utf-8", "replace")
        finally:
            pubsub.close()
            client.close()
