"""The console's read side of the audit trail (audit/browse.py) on SQLite; the PostgreSQL test
(tests/store/test_postgres.py) runs the same checks there."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sekimori.audit.browse import ADMIN_DECISION, AuditBrowser
from sekimori.audit.record import AuditQuery, AuditRecord, AuditStore
from sekimori.audit.sqlite import SqliteAuditStore, sqlite_browser

T0 = 1_800_000_000.0


def _records() -> list[AuditRecord]:
    out = []
    for i in range(120):
        decision = "block" if i % 10 == 0 else "allow"
        categories = "crime.violent" if i % 10 == 0 else ("crime.nonviolent" if i % 7 == 0 else "")
        out.append(
            AuditRecord(
                ts=T0 + i * 60, request_id=f"r{i}", tenant="acme" if i % 3 else "beta",
                key_id=f"k{i % 4}", model="m", upstream="u", status=502 if i == 5 else 200,
                decision=decision, categories=categories, total_ms=float(i + 1),
            )
        )  # fmt: skip
    out.append(
        AuditRecord(
            ts=T0 + 30, request_id="a", tenant="(console)", key_id="alice", model="",
            upstream="console", status=200, decision=ADMIN_DECISION, categories="key.create",
        )
    )  # fmt: skip
    return out


def check_browser(store: AuditStore, browser: AuditBrowser) -> None:
    store.append(_records())
    first = browser.page(AuditQuery(limit=50))
    assert [s.seq for s in first.records] == list(range(121, 71, -1))
    second = browser.page(AuditQuery(limit=50, before=first.next_before))
    third = browser.page(AuditQuery(limit=50, before=second.next_before))
    assert len(second.records) == 50 and len(third.records) == 21 and third.next_before is None
    # A category matches whole ids only: crime.violent is not inside crime.nonviolent.
    violent = browser.page(AuditQuery(category="crime.violent", limit=500))
    assert len(violent.records) == 12
    assert all(s.record.categories == "crime.violent" for s in violent.records)
    keyed = browser.page(AuditQuery(key_id="k1", tenant="acme", decision="allow", limit=500))
    assert keyed.records and all(
        (s.record.key_id, s.record.tenant, s.record.decision) == ("k1", "acme", "allow")
        for s in keyed.records
    )
    timed = browser.page(AuditQuery(since=T0 + 600, until=T0 + 1200, limit=500))
    assert {s.record.request_id for s in timed.records} == {f"r{i}" for i in range(10, 20)}
    assert browser.record(3) is not None and browser.record(999) is None

    summary = browser.summary(T0, T0 + 120 * 60, 12)
    assert summary.requests == 120  # the admin record is not traffic
    assert {c.name: c.n for c in summary.decisions} == {"allow": 108, "block": 12}
    assert [(c.name, c.n) for c in summary.categories] == [
        ("crime.nonviolent", 16),
        ("crime.violent", 12),
    ]
    assert {c.name: c.n for c in summary.tenants} == {"acme": 80, "beta": 40}
    assert [b.requests for b in summary.buckets] == [60, 60]  # whole hours
    assert [b.blocked for b in summary.buckets] == [6, 6]
    assert summary.p50_ms == pytest.approx(61.0, rel=0.035)
    assert summary.p99_ms == pytest.approx(119.0, rel=0.035)
    assert summary.server_errors == 1
    week = browser.key_timeline("k0", T0, T0 + 7200, 4)
    assert len(week) == 4 and [b.start for b in week] == [T0 + i * 1800 for i in range(4)]
    assert sum(b.requests for b in week) == 30 and sum(b.blocked for b in week) == 6
    assert browser.last_use(["k0", "k3", "nobody"]) == {"k0": T0 + 116 * 60, "k3": T0 + 119 * 60}


def test_browser_on_sqlite(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    browser = sqlite_browser(tmp_path / "audit.db")
    try:
        check_browser(store, browser)
    finally:
        browser.close()
        store.close()


def test_hours_that_are_over_are_read_once_and_again_after_a_late_write(tmp_path: Path) -> None:
    past = 1_700_000_000.0  # hours long over: kept once read
    store = SqliteAuditStore(tmp_path / "audit.db")
    browser = sqlite_browser(tmp_path / "audit.db")
    reads: list[str] = []
    run = browser._run
    browser._rollups._run = lambda sql, params: reads.append(sql) or run(sql, params)
    record = _records()[0]
    store.append([replace(record, ts=past + i * 600) for i in range(12)])  # two hours
    assert browser.summary(past, past + 7200, 4).requests == 12
    grouped = sum("GROUP BY" in sql for sql in reads)
    assert browser.summary(past, past + 7200, 4).requests == 12
    assert sum("GROUP BY" in sql for sql in reads) == grouped  # not read again
    store.append([replace(record, ts=past + 30)])  # written late, e.g. a replayed spool
    assert browser.summary(past, past + 7200, 4).requests == 13
    browser.close()
    store.close()
