"""A local spool in front of a remote audit store: nothing is lost while the database is down.

A batch the store refuses (StoreError: server down, restarting, unreachable) is appended to a
JSON-lines file in the data directory and fsynced before `append` returns, so a block or flag
decision is durable on local disk before its answer is sent. While the spool holds anything,
new batches go behind it, never around it; each later `append` first replays the spool into the
store in one transaction, in order, then empties it. The store chains the records as it takes
them, so the chain stays one verifiable sequence. A crash between the replay's commit and the
spool's truncation replays that spool again (records twice, chain still intact): docs/store.md.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import orjson

from sekimori.audit.record import AuditQuery, AuditRecord, AuditStore, StoredRecord, VerifyReport
from sekimori.errors import StoreError
from sekimori.home import private_file

log = logging.getLogger("sekimori.audit")


class SpoolingAuditStore:
    def __init__(self, store: AuditStore, path: Path) -> None:
        self.store = store
        self.path = path
        self._lock = threading.Lock()
        self._count = 0
        with self._lock:
            self._replay()  # a spool left by an earlier run goes first

    @property
    def spooled(self) -> int:
        """Records waiting in the spool (`/metrics`: read without the lock a replay holds)."""
        return self._count

    def append(self, records: Sequence[AuditRecord]) -> None:
        if not records:
            return
        with self._lock:
            if not self._replay():
                self._spool(records)
                return
            try:
                self.store.append(records)
            except StoreError as exc:
                log.error(
                    "audit store failed, %d records spooled to %s: %s", len(records), self.path, exc
                )
                self._spool(records)

    def _spool(self, records: Sequence[AuditRecord]) -> None:
        try:
            private_file(self.path)
            with self.path.open("ab") as out:
                out.write(b"".join(orjson.dumps(asdict(r)) + b"\n" for r in records))
                out.flush()
                os.fsync(out.fileno())
            self._count += len(records)
        except OSError as exc:
            raise StoreError(
                f"audit spool {self.path}: {exc}; the store is down too / "
                "監査ログの退避に失敗しました"
            ) from None

    def _read(self) -> list[AuditRecord]:
        try:
            data = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise StoreError(f"audit spool {self.path}: {exc} / 退避ファイルを読めません") from None
        records = []
        for number, line in enumerate(data.splitlines(), 1):
            try:
                records.append(AuditRecord(**orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError):
                # Only a write cut short by a crash ends without its newline; that batch was
                # never acknowledged. Anything else is damage a person must see.
                if number == len(data.splitlines()) and not data.endswith(b"\n"):
                    log.error("audit spool %s: dropped a torn last line", self.path)
                    continue
                raise StoreError(
                    f"audit spool {self.path}:{number}: not a record; hint: move the file "
                    "aside and replay it by hand / 退避ファイルが壊れています"
                ) from None
        return records

    def _replay(self) -> bool:
        """Empties the spool into the store; False (spool kept) when the store is still down."""
        records = self._read()
        self._count = len(records)
        if not records:
            return True
        try:
            self.store.append(records)
        except StoreError as exc:
            log.warning("audit store still down, %d records stay spooled: %s", len(records), exc)
            return False
        with self.path.open("r+b") as spool:
            spool.truncate(0)
            os.fsync(spool.fileno())
        self._count = 0
        log.warning("audit spool replayed: %d records written to the store", len(records))
        return True

    def query(self, query: AuditQuery) -> list[StoredRecord]:
        return self.store.query(query)

    def get(self, seq: int) -> StoredRecord | None:
        return self.store.get(seq)

    def verify(self) -> VerifyReport:
        return self.store.verify()

    def hash_at(self, seq: int) -> str | None:
        return self.store.hash_at(seq)

    def close(self) -> None:
        with self._lock:
            self._replay()
        self.store.close()
