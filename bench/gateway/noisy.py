"""Noisy neighbour: one tenant's latency while another floods the gateway with maximal prompts.

Writes bench/gateway/NOISY.md (one run, machine noted). The gateway runs the default screen
(`policy`, the trained classifiers, the default policy and screening limits) in front of the
fake upstream. Tenant B (`quiet`) sends ordinary ~200-token prompts one at a time, each unique
(the verdict cache never answers); its p50/p99 are measured
1. quiet: B alone;
2. flood: tenant A (`noisy`) sends prompts of exactly `max_chars` characters (the most the
   gateway screens: unique prose cut from the project's docs, English and Japanese) from 16
   clients at once, for as long as B's requests last;
3. oversize: A sends 3.9 MB prompts (over the limit: answered 413) from 16 clients.
The gateway's RSS (with its children) is sampled every 100 ms throughout.

Target (issue 16): every request of B answered (HTTP 200, screened: decision allow), B's p99
under the flood at most 2x its quiet p99, RSS at most 1.5 GB.

    python bench/gateway/noisy.py [--requests 100] [--concurrency 16] [--client-nice 9]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from screening import SHORT, Stats, body, machine, prompt, stats

from sekimori.gateway.screening.screen import MAX_CHARS, ScreenOptions
from sekimori.testing.machine import load_average
from sekimori.testing.procs import create_key, start_fake_upstream, start_gateway
from sekimori.testing.stack import gateway_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OVERSIZE = 3_900_000  # the prompts: 3.9 MB
RSS_LIMIT_MB = 1536
UNIQUE = itertools.count()
ROUNDS = 4
DEFAULTS = ScreenOptions()


def corpus() -> str:
    """Ordinary prose to cut flood prompts from: the project's docs and README."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))]
    return "\n\n".join([(ROOT / "README.md").read_text(encoding="utf-8"), *texts])


class Payloads:
    """Unique request bodies of `size` characters of prose, cheap to make: the prose is cut and
    JSON-encoded once; each body differs in its first line (its request number), so the
    verdict cache never answers while the load generator, on the same cores, stays light."""

    def __init__(self, source: str, size: int) -> None:
        head = "Request 0000000000: please summarise the text below.\n\n"
        text = head
        while len(text) < size:
            text += source + "\n\n"
        encoded = body([{"role": "user", "content": text[:size]}], model=SHORT)
        self.before, _, self.after = encoded.partition(b"0000000000")

    def next(self) -> bytes:
        return self.before + b"%010d" % next(UNIQUE) + self.after


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children, from /proc."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


@dataclass
class Sampler:
    """RSS every 100 ms in a thread; `peak(label)` is the most seen while `label` ran."""

    pid: int
    label: str = "start"
    peaks: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(0.1):
            now = rss_mb(self.pid)
            self.peaks[self.label] = max(self.peaks.get(self.label, 0.0), now)


@dataclass
class Phase:
    """One phase's figures, summed over the rounds."""

    name: str
    samples: list[float] = field(default_factory=list)  # B's latencies, seconds
    b_statuses: Counter[str] = field(default_factory=Counter)
    a_statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    rss_peak_mb: float = 0.0

    @property
    def b(self) -> Stats:
        return stats(self.samples)


async def quiet_client(url: str, key: str, n: int) -> tuple[list[float], Counter[str]]:
    """Tenant B: `n` ordinary prompts, one at a time; latency of each and what came back."""
    samples: list[float] = []
    outcomes: Counter[str] = Counter()
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=120) as c:
        for _ in range(n):
            payload = body([{"role": "user", "content": prompt(next(UNIQUE))}], model=SHORT)
            t0 = time.perf_counter()
            r = await c.post(url, content=payload)
            samples.append(time.perf_counter() - t0)
            decision = r.headers.get("x-sekimori-decision", "-")
            outcomes[f"{r.status_code} {decision}"] += 1
    return samples, outcomes


async def flood(
    url: str, key: str, payloads: Payloads, concurrency: int, stop: asyncio.Event
) -> Counter[int]:
    """Tenant A: `concurrency` clients sending `payloads` until `stop`."""
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=120) as client:

        async def one() -> None:
            while not stop.is_set():
                payload = payloads.next()
                try:
                    r = await client.post(url, content=payload)
                    statuses[r.status_code] += 1
                    if r.status_code in (429, 503):  # told when to come back: wait at most 1 s
                        wait = float(r.headers.get("retry-after", "1"))
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), min(wait, 1.0))
                except httpx.HTTPError as exc:
                    statuses[-1] += 1
                    print(f"flood: {type(exc).__name__}: {exc}", file=sys.stderr)

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return statuses


async def phase(
    into: Phase,
    url: str,
    keys: dict[str, str],
    n: int,
    payloads: Payloads | None,
    concurrency: int,
) -> None:
    """B's `n` requests, with A flooding `payloads` meanwhile (None: B alone)."""
    stop = asyncio.Event()
    t0 = time.perf_counter()
    flooding = None
    if payloads is not None:
        flooding = asyncio.ensure_future(flood(url, keys["noisy"], payloads, concurrency, stop))
        await asyncio.sleep(3)  # let the flood fill the queues first
    samples, outcomes = await quiet_client(url, keys["quiet"], n)
    stop.set()
    if flooding is not None:
        into.a_statuses.update(await flooding)
    into.samples += samples
    into.b_statuses.update(outcomes)
    into.seconds += time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100, help="tenant B's requests a phase")
    parser.add_argument("--concurrency", type=int, default=16, help="tenant A's clients")
    parser.add_argument(
        "--client-nice",
        type=int,
        default=9,
        help="how much lower than the gateway the load generator runs (its clients would be "
        "other machines; 0: the same priority)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "NOISY.md")
    args = parser.parse_args()
    about = machine()
    source = corpus()
    print(about, file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp, start_fake_upstream() as upstream:
        home = Path(tmp)
        config = home / "sekimori.yaml"
        config.write_text(gateway_config(upstream.url), encoding="utf-8")
        keys = {t: create_key(home, t) for t in ("quiet", "noisy")}
        with start_gateway(home, "--config", str(config)) as gateway:
            os.nice(args.client_nice)  # this process only: the gateway keeps its priority
            sampler = Sampler(gateway.proc.pid)
            thread = threading.Thread(target=sampler.run, daemon=True)
            thread.start()
            url = gateway.url + "/v1/chat/completions"
            plan = {
                "quiet": None,
                "flood": Payloads(source, MAX_CHARS),
                "oversize": Payloads(source, OVERSIZE),
            }
            results = {name: Phase(name) for name in plan}
            # Rounds alternate the phases, so that the other jobs on this machine weigh on each
            # phase alike.
            for r in range(ROUNDS):
                for name, payloads in plan.items():
                    print(f"round {r + 1}/{ROUNDS}: {name}", file=sys.stderr)
                    sampler.label = name
                    n = args.requests // ROUNDS
                    run = phase(results[name], url, keys, n, payloads, args.concurrency)
                    asyncio.run(run)
            sampler.stop.set()
            thread.join()
            metrics = httpx.get(gateway.url + "/metrics").text
    work = [line for line in metrics.splitlines() if line.startswith("sekimori_screen_")]
    write(args.out, about, list(results.values()), sampler.peaks, work, args)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def write(
    out: Path,
    about: str,
    results: list[Phase],
    peaks: dict[str, float],
    work: list[str],
    args: argparse.Namespace,
) -> None:
    quiet, *flooded = results
    peak = max(peaks.values())
    lines = [
        "# Noisy neighbour",
        "",
        f"Machine: {about}; load average at the end {load_average()}.",
        f"Run: `python bench/gateway/noisy.py --requests {args.requests} --concurrency "
        f"{args.concurrency} --client-nice {args.client_nice}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        "Gateway: the default screen (`policy`, trained classifiers), default policy and "
        f"default limits (max_chars {MAX_CHARS}, tenant_queue {DEFAULTS.tenant_queue}, queue "
        f"{DEFAULTS.queue}), auth and audit on, one process, in front "
        "of the fake upstream (a short fixed answer). Tenant B sends unique ~200-token prompts "
        f"one at a time; tenant A floods from {args.concurrency} clients with prompts of "
        f"{MAX_CHARS} characters (the most screened: prose from the project's docs, each "
        f"request with its own first line), then of {OVERSIZE:,} characters (over the limit), "
        "backing off at most 1 s when told Retry-After. "
        f"{ROUNDS} rounds alternate the three phases (other jobs share this machine). The load "
        "generator runs on the same two cores, at nice "
        f"+{args.client_nice} relative to the gateway (real clients are other machines). RSS "
        "of the gateway process sampled every 100 ms.",
        "",
        "| phase | B p50 ms | B p99 ms | B answered | A requests (status: count) | "
        "RSS peak MB | seconds |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    for p in results:
        p.rss_peak_mb = peaks.get(p.name, 0.0)
        b = ", ".join(f"{k}: {v}" for k, v in sorted(p.b_statuses.items()))
        a = ", ".join(f"{k}: {v}" for k, v in sorted(p.a_statuses.items())) or "-"
        lines.append(
            f"| {p.name} | {p.b.p50_ms:.0f} | {p.b.p99_ms:.0f} | {b} | {a} | "
            f"{p.rss_peak_mb:.0f} | {p.seconds:.0f} |"
        )
    lines += ["", "## Targets", ""]
    for p in flooded:
        ratio = p.b.p99_ms / quiet.b.p99_ms
        answered = p.b_statuses.get("200 allow", 0)
        lines.append(
            f"- {p.name}: B answered {answered}/{p.b.n} "
            f"({'met' if answered == p.b.n else 'missed'}); B p99 {p.b.p99_ms:.0f} ms = "
            f"{ratio:.2f}x quiet {quiet.b.p99_ms:.0f} ms, target <= 2x: "
            f"{'met' if ratio <= 2 else 'missed'}"
        )
    verdict = "met" if peak <= RSS_LIMIT_MB else "missed"
    lines += [
        f"- RSS peak over the whole run {peak:.0f} MB, target <= {RSS_LIMIT_MB} MB: {verdict}",
        "",
        "Screening work at the end (`/metrics`):",
        "",
        "```",
        *work,
        "```",
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
