"""Does the shared verdict cache pay? Three replicas with the trained classifiers, with
`screen.shared_cache` off and on; writes bench/scale/VERDICTS.md.

    .venv/bin/python bench/scale/verdicts.py [--systems 24] [--uses 6] [--conversations 24]
        [--rounds 2]

The setups are taken in turns (off, on, off, on, ...) so that the load other work puts on the
machine falls on each alike. Each setup starts three fresh `sekimori serve` replicas (the
default `policy` screen and its model scorer, auth off, one Redis, one shared `audit.key`,
caches cold) and sends, at `--concurrency` requests at a time:

- `system prompts`: `--systems` distinct system prompts (about 900 characters each), each sent
  `--uses` times with a new short user question, the requests spread over the replicas so that
  every system prompt reaches every replica;
- `conversations`: `--conversations` conversations of 4 turns, each turn sent with the whole
  history (earlier user turns and assistant answers) to another replica than the turn before
  (a load balancer without session affinity does that 2 times in 3 with 3 replicas).

It reports how many texts the replicas' classifiers scored (the work the cache can save: the
in-process caches' misses less the shared hits, from /metrics), the wall time and latency of
each workload, and the gateways' CPU seconds; and, in this process, what one lookup and one
write cost against the same Redis. The work counts do not depend on the machine's load; the
times do (load average noted).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from sekimori.gateway.screening.shared import SharedVerdicts
from sekimori.home import AUDIT_KEY, secret_key
from sekimori.settings import SharedCacheSettings
from sekimori.testing.machine import cpu_model, load_average
from sekimori.testing.procs import ServerProcess, start_fake_upstream, start_gateway
from sekimori.testing.redis import forget_run_keys, redis_for_tests, unique_prefix
from sekimori.types import Verdict

sys.path.insert(0, str(Path(__file__).parent))
from scale import cpu_of

HERE = Path(__file__).resolve().parent
REPLICAS = 3
TURNS = 4
DEPARTMENTS = ["accounting", "legal", "sales", "support", "research", "facilities", "HR", "IT"]
STYLES = ["formal Japanese", "plain English", "short bullet points"]


def system_prompt(i: int) -> str:
    dept, style = DEPARTMENTS[i % len(DEPARTMENTS)], STYLES[i % len(STYLES)]
    rules = " ".join(
        f"Rule {r}: when a colleague asks about topic {i}-{r}, cite the internal handbook "
        f"section {r}.{i}, keep the answer under {100 + 10 * r} words, and offer a follow-up."
        for r in range(1, 6)
    )
    return (
        f"You are the assistant of the {dept} department of Example Corp (prompt {i}). "
        f"Answer in {style}. Never share customer records outside the department. {rules} "
        "If a question is outside the department's work, say so and name the right team."
    )


def question(n: int) -> str:
    return f"Question {n}: how should I prepare the quarterly review of item {n * 7 % 97}?"


def answer(c: int, t: int) -> str:
    return (
        f"For conversation {c}, step {t}: collect the figures from the shared drive, compare "
        f"them with last quarter's, and send the draft to your manager by day {t + 2}."
    )


@dataclass
class Run:
    setup: str
    workload: str
    wall_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    refused: int = 0  # blocked or failed closed (a classifier timeout is on_error: block)
    scored: int = 0
    shared_hits: int = 0
    gateway_cpu: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def med(runs: list[Run], attr: str) -> float:
    return float(statistics.median(getattr(r, attr) for r in runs))


def work(gateway: ServerProcess) -> dict[str, float]:
    prefix = 'sekimori_screen_work{state="'
    text = httpx.get(gateway.url + "/metrics", timeout=30).text
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def systems_requests(args: argparse.Namespace) -> list[tuple[int, list[dict[str, str]]]]:
    out = []
    for j in range(args.systems * args.uses):
        replica = (j + j // args.systems) % REPLICAS  # each prompt visits every replica
        messages = [
            {"role": "system", "content": system_prompt(j % args.systems)},
            {"role": "user", "content": question(j)},
        ]
        out.append((replica, messages))
    return out


def conversation_turns(args: argparse.Namespace) -> list[list[tuple[int, list[dict[str, str]]]]]:
    """Per turn number, every conversation's request at that turn (turns go in order)."""
    turns: list[list[tuple[int, list[dict[str, str]]]]] = []
    for t in range(TURNS):
        batch = []
        for c in range(args.conversations):
            messages: list[dict[str, str]] = []
            for k in range(t + 1):
                messages.append({"role": "user", "content": question(1000 + c * TURNS + k)})
                if k < t:
                    messages.append({"role": "assistant", "content": answer(c, k)})
            batch.append(((c + t) % REPLICAS, messages))
        turns.append(batch)
    return turns


async def send(
    urls: list[str], requests: list[tuple[int, list[dict[str, str]]]], concurrency: int, run: Run
) -> None:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(replica: int, messages: list[dict[str, str]]) -> None:
            async with gate:
                t0 = time.monotonic()
                r = await client.post(
                    f"{urls[replica]}/v1/chat/completions",
                    json={"model": "echo", "messages": messages},
                )
                run.latencies.append(time.monotonic() - t0)
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code}: {r.text[:200]}")
                if r.json()["choices"][0]["finish_reason"] == "content_filter":
                    run.refused += 1

        await asyncio.gather(*(one(r, m) for r, m in requests))


def measure(
    setup: str,
    workload: str,
    gateways: list[ServerProcess],
    batches: list[list[tuple[int, list[dict[str, str]]]]],
    concurrency: int,
) -> Run:
    run = Run(setup, workload)
    before = [work(g) for g in gateways]
    cpu = cpu_of([g.proc.pid for g in gateways]).run
    t0 = time.monotonic()
    for batch in batches:
        asyncio.run(send([g.url for g in gateways], batch, concurrency, run))
    run.wall_s = time.monotonic() - t0
    run.gateway_cpu = cpu_of([g.proc.pid for g in gateways]).run - cpu
    for g, b in zip(gateways, before, strict=True):
        a = work(g)
        hits = a.get("shared_hits", 0.0) - b.get("shared_hits", 0.0)
        run.scored += int(a["cache_misses"] - b["cache_misses"] - hits)
        run.shared_hits += int(hits)
    print(
        f"{setup} / {workload}: {run.scored} texts scored, {run.shared_hits} shared hits, "
        f"{run.refused} refused, "
        f"{run.wall_s:.1f} s, p50 {run.p(0.5):.0f} ms, gateway CPU {run.gateway_cpu:.1f} s",
        flush=True,
    )
    return run


@contextmanager
def replicas(scratch: Path, tag: str, config: str, key_file: Path) -> Iterator[list[ServerProcess]]:
    homes = []
    for i in range(REPLICAS):
        home = scratch / f"{tag}-{i}"
        home.mkdir()
        shutil.copy(key_file, home / AUDIT_KEY)
        (home / "sekimori.yaml").write_text(config, encoding="utf-8")
        homes.append(home)
    with ExitStack() as stack, ThreadPoolExecutor(REPLICAS) as pool:
        starting = [
            pool.submit(start_gateway, h, "--config", str(h / "sekimori.yaml"), timeout=600)
            for h in homes
        ]
        gateways = [stack.enter_context(f.result()) for f in starting]
        yield gateways


async def lookup_cost(redis_url: str, key: bytes, n: int) -> tuple[float, float, float]:
    """p50 and p99 wall µs of one lookup of 2 texts not in the cache, and CPU µs of a lookup
    plus a write of 2 verdicts, in this process."""
    options = SharedCacheSettings(enabled=True, prefix=unique_prefix(), timeout_s=1.0)
    shared = SharedVerdicts(options, redis_url, key, b"bench")
    verdict = Verdict(False, 0.1, {"weapons.chem": 0.01, "attack.jailbreak": 0.02})
    walls = []
    cpu0 = time.process_time()
    for _ in range(n):
        digests = [os.urandom(32), os.urandom(32)]
        t0 = time.perf_counter()
        await shared.get("bench", digests)
        walls.append(time.perf_counter() - t0)
        shared.put("bench", {d: verdict for d in digests})
        await asyncio.sleep(0)
    await shared.aclose()
    cpu = (time.process_time() - cpu0) / n
    walls.sort()
    return walls[n // 2] * 1e6, walls[int(n * 0.99)] * 1e6, cpu * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=24)
    parser.add_argument("--uses", type=int, default=6)
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load_before = load_average()
    runs: list[Run] = []
    with (
        redis_for_tests() as redis_url,
        TemporaryDirectory(prefix="sekimori-verdicts-") as tmp,
        start_fake_upstream() as upstream,
    ):
        scratch = Path(tmp)
        key_file = scratch / AUDIT_KEY
        key = secret_key(key_file)
        setups = [("off", False), ("on", True)] * args.rounds
        for n, (setup, enabled) in enumerate(setups):
            config = (
                f"server: {{auth: false}}\n"
                f"upstreams: {{fake: {{url: '{upstream.url}'}}}}\n"
                f"screen: {{shared_cache: {{enabled: {str(enabled).lower()}, "
                f"url: '{redis_url}', prefix: '{unique_prefix()}'}}}}\n"
            )
            with replicas(scratch, f"{setup}{n}", config, key_file) as gateways:
                runs.append(
                    measure(
                        setup,
                        "system prompts",
                        gateways,
                        [systems_requests(args)],
                        args.concurrency,
                    )
                )
                runs.append(
                    measure(
                        setup,
                        "conversations",
                        gateways,
                        conversation_turns(args),
                        args.concurrency,
                    )
                )
        cost = asyncio.run(lookup_cost(redis_url, key, 2000))
        forget_run_keys(redis_url)
    write(runs, cost, args, load_before)


def write(
    runs: list[Run],
    cost: tuple[float, float, float],
    args: argparse.Namespace,
    load_before: str,
) -> None:
    lines = [
        "# Shared verdict cache: does it pay?",
        "",
        "`bench/scale/verdicts.py` (its docstring has the method): 3 fresh replicas with the "
        "trained classifiers, `screen.shared_cache` off and on; "
        f"{args.systems} system prompts × {args.uses} uses, {args.conversations} conversations "
        f"× {TURNS} turns, {args.concurrency} requests at a time, {args.rounds} rounds taken in "
        f"turns. Machine: {cpu_model()}, "
        f"{len(os.sched_getaffinity(0))} CPUs, load average before: {load_before}, after: "
        f"{load_average()} (shared with other work: times are noisy, counts are not).",
        "",
        "| shared cache | workload | requests | refused | texts scored | shared hits | wall s "
        "| p50 ms | p99 ms | gateway CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.setup} | {r.workload} | {len(r.latencies)} | {r.refused} | {r.scored} "
            f"| {r.shared_hits} | {r.wall_s:.1f} | {r.p(0.5):.0f} | {r.p(0.99):.0f} "
            f"| {r.gateway_cpu:.1f} |"
        )
    p50, p99, cpu = cost
    lines += [
        "",
        f"One lookup (2 texts, not found) against the same Redis: p50 {p50:.0f} µs, p99 "
        f"{p99:.0f} µs wall; a lookup and a write together: {cpu:.0f} µs of CPU in the "
        "calling process. Every request with a text its replica has not seen pays one lookup.",
        "",
    ]
    lines.append("Medians over the rounds, off → on:")
    lines.append("")
    for workload in ("system prompts", "conversations"):
        off = [r for r in runs if r.setup == "off" and r.workload == workload]
        on = [r for r in runs if r.setup == "on" and r.workload == workload]
        scored_off, scored_on = med(off, "scored"), med(on, "scored")
        saved = scored_off - scored_on
        lines.append(
            f"- {workload}: {saved:.0f} of {scored_off:.0f} scorings saved "
            f"({100 * saved / max(1, scored_off):.0f}%); "
            f"wall {med(off, 'wall_s'):.1f} → {med(on, 'wall_s'):.1f} s, "
            f"gateway CPU {med(off, 'gateway_cpu'):.1f} → {med(on, 'gateway_cpu'):.1f} s."
        )
    lines.append("")
    (HERE / "VERDICTS.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
