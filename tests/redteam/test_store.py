"""The results database keeps where each block happened, and opens runs written before it did."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from sekimori.redteam.store import ResultRow, ResultStore

# results.sqlite as versions before the blocked_at column wrote it.
LEGACY_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE results (
    probe_id TEXT PRIMARY KEY, item_id TEXT NOT NULL, mutator TEXT NOT NULL,
    params TEXT NOT NULL, category TEXT NOT NULL, lang TEXT NOT NULL, expect TEXT NOT NULL,
    source TEXT NOT NULL, kind TEXT NOT NULL, prompt TEXT NOT NULL, answer TEXT NOT NULL,
    blocked INTEGER NOT NULL, refusal TEXT, harmful INTEGER, success INTEGER, refused INTEGER,
    score REAL, grader TEXT, error TEXT, attempts INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    latency_ms REAL NOT NULL, finished_at REAL NOT NULL
);
INSERT INTO results VALUES ('old~direct', 'old', 'direct', '{}', 'hate', 'en', 'comply', 't',
    '', '[{"role": "user", "content": "hi"}]', 'blocked', 1, 'refusal', 0, NULL, 1, 0.0,
    'blocked', NULL, 1, 0, 0, 1.0, 0.0);
"""

ROW = ResultRow(
    probe_id="p~direct", item_id="p", mutator="direct", params={"k": 1}, category="hate",
    lang="ja", expect="comply", source="t", kind="", prompt=[{"role": "user", "content": "やあ"}],
    answer="申し訳ありません", blocked=True, blocked_at="output", deferred=True, refusal="refusal",
    harmful=False, success=None, refused=True, score=0.0, grader="blocked", error=None,
    attempts=1, prompt_tokens=3, completion_tokens=0, latency_ms=2.5, finished_at=1.0,
)  # fmt: skip


def test_rows_round_trip_with_their_stage(tmp_path: Path) -> None:
    rows = [
        ROW,
        replace(ROW, probe_id="q~direct", blocked_at="input"),
        replace(ROW, probe_id="r~direct", blocked=False, blocked_at=None, refused=False),
        replace(ROW, probe_id="s~direct", deferred=False),
    ]
    store = ResultStore(tmp_path / "results.sqlite")
    for row in rows:
        store.put(row)
    store.close()
    store = ResultStore.open_existing(tmp_path)
    assert list(store.rows()) == rows
    store.close()


def test_a_run_from_before_the_column_opens_and_resumes(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        db.executescript(LEGACY_SCHEMA)
    db.close()
    store = ResultStore.open_existing(tmp_path)
    assert store.done_ids() == {"old~direct"}  # resuming skips what the old run finished
    store.put(ROW)
    store.close()
    store = ResultStore.open_existing(tmp_path)  # a second open finds the column in place
    old, new = store.rows()
    store.close()
    assert (old.probe_id, old.blocked, old.blocked_at, old.deferred) == (
        "old~direct",
        True,
        None,
        None,
    )
    assert new == ROW
