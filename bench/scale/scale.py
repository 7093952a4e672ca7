"""Replica throughput: 3 gateway replicas sharing PostgreSQL and Redis against one; writes
bench/scale/RESULTS.md.

    .venv/bin/python bench/scale/scale.py [--seconds 15] [--rounds 2] [--concurrency 64]

Every gateway runs as users run it at scale: `sekimori serve` with the `allow` screen
(pass-through), its keys and audit chain in one PostgreSQL database, its rate limits counted in
Redis (a tenant limit too high to refuse, so every request is counted there), in front of the
fake upstream's `echo` model. Setups, taken in turns for `--rounds` rounds so that the load other
work puts on the machine falls on each alike:

- `1 replica`: one `serve` process;
- `3 replicas`: three `serve` processes on three ports, each client connection bound to one
  of them in turn (what a load balancer does);
- `--workers 3`: one `serve --workers 3` (three processes on one port, SO_REUSEPORT).

The load is `--concurrency` keep-alive connections, each sending one request after another for
`--seconds` (after a 2 s warm-up) through a small raw HTTP/1.1 client, so the load generator
costs little of the CPU it shares. Each setup reports requests/s, p50/p99 latency, failures, and
the CPU seconds its gateway processes, the upstream and the load generator used (from
/proc/PID/stat): on a machine with fewer cores than processes, that is what bounds the ratio.
Afterwards the audit chain must verify and hold exactly one record per answered request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import orjson

from sekimori.store.postgres import PostgresAuditStore
from sekimori.testing.machine import cpu_model, load_average
from sekimori.testing.postgres import postgres_for_tests, scratch_database
from sekimori.testing.procs import ServerProcess, run_cli, start_fake_upstream, start_gateway
from sekimori.testing.redis import forget_run_keys, redis_for_tests, unique_prefix

HERE = Path(__file__).resolve().parent
BIG = 10**9


@dataclass
class Sample:
    setup: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    responses: int = 0  # every answer, warm-up included: each one an audit record
    gateway_cpu: float = 0.0
    gateway_wait: float = 0.0  # run-queue wait of the gateway processes, summed
    upstream_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


@dataclass(frozen=True)
class Cpu:
    run: float  # seconds on a CPU
    wait: float  # seconds runnable but waiting for a CPU (the run queue)


def cpu_of(pids: list[int]) -> Cpu:
    """CPU time and run-queue wait of `pids`, their threads and their children (a
    supervisor's workers), from /proc/PID/task/TID/schedstat (nanoseconds)."""
    run = wait = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        for task in tasks:
            try:
                ran, waited, _ = (Path(task) / "schedstat").read_text().split()
            except (OSError, ValueError):
                continue
            run, wait = run + int(ran), wait + int(waited)
        below = cpu_of([int(c) for c in children])
        run, wait = run + round(below.run * 1e9), wait + round(below.wait * 1e9)
    return Cpu(run / 1e9, wait / 1e9)


def request_bytes(host: str, port: int, key: str) -> bytes:
    body = orjson.dumps({"model": "echo", "messages": [{"role": "user", "content": "hello"}]})
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def connection(port: int, key: str, stop: float, measure_from: float, sample: Sample) -> None:
    """One keep-alive connection sending requests back to back until `stop`."""
    payload = request_bytes("127.0.0.1", port, key)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < stop:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            t0 = time.monotonic()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            t1 = time.monotonic()
            sample.responses += 1
            if t0 >= measure_from and t1 <= stop:
                if status == 200:
                    sample.latencies.append(t1 - t0)
                else:
                    sample.failures += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            if time.monotonic() >= measure_from:
                sample.failures += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


async def drive(
    ports: list[int], key: str, concurrency: int, seconds: float, sample: Sample
) -> None:
    start = time.monotonic()
    measure_from, stop = start + 2.0, start + 2.0 + seconds
    await asyncio.gather(
        *(
            connection(ports[i % len(ports)], key, stop, measure_from, sample)
            for i in range(concurrency)
        )
    )


def measure(
    setup: str,
    gateways: list[ServerProcess],
    upstream: ServerProcess,
    key: str,
    args: argparse.Namespace,
) -> Sample:
    sample = Sample(setup, args.seconds)
    pids = [g.proc.pid for g in gateways]
    gateway, up, client = cpu_of(pids), cpu_of([upstream.proc.pid]), time.process_time()
    asyncio.run(drive([g.port for g in gateways], key, args.concurrency, args.seconds, sample))
    after = cpu_of(pids)
    sample.gateway_cpu, sample.gateway_wait = after.run - gateway.run, after.wait - gateway.wait
    sample.upstream_cpu = cpu_of([upstream.proc.pid]).run - up.run
    sample.client_cpu = time.process_time() - client
    print(
        f"{setup}: {sample.rps:.0f} req/s, p50 {sample.pct(0.5):.1f} ms, "
        f"p99 {sample.pct(0.99):.1f} ms, failures {sample.failures}, "
        f"CPU s gateway {sample.gateway_cpu:.1f} (waited {sample.gateway_wait:.1f}) "
        f"upstream {sample.upstream_cpu:.1f} "
        f"client {sample.client_cpu:.1f}",
        flush=True,
    )
    return sample


@contextmanager
def replicas(
    n: int, workers: int, scratch: Path, config: Path, tag: str
) -> Iterator[list[ServerProcess]]:
    with ExitStack() as stack:
        started = []
        for i in range(n):
            home = scratch / f"{tag}-{i}"
            home.mkdir()
            args = ["--config", str(config)]
            if workers > 1:
                args += ["--workers", str(workers)]
            gateway = stack.enter_context(start_gateway(home, *args))
            if workers > 1:
                gateway.wait_for_log(f"{workers} workers ready")
            started.append(gateway)
        yield started
        for gateway in started:
            gateway.stop(signal.SIGTERM)  # a clean stop writes the pending audit records


def run(args: argparse.Namespace) -> list[Sample]:
    samples: list[Sample] = []
    with (
        postgres_for_tests() as admin,
        scratch_database(admin) as store_url,
        redis_for_tests() as redis_url,
        TemporaryDirectory(prefix="sekimori-scale-") as tmp,
        start_fake_upstream() as upstream,
    ):
        scratch = Path(tmp)
        policy = scratch / "policy.yaml"
        policy.write_text(f"version: 1\ndefault_tenant: {{limits: {{rpm: {BIG}}}}}\n")
        config = scratch / "sekimori.yaml"
        config.write_text(
            f"upstreams: {{fake: {{url: {upstream.url}/v1, max_connections: 256}}}}\n"
            "screen: {name: allow}\n"
            f'store: {{url: "{store_url}"}}\n'
            f'limits: {{url: "{redis_url}", prefix: "{unique_prefix()}"}}\n'
            f"policy_file: {policy}\n",
            encoding="utf-8",
        )
        created = run_cli(scratch, "keys", "create", "--tenant", "bench", "--store", store_url)
        key = created.stdout.strip().splitlines()[-1]
        setups = [("1 replica", 1, 1), ("3 replicas", 3, 1), ("--workers 3", 1, 3)]
        for round_ in range(args.rounds):
            for name, n, workers in setups:
                with replicas(n, workers, scratch, config, f"r{round_}-{n}-{workers}") as gws:
                    samples.append(measure(name, gws, upstream, key, args))
        forget_run_keys(redis_url)
        store = PostgresAuditStore(store_url)
        report = store.verify()
        store.close()
        answered = sum(s.responses for s in samples)
        print(f"chain: ok={report.ok}, {report.records} records; {answered} answers")
        args.chain = report
        args.answered = answered
    return samples


def write(samples: list[Sample], args: argparse.Namespace, load_before: str) -> None:
    by: dict[str, list[Sample]] = {}
    for s in samples:
        by.setdefault(s.setup, []).append(s)
    base = statistics.median(s.rps for s in by["1 replica"])
    lines = [
        "# Replicas: throughput of 1 against 3 sharing PostgreSQL and Redis",
        "",
        "`bench/scale/scale.py` (see its docstring for the method), pass-through (`allow` screen),",
        f"{args.concurrency} keep-alive connections, {args.seconds:g} s a setup after a 2 s "
        "warm-up,",
        f"setups taken in turns, {args.rounds} rounds. Machine: {cpu_model()}, "
        f"{len(os.sched_getaffinity(0))} CPUs available, load average before: {load_before}, "
        f"after: {load_average()} (shared with other work).",
        "",
        "| setup | round | req/s | × 1 replica | p50 ms | p99 ms | failures "
        "| CPU s: gateways | gateways waited for a CPU, s | upstream | load client |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in samples:
        lines.append(
            f"| {s.setup} | {samples.index(s) // 3 + 1} | {s.rps:.0f} | {s.rps / base:.2f} "
            f"| {s.pct(0.5):.1f} | {s.pct(0.99):.1f} | {s.failures} | {s.gateway_cpu:.1f} "
            f"| {s.gateway_wait:.1f} | {s.upstream_cpu:.1f} | {s.client_cpu:.1f} |"
        )
    lines += [
        "",
        "Medians over the rounds:",
        "",
        "| setup | req/s | × 1 replica | gateway CPU ms a request |",
        "|---|---|---|---|",
    ]
    for name, group in by.items():
        rps = statistics.median(s.rps for s in group)
        per = statistics.median(s.gateway_cpu * 1000 / max(1, len(s.latencies)) for s in group)
        lines.append(f"| {name} | {rps:.0f} | {rps / base:.2f} | {per:.2f} |")
    one = by["1 replica"]
    three = by["3 replicas"]
    cores_one = statistics.median(s.gateway_cpu / s.seconds for s in one)
    cores_three = statistics.median(s.gateway_cpu / s.seconds for s in three)
    wait_one = statistics.median(s.gateway_wait / max(s.gateway_cpu, 1e-9) for s in one)
    per = statistics.median(s.gateway_cpu / max(1, len(s.latencies)) for s in one)
    per_three = statistics.median(s.gateway_cpu / max(1, len(s.latencies)) for s in three)
    # What the upstream and the load client spend a request (PostgreSQL and Redis not counted).
    rest = statistics.median(
        (s.upstream_cpu + s.client_cpu) / max(1, len(s.latencies)) for s in three
    )
    cpus = len(os.sched_getaffinity(0))
    ceiling = cpus / (per_three + rest) * per
    lines += [
        "",
        "What bounds it: CPU time. One replica's gateway used "
        f"{cores_one:.2f} of a core (median) and waited {wait_one:.1f} s in the run queue for "
        f"every second it ran; three replicas together used {cores_three:.2f} of a core. At "
        f"{per * 1000:.2f} ms of gateway CPU a request, a replica (one event loop: one core at "
        f"most) would serve about {1 / per:.0f} requests/s with a core to itself; three "
        f"replicas spent {per_three * 1000:.2f} ms a request and the upstream and load client "
        f"{rest * 1000:.2f} ms more, so even with this machine's {cpus} CPUs idle they could "
        f"reach at most {cpus} / {(per_three + rest) * 1000:.2f} ms = "
        f"{cpus / (per_three + rest):.0f} requests/s, {ceiling:.2f}× one replica (less still: "
        "PostgreSQL and Redis are not counted). The ≥ 2.5× target needs about "
        f"{2.5 / per * (per_three + rest):.1f} cores; it is not measurable here.",
    ]
    chain = args.chain
    lines += [
        "",
        f"Audit chain afterwards: verifies = {chain.ok}, {chain.records} records for "
        f"{args.answered} answers (warm-ups included): "
        + ("one record each." if chain.records == args.answered else "**they differ**."),
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    load_before = load_average()
    samples = run(args)
    write(samples, args, load_before)


if __name__ == "__main__":
    main()
