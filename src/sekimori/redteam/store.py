"""The run's SQLite file: every result is committed as it arrives, so a killed run resumes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sekimori.errors import InputError, StoreError

DB_NAME = "results.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    probe_id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    mutator TEXT NOT NULL,
    params TEXT NOT NULL,
    category TEXT NOT NULL,
    lang TEXT NOT NULL,
    expect TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    prompt TEXT NOT NULL,
    answer TEXT NOT NULL,
    blocked INTEGER NOT NULL,
    blocked_at TEXT,
    deferred INTEGER,
    refusal TEXT,
    harmful INTEGER,
    success INTEGER,
    refused INTEGER,
    score REAL,
    grader TEXT,
    error TEXT,
    attempts INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    finished_at REAL NOT NULL
);
"""

COLUMNS = (
    "probe_id",
    "item_id",
    "mutator",
    "params",
    "category",
    "lang",
    "expect",
    "source",
    "kind",
    "prompt",
    "answer",
    "blocked",
    "blocked_at",
    "deferred",
    "refusal",
    "harmful",
    "success",
    "refused",
    "score",
    "grader",
    "error",
    "attempts",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "finished_at",
)

# Columns added after the first release, in order: (name, SQL type).
_ADDED_COLUMNS = (("blocked_at", "TEXT"), ("deferred", "INTEGER"))


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One stored result; `success` is set for harmful items, `refused` for benign ones.

    `blocked_at` is where the target stopped it ("input" or "output"); None when it was not
    blocked or the target did not say. `deferred`: the gateway let the prompt through unsure, for
    its answer to decide; None in a run from before the column.
    """

    probe_id: str
    item_id: str
    mutator: str
    params: Mapping[str, Any]
    category: str
    lang: str
    expect: str
    source: str
    kind: str
    prompt: list[dict[str, str]]
    answer: str
    blocked: bool
    blocked_at: str | None
    deferred: bool | None
    refusal: str | None
    harmful: bool | None
    success: bool | None
    refused: bool | None
    score: float | None
    grader: str | None
    error: str | None
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    finished_at: float

    def as_json(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in COLUMNS}


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


class ResultStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(results)")}
            # Runs from before a column open and resume; their old rows read as unknown (NULL).
            for column, kind in _ADDED_COLUMNS:
                if column not in columns:
                    self.db.execute(f"ALTER TABLE results ADD COLUMN {column} {kind}")
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the results database ({exc})") from None

    @classmethod
    def open_existing(cls, run_dir: Path) -> ResultStore:
        path = run_dir / DB_NAME
        if not path.is_file():
            raise InputError(f"{run_dir} is not a red-team run directory (no {DB_NAME})")
        return cls(path)

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}

    def set_meta(self, values: Mapping[str, Any]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(k, json.dumps(v, ensure_ascii=False)) for k, v in values.items()],
            )

    def done_ids(self) -> set[str]:
        """Probes with a graded result; errored ones are tried again on resume."""
        return {r[0] for r in self.db.execute("SELECT probe_id FROM results WHERE error IS NULL")}

    def put(self, row: ResultRow) -> None:
        values = row.as_json()
        values["params"] = json.dumps(row.params, ensure_ascii=False)
        values["prompt"] = json.dumps(row.prompt, ensure_ascii=False)
        marks = ", ".join("?" for _ in COLUMNS)
        # autocommit mode: each row is durable once this returns
        self.db.execute(
            f"INSERT OR REPLACE INTO results ({', '.join(COLUMNS)}) VALUES ({marks})",
            [values[c] for c in COLUMNS],
        )

    def rows(self) -> Iterator[ResultRow]:
        cur = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM results ORDER BY probe_id")
        for rec in cur:
            d = dict(zip(COLUMNS, rec, strict=True))
            d["params"] = json.loads(d["params"])
            d["prompt"] = json.loads(d["prompt"])
            for key in ("blocked", "deferred", "harmful", "success", "refused"):
                d[key] = _bool(d[key])
            d["blocked"] = bool(d["blocked"])
            yield ResultRow(**d)

    def close(self) -> None:
        self.db.close()
