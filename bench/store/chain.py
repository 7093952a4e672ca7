"""Audit chain throughput with concurrent writer processes; writes bench/store/RESULTS.md.

    nice -n 10 .venv/bin/python bench/store/chain.py [--seconds 4]

Each writer is its own process with its own connection, as gateway replicas are, appending
batches for `--seconds`: batches of 1 (every request durable at once, the worst case) and of 50
(what the batching recorder commits under load). PostgreSQL (one chain serialised on the
`audit_head` row lock, a fresh database a run) and, for reference, SQLite on local disk (WAL,
synchronous=FULL, one file shared by the processes). After each run the chain is verified and
its length compared with the rows the writers reported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from sekimori.testing.machine import cpu_model, load_average
from sekimori.testing.postgres import postgres_for_tests, scratch_database

HERE = Path(__file__).resolve().parent

_WRITER = """
import json, sys, time
from sekimori.audit.record import AuditRecord
from sekimori.store.backend import open_backend
from pathlib import Path
url, home, writer = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
batch, seconds = int(sys.argv[4]), float(sys.argv[5])
store = open_backend(url or None, home).audit()
rows, lat, i = 0, [], 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    records = []
    for _ in range(batch):
        i += 1
        records.append(AuditRecord(ts=time.time(), request_id=f"{writer}-{i}", tenant="t",
            key_id="k", model="m", upstream="u", status=200, decision="allow", total_ms=1.0))
    t = time.perf_counter()
    store.append(records)
    lat.append(time.perf_counter() - t)
    rows += batch
store.close()
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start, "lat": lat}))
"""


@dataclass
class Run:
    store: str
    writers: int
    batch: int
    rows: int
    seconds: float
    p50_ms: float
    p99_ms: float
    chain_ok: bool
    chain_rows: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _run(store: str, url: str, home: Path, writers: int, batch: int, seconds: float) -> Run:
    from sekimori.store.backend import open_backend

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, url, str(home), str(w), str(batch), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    results = [json.loads(p.communicate(timeout=seconds + 120)[0]) for p in procs]
    lat = [x for r in results for x in r["lat"]]
    audit = open_backend(url or None, home).audit()
    report = audit.verify()
    audit.close()
    return Run(
        store=store,
        writers=writers,
        batch=batch,
        rows=sum(r["rows"] for r in results),
        seconds=max(r["seconds"] for r in results),
        p50_ms=_percentile(lat, 0.5) * 1000,
        p99_ms=_percentile(lat, 0.99) * 1000,
        chain_ok=report.ok,
        chain_rows=report.records,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    load_before = load_average()
    runs: list[Run] = []
    with postgres_for_tests() as admin:
        with psycopg.connect(admin) as conn:
            version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            sync = str(conn.execute("SHOW synchronous_commit").fetchone()[0])  # type: ignore[index]
        for batch in (1, 50):
            for writers in (1, 3):
                with scratch_database(admin) as url, tempfile.TemporaryDirectory() as home:
                    runs.append(_run("postgresql", url, Path(home), writers, batch, args.seconds))
                with tempfile.TemporaryDirectory() as home:
                    runs.append(_run("sqlite", "", Path(home), writers, batch, args.seconds))
    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    lines = [
        "# Audit chain throughput with concurrent writers / 並行書き込み時の監査チェーン性能",
        "",
        f"Written by `bench/store/chain.py` on {stamp} UTC.",
        f"Machine: {cpu_model()}, 2 CPUs available, load average before: {load_before} "
        "(a 2-core machine shared with other work).",
        f"PostgreSQL {version} on loopback (synchronous_commit={sync}, fsync on); SQLite on the "
        "same local disk (WAL, synchronous=FULL).",
        "",
        f"Each writer a process of its own, appending batches for {args.seconds:g} s; `p50/p99` "
        "is one `append` (one transaction). `chain` is `verify` afterwards: every row linked, "
        "every hash right, and its length equal to the rows the writers reported.",
        "",
        "| store | writers | batch | rows | rows/s | append p50 ms | append p99 ms | chain |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        chain = (
            f"ok, {r.chain_rows} rows"
            if r.chain_ok and r.chain_rows == r.rows
            else f"FAILED ({r.chain_rows} rows)"
        )
        lines.append(
            f"| {r.store} | {r.writers} | {r.batch} | {r.rows} | {r.rows_per_s:.0f} | "
            f"{r.p50_ms:.2f} | {r.p99_ms:.2f} | {chain} |"
        )
    out = HERE / "RESULTS.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
