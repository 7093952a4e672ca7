"""The hash chain catches edits and deletions; the batching recorder flushes on close."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sekimori.audit.record import AuditQuery, AuditRecord
from sekimori.audit.recorder import BatchingRecorder
from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.testing.procs import run_cli


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        ts=1_700_000_000.0 + i,
        request_id=f"r{i}",
        tenant="acme",
        key_id="abc",
        model="echo",
        upstream="fake",
        status=200,
        decision="allow",
        total_ms=1.25,
        prompt_tokens=i,
    )


def _store(tmp_path: Path, n: int) -> SqliteAuditStore:
    store = SqliteAuditStore(tmp_path / "audit.db")
    store.append([_record(i) for i in range(n // 2)])
    store.append([_record(i) for i in range(n // 2, n)])
    return store


def _tamper(tmp_path: Path, sql: str) -> None:
    with sqlite3.connect(tmp_path / "audit.db") as db:
        db.execute(sql)


def test_an_untouched_chain_verifies(tmp_path: Path) -> None:
    store = _store(tmp_path, 10)
    report = store.verify()
    assert report.ok and report.records == 10
    assert [r.record.request_id for r in store.query(AuditQuery(limit=3))] == ["r7", "r8", "r9"]


def test_an_edited_row_is_detected(tmp_path: Path) -> None:
    _store(tmp_path, 10).close()
    _tamper(tmp_path, "UPDATE audit SET decision = 'allow', status = 201 WHERE seq = 4")
    report = SqliteAuditStore(tmp_path / "audit.db").verify()
    assert not report.ok
    assert any("row 4" in p and "edited" in p for p in report.problems)


def test_a_deleted_row_is_detected(tmp_path: Path) -> None:
    _store(tmp_path, 10).close()
    _tamper(tmp_path, "DELETE FROM audit WHERE seq = 5")
    report = SqliteAuditStore(tmp_path / "audit.db").verify()
    assert any("missing" in p for p in report.problems)


def test_deleting_the_newest_rows_is_detected(tmp_path: Path) -> None:
    _store(tmp_path, 10).close()
    _tamper(tmp_path, "DELETE FROM audit WHERE seq > 8")
    report = SqliteAuditStore(tmp_path / "audit.db").verify()
    assert any("chain head" in p for p in report.problems)


def test_a_rewritten_hash_still_breaks_the_next_link(tmp_path: Path) -> None:
    _store(tmp_path, 6).close()
    _tamper(tmp_path, "UPDATE audit SET hash = 'f' || substr(hash, 2) WHERE seq = 2")
    report = SqliteAuditStore(tmp_path / "audit.db").verify()
    assert any("row 3" in p and "link" in p for p in report.problems)


def test_audit_verify_command_exits_1_on_tampering(tmp_path: Path) -> None:
    _store(tmp_path, 4).close()
    assert run_cli(tmp_path, "audit", "verify").returncode == 0
    _tamper(tmp_path, "UPDATE audit SET tenant = 'someone-else' WHERE seq = 2")
    result = run_cli(tmp_path, "audit", "verify")
    assert result.returncode == 1 and "TAMPERED: row 2" in result.stdout


def test_recorder_batches_and_flushes_everything_on_close(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")

    async def run() -> None:
        recorder = BatchingRecorder(store, flush_interval_ms=60_000, max_pending=1000)
        recorder.start()
        for i in range(50):
            await recorder.record(_record(i))
        await recorder.record(_record(50), durable=True)  # returns once committed
        assert SqliteAuditStore(tmp_path / "audit.db").verify().records == 51
        for i in range(51, 60):
            await recorder.record(_record(i))
        await recorder.aclose()

    asyncio.run(run())
    report = SqliteAuditStore(tmp_path / "audit.db").verify()
    assert report.ok and report.records == 60


def test_recorder_holds_no_more_than_max_pending(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")

    async def run() -> None:
        recorder = BatchingRecorder(store, flush_interval_ms=60_000, max_pending=5)
        recorder.start()
        for i in range(12):
            await recorder.record(_record(i))
        # at most 5 are pending, so at least 7 are committed without any interval passing
        assert SqliteAuditStore(tmp_path / "audit.db").verify().records >= 7
        await recorder.aclose()

    asyncio.run(run())
