"""Start real server processes on free loopback ports and wait until they answer.

Used by integration tests, benchmarks and the red-team runner: each server is a child process whose
first stdout line is `PORT=<n>` (the fake upstream and `sekimori serve --port 0` both print it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from sekimori.errors import SekimoriError
from sekimori.home import ENV


class ProcessStartError(SekimoriError):
    """A server child process exited or never became ready."""


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int
    host: str = "127.0.0.1"
    stderr_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stderr_text(self) -> str:
        if self.stderr_file is None:
            return ""
        # pread, not seek(0) + read: the child shares this file's offset, so a line it wrote
        # between the seek and the end of the read (a wide window on a starved machine) landed
        # over the start of the log, and a poll such as wait_for_log could miss what it awaited.
        fd = self.stderr_file.fileno()
        size = os.fstat(fd).st_size
        chunks: list[bytes] = []
        at = 0
        while at < size and (chunk := os.pread(fd, size - at, at)):
            chunks.append(chunk)
            at += len(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 120.0) -> str:
        """Its stderr once `text` occurs `count` times in it; raises ProcessStartError if that
        does not happen within `timeout` seconds or the process exits."""
        deadline = time.monotonic() + timeout
        while (log := self.stderr_text()).count(text) < count:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise ProcessStartError(f"{text!r} x{count} not logged:\n{log[-2000:]}")
            time.sleep(0.1)
        return log

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 120.0) -> int:
        """Send `sig` and wait; kills it if it does not exit within `timeout` seconds.

        The limit only catches a hang: a clean stop writes what is pending (an audit spool
        replayed into PostgreSQL, say), which took over 15 s on a starved 2-core machine, and a
        kill there turns a test's `stop() == -SIGTERM` into a failure."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.stderr_file is not None:
            self.stderr_file.close()


def _read_port(proc: subprocess.Popen[bytes], deadline: float) -> int:
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    buffer = b""
    while time.monotonic() < deadline:
        chunk = proc.stdout.read()
        if chunk:
            buffer += chunk
            for line in buffer.splitlines():
                if line.startswith(b"PORT="):
                    os.set_blocking(proc.stdout.fileno(), True)
                    return int(line[5:])
        elif proc.poll() is not None:
            break
        time.sleep(0.02)
    raise ProcessStartError(f"no PORT= line from {proc.args!r}")


def start_server(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    health_path: str = "/healthz",
    timeout: float = 120.0,
    host: str = "127.0.0.1",
) -> ServerProcess:
    """Start `argv` (which must print `PORT=<n>` first), wait for `health_path` to answer 200
    at `host` (where the server can be reached from here).

    `timeout` only bounds a hang: a Python server's imports alone have taken tens of seconds
    at nice 19 behind other jobs on 2 shared cores, so the default is generous."""
    # Kept open for the server's life so a failed start can show what the server said.
    stderr_file = tempfile.TemporaryFile()  # noqa: SIM115
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        stdin=subprocess.DEVNULL,
        env=full_env,
    )
    deadline = time.monotonic() + timeout
    server = ServerProcess(proc=proc, port=0, host=host, stderr_file=stderr_file)
    try:
        server.port = _read_port(proc, deadline)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ProcessStartError(f"exited with {proc.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(server.url + health_path, timeout=1.0).status_code == 200:
                    return server
            time.sleep(0.05)
        raise ProcessStartError(f"not ready within {timeout} s")
    except ProcessStartError as exc:
        server.stop(signal.SIGKILL)
        said = server.stderr_text()[-4000:]
        stderr_file.close()
        raise ProcessStartError(f"{argv!r}: {exc}\n{said}") from None


def start_fake_upstream(*args: str, env: Mapping[str, str] | None = None) -> ServerProcess:
    return start_server(
        [sys.executable, "-m", "sekimori.testing.fake_upstream", "--port", "0", *args], env=env
    )


@contextlib.contextmanager
def fake_upstream(*args: str) -> Iterator[ServerProcess]:
    with start_fake_upstream(*args) as server:
        yield server


def _cli_env(home: Path, env: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, ENV: str(home), **(env or {})}


def start_gateway(
    home: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300.0
) -> ServerProcess:
    """`sekimori serve --port 0 ARGS` with its data directory at `home`.

    The limit is generous: a gateway with the trained classifier builds its encoder graph in a
    fresh `home` before it is ready, which takes most of a minute on a busy 2-core machine, and
    fixtures failed at startup with 120 s at load ~11.
    """
    return start_server(
        [sys.executable, "-m", "sekimori.cli", "serve", "--port", "0", *args],
        env={ENV: str(home), **(env or {})},
        health_path="/readyz",
        timeout=timeout,
    )


def run_cli(
    home: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """Run `sekimori ARGS` with its data directory at `home`; never raises on a failing exit.

    `timeout` only bounds a hang: `keys create` (0.75 s of CPU) took 30-40 s of wall time at
    nice 19 beside a training run, and a console fixture timed out at the former 60 s."""
    return subprocess.run(
        [sys.executable, "-m", "sekimori.cli", *args],
        env=_cli_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def create_key(home: Path, tenant: str) -> str:
    """A new API key for `tenant`, made with `sekimori keys create` (its last stdout line)."""
    result = run_cli(home, "keys", "create", "--tenant", tenant)
    if result.returncode != 0:
        raise ProcessStartError(f"keys create failed: {result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def start_fake_guard() -> ServerProcess:
    """The fake guard-model server (`sekimori.testing.fake_guard`); pick the kind by model name."""
    return start_server([sys.executable, "-m", "sekimori.testing.fake_guard", "--port", "0"])
