"""Audit anchors catch a cut or rewritten tail; old records still verify (issue 17)."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from dataclasses import astuple
from pathlib import Path

import orjson

from sekimori.audit.record import FIELD_NAMES, AuditQuery, chain_hash
from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.testing.procs import run_cli
from tests.gateway.test_audit_store import _record, _store


def _anchored(home: Path, n: int = 10) -> Path:
    _store(home, n).close()
    anchor = home.parent / "anchor.json"
    result = run_cli(home, "audit", "anchor", "--out", str(anchor))
    assert result.returncode == 0, result.stderr
    assert f"anchored row {n}" in result.stdout and "アンカー" in result.stdout
    assert oct((home / "audit.key").stat().st_mode & 0o777) == "0o600"
    return anchor


def _verify(home: Path, anchor: Path) -> tuple[int, str]:
    result = run_cli(home, "audit", "verify", "--anchor", str(anchor))
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout + result.stderr


def test_an_anchor_of_an_intact_chain_verifies(tmp_path: Path) -> None:
    home = tmp_path / "home"
    anchor = _anchored(home)
    saved = orjson.loads(anchor.read_bytes())
    assert saved["seq"] == 10 and saved["algorithm"] == "hmac-sha256"
    code, out = _verify(home, anchor)
    assert code == 0 and "anchor ok" in out, out
    # New rows after the anchor are fine: it vouches for the chain up to its row.
    store = SqliteAuditStore(home / "audit.db")
    store.append([_record(99)])
    store.close()
    assert _verify(home, anchor)[0] == 0


def test_cutting_the_tail_and_rewriting_the_head_is_caught_by_the_anchor(tmp_path: Path) -> None:
    home = tmp_path / "home"
    anchor = _anchored(home)
    with sqlite3.connect(home / "audit.db") as db:  # what a careful intruder does
        db.execute("DELETE FROM audit WHERE seq > 7")
        seq, digest = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC").fetchone()
        db.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq, digest))
    plain = run_cli(home, "audit", "verify")
    assert plain.returncode == 0, "the chain alone cannot see this cut"
    code, out = _verify(home, anchor)
    assert code == 1 and "TAMPERED" in out and "cut from the end" in out, out


def test_rewriting_the_whole_chain_is_caught_by_the_anchor(tmp_path: Path) -> None:
    home = tmp_path / "home"
    anchor = _anchored(home, 6)
    store = SqliteAuditStore(home / "audit.db")
    rows = store.query(AuditQuery(limit=100))
    store.close()
    with sqlite3.connect(home / "audit.db") as db:  # edit row 2, then re-chain every row after
        prev = rows[0].hash
        for stored in rows[1:]:
            record = stored.record
            if stored.seq == 2:
                record = dataclasses.replace(record, decision="allow", tenant="someone-else")
            digest = chain_hash(prev, stored.seq, record)
            db.execute(
                "UPDATE audit SET tenant = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (record.tenant, prev, digest, stored.seq),
            )
            prev = digest
        db.execute("UPDATE audit_head SET hash = ?", (prev,))
    assert run_cli(home, "audit", "verify").returncode == 0, "the chain alone cannot see this"
    code, out = _verify(home, anchor)
    assert code == 1 and "rewritten" in out, out


def test_an_edited_or_broken_anchor_is_refused_clearly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    anchor = _anchored(home)
    edited = orjson.loads(anchor.read_bytes())
    edited["seq"] = 3
    anchor.write_bytes(orjson.dumps(edited))
    code, out = _verify(home, anchor)
    assert code == 1 and "signature does not match" in out, out
    anchor.write_text("not an anchor", encoding="utf-8")
    code, out = _verify(home, anchor)
    assert code == 1 and f"sekimori: error: {anchor}: is not an anchor" in out, out
    code, out = _verify(home, tmp_path / "missing.json")
    assert code == 1 and "cannot read the anchor" in out, out


def test_records_from_before_client_request_id_still_verify(tmp_path: Path) -> None:
    record = _record(1)
    before = astuple(record)[: FIELD_NAMES.index("client_request_id")]
    old_formula = hashlib.sha256(orjson.dumps(["0" * 64, 1, *before])).hexdigest()
    assert chain_hash("0" * 64, 1, record) == old_formula
    store = _store(tmp_path, 4)
    store.close()
    with sqlite3.connect(tmp_path / "audit.db") as db:  # the table as it was before the column
        db.execute("DROP INDEX audit_client_request")
        db.execute("ALTER TABLE audit DROP COLUMN client_request_id")
    store = SqliteAuditStore(tmp_path / "audit.db")  # adds the column back, empty
    store.append([dataclasses.replace(_record(5), client_request_id="theirs")])
    report = store.verify()
    assert report.ok and report.records == 5, report.problems
    assert store.query(AuditQuery(limit=1))[0].record.client_request_id == "theirs"
    store.close()
