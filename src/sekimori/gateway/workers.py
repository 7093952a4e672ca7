"""`sekimori serve --workers N`: N gateway processes on one listening socket.

The supervisor (the `serve` process) checks the port is free and holds it (bound with
SO_REUSEPORT, not listening), checks the stores, and starts N workers (`python -m
sekimori.gateway.workers`), each listening on its own SO_REUSEPORT socket on that port: the
kernel spreads new connections evenly over them. One listening socket shared by all workers was
tried first: the worker that woke first accepted every connection of a keep-alive client pool
(all 300 requests of 16 pooled connections went to one of 2 workers, tests/gateway/
test_workers.py), so the other sat idle. Every worker opens the same stores, so they share:

- the audit chain: SQLite serialises writers from several processes on its write lock (each
  batch reads the head and chains after it inside `BEGIN IMMEDIATE`), PostgreSQL on the head row;
- keys: each worker's cache reloads when the store's key generation moves;
- limits: only through Redis (`limits.url`). Counted in process they would be per worker, N
  times what the policy says, so N > 1 with limits and no Redis is refused at start.

Policy reloads: SIGHUP to the supervisor goes to every worker (and, with PostgreSQL or Redis, to
the other replicas through `sekimori.store.notify`); `POST /admin/policy/reload` on one worker
reloads it, then the supervisor is asked (a byte on the worker's control pipe) to reload the
others.

A worker that dies (SIGKILL, a crash) is started again; one that keeps dying within
`_QUICK_DEATH_S` of its start `_MAX_QUICK_DEATHS` times in a row stops the supervisor (exit 1).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import pickle
import secrets
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from sekimori.audit.record import AuditStore
from sekimori.errors import ConfigError, StoreError
from sekimori.gateway.app import Gateway, Route
from sekimori.gateway.limiting import has_limits
from sekimori.gateway.tenants import TenantBook
from sekimori.home import AUDIT_KEY, secret_key
from sekimori.policy import TenantOverride, configured_policy
from sekimori.settings import Settings
from sekimori.sockets import bind_socket
from sekimori.store.backend import StoreBackend, open_backend
from sekimori.store.notify import open_reload_bus

log = logging.getLogger("sekimori.gateway")
_ADDRESS = "SEKIMORI_WORKER_ADDRESS"
_CONTROL_FD = "SEKIMORI_WORKER_CONTROL_FD"
_GROUP = "SEKIMORI_WORKER_GROUP"
_SUPERVISOR = "SEKIMORI_WORKER_SUPERVISOR"
_CONSOLE = "SEKIMORI_WORKER_CONSOLE"
_RELOAD, _READY = b"R", b"U"  # a worker's messages on its control pipe
_QUICK_DEATH_S = 30.0
_MAX_QUICK_DEATHS = 3
_STOP_GRACE_S = 15.0  # uvicorn's own graceful shutdown is 10 s


def hold_port(sock: socket.socket) -> socket.socket:
    """In place of the listening socket `sock` (bound: the port was free), one that holds its
    port for the workers' SO_REUSEPORT sockets without taking connections itself."""
    host, port = sock.getsockname()[:2]
    sock.close()
    return bind_socket(host, port, reuse_port=True, listen=False)


def check_limits_shared(settings: Settings, backend: StoreBackend | None = None) -> None:
    """Raises ConfigError when N > 1 workers would each count the policy's limits (with the
    tenant rows of `backend`'s store over it, when given and keys are on)."""
    workers = settings.server.workers
    if workers == 1 or settings.limits.url is not None:
        return
    tenants: tuple[TenantOverride, ...] = ()
    if backend is not None and settings.server.auth:
        book = TenantBook(backend.tenants())
        try:
            book.refresh()
        finally:
            book.close()
        tenants = book.overrides()
    if has_limits(configured_policy(settings.policy_file, settings.policy, tenants)):
        raise ConfigError(
            f"--workers {workers} with rate limits needs a shared limit store: set limits.url to "
            "a Redis URL (redis://HOST:6379/0), or run one worker; counted in each process the "
            f"limits would allow {workers} times the policy's figures / 複数ワーカーでレート制限を"
            "使うには limits.url（Redis）が必要です",
            key="limits.url",
        )


def prepare(settings: Settings) -> int | None:
    """Checks made once, before any worker starts: limits need Redis, the stores open (schema
    migrated, files created 0600) and the audit key exists. Returns the active key count."""
    backend = open_backend(settings.store.url, settings.home)
    check_limits_shared(settings, backend)
    keys = backend.keys() if settings.server.auth else None
    audit: AuditStore | None = None
    try:
        count = None if keys is None else len(keys.active())
        audit = backend.audit()
    finally:
        if keys is not None:
            keys.close()
        if audit is not None:
            audit.close()
    secret_key(settings.home / AUDIT_KEY)  # made here once, not raced by N workers
    return count


@dataclass(slots=True)
class _Worker:
    number: int
    process: subprocess.Popen[bytes]
    control: int  # read end of the worker's control pipe
    started: float
    quick_deaths: int = 0
    ready: bool = False


@dataclass(slots=True)
class Supervisor:
    settings: Settings
    sock: socket.socket
    # Builds the /admin app in each worker: handed over by import path (`module:name`).
    console: Callable[[Gateway], Route] | None = None
    group: str = field(default_factory=lambda: secrets.token_hex(8))
    _workers: dict[int, _Worker] = field(default_factory=dict)
    _signals: list[int] = field(default_factory=list)
    _all_ready_at: float = float("inf")  # when the first N were all up

    def run(self) -> int | None:
        """Runs the workers until SIGTERM/SIGINT (returns that signal) or until one keeps
        failing (returns None)."""
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        old_wakeup = signal.set_wakeup_fd(wake_w)
        handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        try:
            for number in range(self.settings.server.workers):
                self._start(number)
            return self._loop(wake_r)
        finally:
            self._stop_all()
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(wake_r)
            os.close(wake_w)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)

    def _loop(self, wake: int) -> int | None:
        while True:
            controls = {w.control: w for w in self._workers.values()}
            ready, _, _ = select.select([wake, *controls], [], [], 0.5)
            if wake in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake, 512)
            while self._signals:
                signum = self._signals.pop(0)
                if signum == signal.SIGHUP:
                    log.info("SIGHUP: reloading the policy in every worker")
                    self._reload(except_number=None)
                    self._announce()
                else:
                    return signum
            for fd in ready:
                worker = controls.get(fd)
                if worker is not None:
                    self._message(worker, _read(fd))
            for worker in list(self._workers.values()):
                code = worker.process.poll()
                if code is not None and not self._replace(worker, code):
                    return None

    def _message(self, worker: _Worker, data: bytes) -> None:
        if _READY in data and not worker.ready:
            worker.ready = True
            if worker.quick_deaths or worker.started > self._all_ready_at:
                log.info("worker %d ready again (pid %d)", worker.number, worker.process.pid)
            elif all(w.ready for w in self._workers.values()):
                self._all_ready_at = time.monotonic()
                log.info("%d workers ready", len(self._workers))
        if _RELOAD in data:
            self._reload(except_number=worker.number)

    def _start(self, number: int, quick_deaths: int = 0) -> None:
        control_r, control_w = os.pipe2(os.O_CLOEXEC)
        port = self.sock.getsockname()[1]
        env = {
            **os.environ,
            _ADDRESS: f"{self.settings.server.host} {port}",
            _CONTROL_FD: str(control_w),
            _GROUP: self.group,
            _SUPERVISOR: str(os.getpid()),
        }
        if self.console is not None:
            env[_CONSOLE] = f"{self.console.__module__}:{self.console.__qualname__}"
        process = subprocess.Popen(
            [sys.executable, "-m", "sekimori.gateway.workers"],
            stdin=subprocess.PIPE,
            pass_fds=(control_w,),
            env=env,
        )
        os.close(control_w)
        assert process.stdin is not None
        # The settings as validated here (secrets included), to this process's own child only.
        process.stdin.write(pickle.dumps(self.settings))
        process.stdin.close()
        self._workers[number] = _Worker(number, process, control_r, time.monotonic(), quick_deaths)

    def _replace(self, worker: _Worker, code: int) -> bool:
        """Start a worker in place of one that exited; False when it keeps dying at start."""
        os.close(worker.control)
        del self._workers[worker.number]
        quick = time.monotonic() - worker.started < _QUICK_DEATH_S
        deaths = worker.quick_deaths + 1 if quick else 0
        how = f"signal {-code}" if code < 0 else f"status {code}"
        if deaths >= _MAX_QUICK_DEATHS:
            log.error(
                "worker %d exited (%s) %d times within %g s of its start; stopping "
                "/ ワーカーが起動直後に繰り返し終了したため停止します",
                worker.number,
                how,
                deaths,
                _QUICK_DEATH_S,
            )
            return False
        log.warning(
            "worker %d (pid %d) exited (%s); starting it again",
            worker.number,
            worker.process.pid,
            how,
        )
        self._start(worker.number, deaths)
        return True

    def _reload(self, except_number: int | None) -> None:
        for worker in self._workers.values():
            if worker.number != except_number and worker.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.send_signal(signal.SIGHUP)

    def _announce(self) -> None:
        """Tell the other replicas (through PostgreSQL or Redis) that this group reloaded."""
        backend = open_backend(self.settings.store.url, self.settings.home)
        bus = open_reload_bus(self.settings, backend, self.group)
        if bus is None:
            return
        try:
            bus.announce()
        except StoreError as exc:
            log.error("%s; other replicas were not told to reload", exc)

    def _stop_all(self) -> None:
        for worker in self._workers.values():
            with contextlib.suppress(ProcessLookupError):
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE_S
        for worker in self._workers.values():
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop in time; killing it", worker.number)
                worker.process.kill()
                worker.process.wait()
            with contextlib.suppress(OSError):
                os.close(worker.control)
        self._workers.clear()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 64)
    except OSError:
        return b""


@dataclass(frozen=True, slots=True)
class _Link:
    """A worker's side of its control pipe (`app.Supervised`)."""

    control: int

    def ready(self) -> None:
        self._say(_READY)

    def reload_others(self) -> None:
        self._say(_RELOAD)

    def _say(self, message: bytes) -> None:
        with contextlib.suppress(OSError):  # a supervisor gone: nothing to tell
            os.write(self.control, message)


def _die_with_parent() -> None:
    """SIGTERM this worker when its supervisor dies, even by SIGKILL (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def main() -> int:
    """One worker: the settings from stdin, the socket and control pipe from the supervisor."""
    from sekimori.gateway.server import run_app, setup_process

    _die_with_parent()
    if os.getppid() != int(os.environ[_SUPERVISOR]):  # it died before the prctl took
        return 1
    setup_process()
    settings: Settings = pickle.loads(sys.stdin.buffer.read())
    host, port = os.environ[_ADDRESS].split(" ")
    sock = bind_socket(host, int(port), reuse_port=True)
    control = int(os.environ[_CONTROL_FD])

    console = None
    if _CONSOLE in os.environ:
        module, _, name = os.environ[_CONSOLE].partition(":")
        console = getattr(importlib.import_module(module), name)
    app = Gateway(settings, console=console, group=os.environ[_GROUP], supervisor=_Link(control))
    run_app(app, sock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
