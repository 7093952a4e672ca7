"""Red-team runs for the console: list the run directories, start a run, follow its progress.

A run is `sekimori redteam run` in a process of its own (the CLI the docs describe, so a run
started here is the same as one started in a shell), writing into `<dir>/<name>/`. Progress is
the number of results its SQLite file holds; the process is this worker's child, so another
worker sees a run as running only while its results file is being written.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sekimori.errors import InputError
from sekimori.home import ENV
from sekimori.redteam.store import DB_NAME

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_MUTATORS = re.compile(r"^[a-z0-9_]+(,[a-z0-9_]+)*$")
_TARGET = re.compile(r"^(gateway|local|classifier|compliant|https?://[^\s]+)$")
ACTIVE_S = 60.0  # a results file written this recently, by a run of no known process: running


@dataclass(frozen=True, slots=True)
class RunRequest:
    name: str
    target: str
    suite: str
    mutators: str = "direct"
    concurrency: int = 4
    sample: int | None = None
    agreement: int = 100  # human-labelled answers to check the grader on (0: skipped)

    def argv(self, out: Path) -> list[str]:
        argv = [
            sys.executable, "-m", "sekimori.cli", "redteam", "run",
            "--target", self.target, "--suite", self.suite, "--mutators", self.mutators,
            "--concurrency", str(self.concurrency), "--out", str(out), "--no-progress",
            "--agreement-sample", str(self.agreement),
        ]  # fmt: skip
        if self.sample is not None:
            argv += ["--sample", str(self.sample)]
        return argv


@dataclass(frozen=True, slots=True)
class RunInfo:
    name: str
    state: str  # running | done | failed | stopped
    results: int
    suite: str = "-"
    target: str = "-"
    asr: dict[str, Any] = field(default_factory=dict)
    over_refusal: dict[str, Any] = field(default_factory=dict)
    report: bool = False
    changed: float = 0.0


def check(request: RunRequest, suites: list[str]) -> RunRequest:
    """The request, or InputError naming the field that is wrong."""
    if not _NAME.match(request.name):
        raise InputError("name: 1-64 letters, digits, '.', '_' or '-' / 名前は英数字と . _ -")
    if not _TARGET.match(request.target):
        raise InputError(
            "target: gateway, local, classifier, compliant or an http(s) URL / 対象が不正です"
        )
    if request.suite not in suites:
        raise InputError(f"suite: one of {', '.join(suites)} / スイートが不正です")
    if not _MUTATORS.match(request.mutators) and request.mutators != "all":
        raise InputError("mutators: names separated by commas, or all / 変換名をカンマ区切りで")
    if not 1 <= request.concurrency <= 64:
        raise InputError("concurrency: 1 to 64 / 並列数は 1〜64")
    if request.sample is not None and request.sample < 1:
        raise InputError("sample: a positive number / サンプル数は正の整数")
    return request


class Runs:
    def __init__(self, where: Path, home: Path) -> None:
        self.where = where
        self._home = home
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, request: RunRequest) -> Path:
        out = self.where / request.name
        if out.exists():
            raise InputError(f"a run named {request.name!r} exists / 同名の実行があります")
        out.mkdir(parents=True)
        log = (out / "console.log").open("wb")
        self._children[request.name] = subprocess.Popen(
            request.argv(out),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, ENV: str(self._home)},
            start_new_session=True,  # a console restart does not kill the run
        )
        log.close()
        return out

    def list(self) -> list[RunInfo]:
        if not self.where.is_dir():
            return []
        return [self._info(d) for d in sorted(self.where.iterdir()) if d.is_dir()]

    def _info(self, run: Path) -> RunInfo:
        summary: dict[str, Any] = {}
        if (run / "summary.json").is_file():
            try:
                loaded = orjson.loads((run / "summary.json").read_bytes())
                summary = loaded if isinstance(loaded, dict) else {}
            except orjson.JSONDecodeError:
                summary = {}
        db = run / DB_NAME
        results = _count(db)
        changed = db.stat().st_mtime if db.is_file() else run.stat().st_mtime
        child = self._children.get(run.name)
        if child is not None and child.poll() is None:
            state = "running"
        elif child is not None and child.returncode != 0:
            state = "failed"
        elif summary:
            state = "done"
        else:
            state = "running" if time.time() - changed < ACTIVE_S else "stopped"
        meta = summary.get("run", {}) if isinstance(summary.get("run"), dict) else {}
        return RunInfo(
            name=run.name,
            state=state,
            results=results,
            suite=str(meta.get("suite", "-")),
            target=str(meta.get("target_kind", meta.get("target", "-"))),
            asr=summary.get("asr") or {},
            over_refusal=summary.get("over_refusal") or {},
            report=(run / "report.html").is_file(),
            changed=changed,
        )


def _count(db: Path) -> int:
    if not db.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.Error:  # a run creating its file right now
        return 0
