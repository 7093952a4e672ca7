"""A PostgreSQL for tests and benches: the one named by `SEKIMORI_TEST_POSTGRES_URL` (scripts/test
sets it), else 127.0.0.1:5432 when one answers there, else a throwaway server (Debian's
postgresql package: initdb and pg_ctl, a temporary data directory, a free port).

Tests keep apart by database: `scratch_database` creates one and drops it afterwards.

    python -m sekimori.testing.postgres up DIR     # start one in DIR, print its URL
    python -m sekimori.testing.postgres down DIR   # stop it
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from sekimori.sockets import free_port
from sekimori.testing.procs import ProcessStartError

ENV = "SEKIMORI_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://127.0.0.1:5432/postgres"
_RUN_AS = "postgres"  # PostgreSQL refuses to run as root


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if versions:
        return str(versions[-1])
    raise ProcessStartError(
        f"{name} is not installed (Debian: apt-get install postgresql); "
        f"or set {ENV} to a running PostgreSQL"
    )


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", _RUN_AS, "--", *argv]


@dataclass
class PostgresServer:
    """A throwaway server in `workdir` on `port`; `stop()` and `start()` it, `remove()` it."""

    workdir: Path
    port: int
    listen: str = "127.0.0.1"  # listen_addresses; another address needs a pg_hba.conf line

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        result = subprocess.run(
            _as_owner([_binary("pg_ctl"), "-D", str(self.data), "-w", "-t", "300", *args]),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ProcessStartError(f"pg_ctl {args[0]} failed: {result.stderr or result.stdout}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses={self.listen} -c fsync=off"
        self._ctl("start", "-l", str(self.workdir / "log"), "-o", options)

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        """Fast shutdown (open connections are cut) and start again on the same port."""
        self.stop()
        self.start()

    def remove(self) -> None:
        with contextlib.suppress(ProcessStartError):
            self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_postgres(workdir: Path | None = None) -> PostgresServer:
    """initdb in `workdir` (a new temporary directory by default) and start it on a free port."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="sekimori-pg-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(workdir, _RUN_AS)
    server = PostgresServer(workdir, free_port())
    result = subprocess.run(
        _as_owner(
            [_binary("initdb"), "-D", str(server.data), "-A", "trust", "-U", "postgres", "-N"]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ProcessStartError(f"initdb failed: {result.stderr or result.stdout}")
    (workdir / "port").write_text(str(server.port), encoding="ascii")
    server.start()
    return server


@contextlib.contextmanager
def postgres_for_tests() -> Iterator[str]:
    """The URL of a PostgreSQL to test against (a maintenance database), starting one if none."""
    url = os.environ.get(ENV) or DEFAULT_URL
    if answers(url):
        yield url
        return
    server = start_postgres()
    try:
        yield server.url
    finally:
        server.remove()


def database_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server at `admin_url`, dropped afterwards; yields its URL."""
    name = f"sekimori_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    try:
        yield database_url(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("up", "down"):
        print("usage: python -m sekimori.testing.postgres up|down DIR", file=sys.stderr)
        return 2
    workdir = Path(argv[1])
    if argv[0] == "up":
        print(start_postgres(workdir).url)
    else:
        port = int((workdir / "port").read_text(encoding="ascii"))
        PostgresServer(workdir, port).remove()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
