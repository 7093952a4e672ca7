"""The data directory: where it is (resolved here only) and how its files are kept private.

`$SEKIMORI_HOME`, default `~/.sekimori`, holds the key store, the audit trail and its secret keys.
The directory is 0700 and every file in it 0600, created that way; looser modes found on an
existing directory or file are tightened, with a log line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sqlite3
import stat
from collections.abc import Mapping
from pathlib import Path

from sekimori.errors import StoreError

ENV = "SEKIMORI_HOME"
DEFAULT_HOME = "~/.sekimori"
KEYS_DB = "keys.db"
AUDIT_DB = "audit.db"
AUDIT_KEY = "audit.key"  # HMAC key of the audit's prompt hashes and anchors
DIR_MODE = 0o700
FILE_MODE = 0o600
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

log = logging.getLogger("sekimori")


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data directory named by `$SEKIMORI_HOME`, else `~/.sekimori`."""
    env = os.environ if environ is None else environ
    return Path(env.get(ENV) or DEFAULT_HOME).expanduser()


def home_is_set(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(env.get(ENV))


def _tighten(path: Path, mode: int, what: str) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        path.chmod(mode)
        log.warning(
            "%s %s was readable by others (%o); set to %o / %s のアクセス権を %o に制限しました",
            what,
            path,
            current,
            mode,
            path,
            mode,
        )


def private_dir(path: Path) -> Path:
    """Creates `path` (0700) or tightens an existing one; returns it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE, "data directory")
    return path


def private_file(path: Path) -> Path:
    """Creates `path` empty (0600) if absent, or tightens it; also an SQLite database's side files.

    SQLite creates a database's -wal and -shm files with the database file's own mode, so a
    database created here keeps them private too.
    """
    private_dir(path.parent)
    if not path.exists():
        # Never open an existing database: closing any descriptor of a file drops all of this
        # process's POSIX locks on it, SQLite's own included (another connection may hold them).
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    for candidate in (path, *(path.with_name(path.name + s) for s in _SQLITE_SIDE_FILES)):
        if candidate.exists():
            _tighten(candidate, FILE_MODE, "file")
    return path


def secret_key(path: Path) -> bytes:
    """The 32-byte secret kept in `path`, created once (0600); raises StoreError naming it."""
    try:
        private_dir(path.parent)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        except FileExistsError:
            _tighten(path, FILE_MODE, "key file")
        else:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(32) + "\n")
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise StoreError(
            f"secret key {path}: {exc}; hint: it must hold 64 hex digits, as sekimori wrote it "
            f"/ 鍵ファイル {path} を読めません"
        ) from None
    if len(key) != 32:
        raise StoreError(f"secret key {path}: expected 64 hex digits / 鍵ファイルが不正です")
    return key


def private_database(
    path: Path, what: str, schema: str, *, durable: bool = True
) -> sqlite3.Connection:
    """A private (0600) SQLite database in WAL mode, shared across threads, with `schema` applied;
    `what` names it in the StoreError. `durable=False`: synchronous=NORMAL (a power cut may lose
    the last writes, for data that is evidence, not a record)."""
    try:
        private_file(path)  # 0600 before SQLite opens it: its -wal and -shm follow
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        if not durable:
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(schema)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"{what} database {path}: {exc}; hint: SEKIMORI_HOME must be a writable directory"
        ) from None
    return db
