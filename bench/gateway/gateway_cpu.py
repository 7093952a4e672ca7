"""CPU time a screened request costs a `policy` gateway, two source trees side by side.

Wall-clock requests/s moves with whatever else the machine runs; the CPU time the gateway's
process spends on a request moves much less. This starts a fake upstream and two `policy`
gateways (scorer `model`, one process each): this tree's and, with `--baseline-src`, another
tree's; sends `screening.py`'s throughput requests (unique ~200-token prompts, ~60-token
answers) at one concurrency, streamed or not, in rounds that alternate between the gateways
(the order turning each round), and reads each gateway's CPU time from /proc (every thread; the
two busiest apart, which are the two screen threads) before and after each round.

    python bench/gateway/gateway_cpu.py [--requests 160 --rounds 6 --concurrency 32 --stream]
                                        [--baseline-src DIR]

Prints one line a gateway: requests, CPU ms a request (all threads, two busiest), req/s (the
wall-clock figure, which the machine's load moves), and the load average. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from screening import UNIQUE_ANSWERS, gateway_config, throughput, unique_answer  # noqa: E402

from sekimori.home import home_dir  # noqa: E402
from sekimori.testing.procs import create_key, start_fake_upstream, start_gateway  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user and system) of each thread of process ``pid``."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            stat = (task / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            out[task.name] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=160, help="requests a gateway a round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--baseline-src", type=Path, help="another source tree's `src`")
    args = parser.parse_args()
    trees: dict[str, dict[str, str]] = {"this tree": {}}
    if args.baseline_src is not None:
        trees = {"baseline": {"PYTHONPATH": str(args.baseline_src)}, **trees}
    totals = {name: {"cpu": 0.0, "busiest": 0.0, "n": 0, "wall": 0.0} for name in trees}
    with tempfile.TemporaryDirectory() as tmp, start_fake_upstream() as upstream:
        with httpx.Client() as client:
            for i in range(UNIQUE_ANSWERS):
                answer = unique_answer(i).encode()
                client.post(f"{upstream.url}/_fake/scripts/answer{i}", content=answer)
        models = [f"script:answer{i}" for i in range(UNIQUE_ANSWERS)]
        gateways = {}
        with contextlib.ExitStack() as stack:
            for name, env in trees.items():
                home = Path(tmp) / name.replace(" ", "-")
                home.mkdir()
                built = home_dir() / "models"  # the encoder graphs, so that none is built again
                if built.is_dir():
                    (home / "models").symlink_to(built, target_is_directory=True)
                key = {"Authorization": f"Bearer {create_key(home, 'bench')}"}
                config = gateway_config(home, upstream, "policy", "{scorer: model}")
                gw = stack.enter_context(start_gateway(home, "--config", str(config), env=env))
                gateways[name] = (gw, gw.url + "/v1/chat/completions", key)

            def send(url: str, key: dict[str, str], n: int) -> tuple[int, float]:
                point = asyncio.run(
                    throughput(url, key, args.concurrency, n, stream=args.stream, models=models)
                )
                return len(point.samples) + point.refused, point.wall

            for _, url, key in gateways.values():
                send(url, key, 2 * args.concurrency)  # warm: models loaded, caches filled
            for r in range(args.rounds):
                order = list(gateways.items())
                order = order[r % len(order) :] + order[: r % len(order)]
                for name, (gw, url, key) in order:
                    before = thread_cpu(gw.proc.pid)
                    n, wall = send(url, key, args.requests)
                    after = thread_cpu(gw.proc.pid)
                    spent = sorted(
                        (t - before.get(tid, 0.0) for tid, t in after.items()), reverse=True
                    )
                    total = totals[name]
                    total["cpu"] += sum(spent)
                    total["busiest"] += sum(spent[:2])
                    total["n"] += n
                    total["wall"] += wall
                print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
    kind = "streamed" if args.stream else "non-streamed"
    for name, t in totals.items():
        print(
            f"{name}: {t['n']:.0f} {kind} requests at concurrency {args.concurrency}, CPU "
            f"{1000 * t['cpu'] / t['n']:.2f} ms a request (two busiest threads "
            f"{1000 * t['busiest'] / t['n']:.2f}), {t['n'] / t['wall']:.1f} req/s"
        )
    print("load average", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
