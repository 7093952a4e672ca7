"""A Redis for tests and benches: the one named by `SEKIMORI_TEST_REDIS_URL` (scripts/test sets
it), else 127.0.0.1:6379 when one answers there, else a throwaway `redis-server` on a free port.

Tests keep apart by key prefix (`unique_prefix`), so they share one server safely.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from sekimori.sockets import free_port
from sekimori.testing.procs import ProcessStartError

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def answers(url: str, timeout: float = 0.5) -> bool:
    """True when something at `url`'s host and port replies +PONG to PING."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout
        ) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A `redis-server` child process with no persistence; `stop()` kills it."""

    proc: subprocess.Popen[bytes]
    port: int
    workdir: str

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis(timeout: float = 10.0, port: int | None = None) -> RedisServer:
    """A throwaway server on `port` (None: a free one; a port again: a restarted server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ProcessStartError(
            "redis-server is not installed (Debian: apt-get install redis-server); "
            "or set SEKIMORI_TEST_REDIS_URL to a running Redis"
        )
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="sekimori-redis-")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [*argv, "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    server = RedisServer(proc, port, workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(server.url):
            return server
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    raise ProcessStartError(f"redis-server on port {port} did not start")


@contextlib.contextmanager
def redis_for_tests() -> Iterator[str]:
    """The URL of a Redis to test against, starting a throwaway one if none answers."""
    url = os.environ.get("SEKIMORI_TEST_REDIS_URL") or DEFAULT_URL
    if answers(url):
        yield url
        return
    server = start_redis()
    try:
        yield server.url
    finally:
        server.stop()


# One run's keys share this, so the run can delete its own (and never another run's) at the end.
RUN_PREFIX = f"sekimori-test:{uuid.uuid4().hex[:12]}:"


def unique_prefix() -> str:
    """A key prefix no other test uses."""
    return f"{RUN_PREFIX}{uuid.uuid4().hex[:12]}:"


def forget_run_keys(url: str) -> int:
    """Deletes the keys this run made (day and month counters would linger for weeks)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=RUN_PREFIX + "*", count=1000))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()
