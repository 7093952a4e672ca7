"""Screening benchmark: what the `policy` screen adds to the gateway, against screen `allow`.

Writes bench/gateway/SCREENING.md (medians from one run, machine noted):
- added latency, non-streaming, a ~200-token ordinary prompt (unique each request, so the verdict
  cache never helps), concurrency 1 and 8; requests/s at concurrency 8;
- a 2,000-token system prompt: its first request, then later requests that reuse it with a new turn;
- streaming time to first content token, screening on and off;
- the streaming cut's lateness: tokens forwarded after a harmful token before the stream ends;
- time to first token of a stream whose prompt was deferred to the answer (held until screened).

    python bench/gateway/screening.py                   # scorer: the trained model if installed
    python bench/gateway/screening.py --scorer lexicon  # screening machinery without a model
    python bench/gateway/screening.py --quick --baseline-src DIR  # throughput points only

`--quick` measures only the throughput points of the targets (non-streamed at concurrency 1 and
32, streamed at 32) for screen `allow`, screen `policy` and, with `--baseline-src`, `policy`
run from that tree, and writes them in their own section of SCREENING.md (the rest is kept).

The cut is measured with the `lexicon` scorer (a marker word stands for harmful content; no
harmful text is needed), with the scorer's latency set to what the real judge takes a window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import httpx
import orjson

from sekimori.testing.machine import cpu_model, load_average
from sekimori.testing.procs import ServerProcess, create_key, start_fake_upstream, start_gateway

HERE = Path(__file__).resolve().parent
SENTENCES = (
    "Our team is preparing the quarterly planning review for the logistics department.",
    "Please summarise the main risks in the supplier contracts and suggest next steps.",
    "The warehouse in Osaka reported longer picking times after the layout change.",
    "We would like a short table comparing three options with their costs and benefits.",
    "Keep the tone friendly and professional, and avoid jargon where a plain word works.",
    "The audience is the operations committee, who read it before the Monday meeting.",
    "Mention the energy savings from the new lighting and the heat pump retrofit.",
    "Close with two questions the committee should decide on this month.",
)
ROUNDS = 5
UNIQUE = itertools.count()  # request numbers, never repeated: no prompt hits the verdict cache
MARKER = "zqxhazard"
UNSURE = "zqxunsure"  # a prompt the scorer flags without being sure of it: deferred
STREAM = "text:600;delay=0.005"  # 600 tokens, 5 ms apart
WINDOW_TOKENS = 400 // 5  # the default window, in this stream's tokens ("w123 " is 5 chars)


@dataclass(frozen=True)
class Stats:
    p50_ms: float
    p99_ms: float
    n: int


def stats(samples: list[float]) -> Stats:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Stats(statistics.median(ordered) * 1000, p99 * 1000, len(ordered))


def prompt(i: int, words: int = 150) -> str:
    """~200 tokens of ordinary business prose, made unique by a request number at both ends:
    the answer judge reads the prompt's last 300 characters, which must be new too."""
    text = " ".join(SENTENCES * 4).split()[:words]
    return f"Request {i}. " + " ".join(text) + f" (Reference {i}.)"


# A short fixed answer, so that latency points measure input screening (a non-streamed answer
# is judged whole, which costs in proportion to its length).
SHORT = "say:Sure, here is the summary you asked for."


# ~60-token ordinary answers for the throughput points, written by hand for this bench and
# rotated, so that the answer judge (and its first stage) sees varied text; each request's is
# made unique by a draft number in its opening (`unique_answer`), so that no cache of the judge
# sees an answer, or an answer's opening, twice.
ANSWERS = (
    "Here is a short summary. The supplier contracts carry two main risks: the Osaka warehouse "
    "depends on a single carrier, and three contracts renew automatically in March. I suggest "
    "reviewing the carrier terms first and asking legal to flag the renewal dates.",
    "Sure. The committee should know that picking times rose by about a tenth after the layout "
    "change, mostly on the upper shelves. Moving the fast sellers back to waist height and "
    "relabelling the aisles would likely recover most of that time within a month.",
    "Of the three options, leasing costs least up front, buying pays off after four years, and "
    "the shared service is the most flexible. A simple table with cost, risk and time to set up "
    "for each would let the committee compare them at a glance on Monday.",
    "The new lighting cut the warehouse's electricity use noticeably, and the heat pump retrofit "
    "should lower winter heating bills as well. I would present both savings as monthly figures "
    "so the committee can compare them with the original estimates.",
    "Two questions for this month: should we renew the Osaka carrier contract for one year or "
    "three, and do we fund the second phase of the retrofit now or after the summer? Both "
    "decisions affect next quarter's budget, so it helps to settle them together.",
    "I kept the tone friendly and plain, as you asked. The draft opens with the key numbers, "
    "then the risks, then the proposed next steps, and it closes with the two decisions. Let me "
    "know if you would like it shorter or with a chart added.",
)


# Distinct answers registered for the throughput points: more than they send, so none repeats.
UNIQUE_ANSWERS = 4096


def unique_answer(k: int) -> str:
    return f"Draft {k}. " + ANSWERS[k % len(ANSWERS)]


def body(messages: list[dict[str, str]], *, stream: bool = False, model: str = SHORT) -> bytes:
    return orjson.dumps({"model": model, "stream": stream, "messages": messages})


async def timed(client: httpx.AsyncClient, url: str, payload: bytes) -> float:
    t0 = time.perf_counter()
    r = await client.post(url, content=payload)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
    return elapsed


async def latency(
    url: str, auth: dict[str, str], concurrency: int, n: int
) -> tuple[list[float], float]:
    """Per-request latencies and the wall time of `concurrency` clients sending `n` requests."""
    counter = UNIQUE
    samples: list[float] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(headers=auth, limits=limits, timeout=60) as client:
        await timed(client, url, body([{"role": "user", "content": prompt(-1)}]))  # warm

        async def worker() -> None:
            while len(samples) < n:
                i = next(counter)
                samples.append(
                    await timed(client, url, body([{"role": "user", "content": prompt(i)}]))
                )

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return samples, wall


@dataclass(frozen=True)
class Point:
    """One throughput point: latencies to the last byte, wall time, refused (non-200) count."""

    samples: list[float]
    wall: float
    refused: int


def _accumulate(
    points: dict[tuple[str, bool, int], Point], key: tuple[str, bool, int], point: Point
) -> None:
    """Adds a round's ``point`` to the rounds before it under ``key``."""
    was = points.get(key)
    if was is not None:
        point = Point(
            was.samples + point.samples, was.wall + point.wall, was.refused + point.refused
        )
    points[key] = point


async def throughput(
    url: str, auth: dict[str, str], concurrency: int, n: int, *, stream: bool, models: list[str]
) -> Point:
    """`concurrency` clients send `n` requests (unique ~200-token prompts, ~60-token answers
    rotated through `models`), streamed or not, each read to its end."""
    counter = UNIQUE
    samples: list[float] = []
    refused = 0
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(headers=auth, limits=limits, timeout=120) as client:

        async def one(i: int) -> None:
            nonlocal refused
            turn = [{"role": "user", "content": prompt(i)}]
            payload = body(turn, stream=stream, model=models[i % len(models)])
            t0 = time.perf_counter()
            async with client.stream("POST", url, content=payload) as r:
                async for _ in r.aiter_raw():
                    pass
            if r.status_code != 200:
                refused += 1
            else:
                samples.append(time.perf_counter() - t0)

        await one(next(counter))  # warm the connection
        sent = 0

        async def worker() -> None:
            nonlocal sent
            while sent < n:
                sent += 1
                await one(next(counter))

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return Point(samples, wall, refused)


async def system_reuse(url: str, auth: dict[str, str], n: int) -> tuple[Stats, Stats]:
    """Latency of requests with a new 2,000-token system prompt vs. ones reusing it."""
    first: list[float] = []
    again: list[float] = []
    async with httpx.AsyncClient(headers=auth, timeout=60) as client:
        for i in range(n):
            system = {"role": "system", "content": f"Policy {i}. " + prompt(i, 1500)}
            turn = {"role": "user", "content": f"Question {i}: what is on the agenda?"}
            first.append(await timed(client, url, body([system, turn])))
            turn = {"role": "user", "content": f"Question {i}b: who attends the meeting?"}
            again.append(await timed(client, url, body([system, turn])))
    return stats(first), stats(again)


async def ttft(
    url: str,
    auth: dict[str, str],
    n: int,
    *,
    fresh: bool,
    ask: str = "",
    model: str = "text:40",
) -> Stats:
    """Time to the first content token of a streamed answer.

    `fresh`: a new 200-token prompt each time, so the wait includes input screening. Otherwise a
    prompt screened before (its verdict cached), so what is left is what output screening adds:
    `ask` (default: an ordinary 200-token prompt).
    """
    samples = []
    async with httpx.AsyncClient(headers=auth, timeout=60) as client:
        turn = [{"role": "user", "content": ask or prompt(-2)}]
        await timed(client, url, body(turn))
        for i in range(n + 1):
            if fresh:
                turn = [{"role": "user", "content": prompt(next(UNIQUE))}]
            payload = body(turn, stream=True, model=model)
            t0 = time.perf_counter()
            first = 0.0
            async with client.stream("POST", url, content=payload) as r:
                async for line in r.aiter_lines():
                    if not first and '"content"' in line:
                        first = time.perf_counter() - t0
            if i:  # the first opens the connection
                samples.append(first)
    return stats(samples)


async def cut_lateness(url: str, auth: dict[str, str], upstream: str, n: int) -> list[int]:
    """Tokens (words) shown after the marker word before the stream was cut."""
    words = [f"w{i}" for i in range(600)]
    at = 200
    words[at] = MARKER
    async with httpx.AsyncClient(timeout=60) as raw:
        await raw.post(upstream + "/_fake/scripts/cut", content=" ".join(words).encode())
    late = []
    async with httpx.AsyncClient(headers=auth, timeout=60) as client:
        for _ in range(n):
            payload = body(
                [{"role": "user", "content": "tell me a story"}],
                stream=True,
                model="script:cut;delay=0.005",
            )
            shown = []
            finish = None
            async with client.stream("POST", url, content=payload) as r:
                async for line in r.aiter_lines():
                    if not line.startswith("data: {"):
                        continue
                    for choice in orjson.loads(line[6:]).get("choices", []):
                        if choice.get("finish_reason"):
                            finish = choice["finish_reason"]
                        elif choice["delta"].get("content"):
                            shown.append(choice["delta"]["content"])
            tokens = "".join(shown).split()
            if finish != "content_filter":
                raise RuntimeError(f"stream was not cut (finish_reason {finish})")
            # -1: the marker itself was never shown (hold-back)
            late.append(len(tokens) - tokens.index(MARKER) - 1 if MARKER in tokens else -1)
    return late


def judge_latency_ms() -> tuple[float, str]:
    """The answer judge's median time on one default window (400 characters), if installed."""
    if find_spec("sekimori.classify.answers") is None:
        return 20.0, "assumed (answer judge not installed)"
    from sekimori.classify.answers import judge_answer_batch

    window = (prompt(0) * 3)[:400]
    judge_answer_batch(["warm"], [window])
    samples = []
    for i in range(21):
        t0 = time.perf_counter()
        judge_answer_batch([f"story {i}"], [window])
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000, "the answer judge's median on this machine"


def machine() -> str:
    cpu = cpu_model()
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs (shared with other jobs), Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )


def gateway_config(
    home: Path, upstream: ServerProcess, screen: str, options: str, hold: int = 0
) -> Path:
    path = home / f"{screen}-{abs(hash(options))}-{hold}.yaml"
    path.write_text(
        f"upstreams:\n  fake:\n    url: {upstream.url}\n"
        f"screen: {{name: {screen}, hold_chars: {hold}, options: {options}}}\n",
        encoding="utf-8",
    )
    return path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scorer", choices=("auto", "model", "lexicon"), default="auto")
    parser.add_argument("--requests", type=int, default=200, help="requests a latency point")
    parser.add_argument(
        "--judge-ms",
        type=float,
        help="scorer latency a window for the cut (default: the answer judge's, measured here)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "SCREENING.md")
    parser.add_argument(
        "--throughput",
        type=int,
        default=320,
        help="requests a throughput point at concurrency 32 (fewer at 1 and 8; 0: skip)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="a policy gateway with this many workers too"
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        help="a policy gateway run from this source tree (its `src`) too, in the throughput "
        "points: before and after a change, side by side under the same load",
    )
    parser.add_argument(
        "--baseline-label", default="baseline", help="what the baseline's rows are called"
    )
    parser.add_argument(
        "--quick", action="store_true", help="the targets' throughput points only (see above)"
    )
    parser.add_argument(
        "--quick-rounds", type=int, default=4, help="rounds the gateways take turns in (--quick)"
    )
    args = parser.parse_args()
    if args.quick:
        return quick(
            args.out, args.throughput, args.baseline_src, args.baseline_label, args.quick_rounds
        )
    scorer = args.scorer
    if scorer == "auto":
        scorer = "model" if find_spec("sekimori.classify.api") is not None else "lexicon"
    judge_note = "given"
    if args.judge_ms is None:
        args.judge_ms, judge_note = judge_latency_ms()
    about = machine()
    print(about, f"scorer={scorer}", file=sys.stderr)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp, start_fake_upstream() as upstream:
        home = Path(tmp)
        lexicon = home / "lexicon.yaml"
        lexicon.write_text(
            f'phrases: {{"{MARKER}": {{weapons.chem: 0.99}}}}\ndelay_ms: 0\n', encoding="utf-8"
        )
        options = {
            "allow": "{}",
            "policy": "{scorer: model}"
            if scorer == "model"
            else f"{{scorer: lexicon, lexicon: {lexicon}}}",
        }
        with contextlib.ExitStack() as stack:
            urls: dict[str, str] = {}
            keys: dict[str, dict[str, str]] = {}
            for name, opts in options.items():
                own = home / name  # one data directory (audit, keys) a gateway
                own.mkdir()
                keys[name] = {"Authorization": f"Bearer {create_key(own, 'bench')}"}
                config = gateway_config(home, upstream, name, opts)
                gateway = stack.enter_context(start_gateway(own, "--config", str(config)))
                urls[name] = gateway.url + "/v1/chat/completions"
            # Both gateways run side by side and take turns, so that other load on the machine
            # falls on both alike.
            pooled: dict[str, tuple[list[float], float]] = {}
            for turn in range(ROUNDS):
                print(f"latency round {turn + 1}/{ROUNDS}", file=sys.stderr)
                for name, url in urls.items():
                    for c in (1, 8):
                        n = args.requests * (2 if c == 8 else 1) // ROUNDS
                        samples, wall = asyncio.run(latency(url, keys[name], c, n))
                        before = pooled.get(f"{name}.c{c}", ([], 0.0))
                        pooled[f"{name}.c{c}"] = (before[0] + samples, before[1] + wall)
            for point, (samples, wall) in pooled.items():
                results[point] = (stats(samples), len(samples) / wall)
            for name, url in urls.items():
                results[f"{name}.system"] = asyncio.run(system_reuse(url, keys[name], 20))
                results[f"{name}.ttft"] = asyncio.run(ttft(url, keys[name], 100, fresh=False))
                results[f"{name}.first"] = asyncio.run(ttft(url, keys[name], 100, fresh=True))
            if args.throughput:
                results["throughput"] = throughput_points(
                    stack,
                    home,
                    upstream,
                    urls,
                    keys,
                    options["policy"],
                    args.throughput,
                    args.workers,
                    args.baseline_src,
                )
                if args.baseline_src is not None:
                    LABELS["policy-baseline"] += f" ({args.baseline_label})"
        auth = keys["policy"]
        slow = home / "slow.yaml"
        slow.write_text(
            f'phrases: {{"{MARKER}": {{weapons.chem: 0.99}}, "{UNSURE}": {{weapons.bio: 0.7}}}}\n'
            f"delay_ms: {args.judge_ms}\nsure_at: 0.9\n",
            encoding="utf-8",
        )
        late: dict[int, list[int]] = {}
        for hold in (0, 400):
            opts = f"{{scorer: lexicon, lexicon: {slow}}}"
            config = gateway_config(home, upstream, "policy", opts, hold)
            with start_gateway(home / "policy", "--config", str(config)) as gateway:
                print(f"cut lateness, hold_chars={hold}", file=sys.stderr)
                url = gateway.url + "/v1/chat/completions"
                late[hold] = asyncio.run(cut_lateness(url, auth, upstream.url, 30))
                if not hold:  # an ordinary prompt's stream, then a deferred one's
                    for key, ask in (("plain", "tell me a story"), ("deferred", UNSURE)):
                        results[f"slow.{key}"] = asyncio.run(
                            ttft(url, auth, 30, fresh=False, ask=ask, model=STREAM)
                        )
    write(args.out, about, scorer, results, late, args.judge_ms, judge_note, args.requests)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


THROUGHPUT_ROUNDS = 2
QUICK_POINTS = ((False, 1), (False, 32), (True, 32))
QUICK_START, QUICK_END = "<!-- quick throughput -->", "<!-- /quick throughput -->"


def quick(out: Path, n32: int, baseline: Path | None, baseline_label: str, rounds: int) -> int:
    """`--quick`: the targets' throughput points, the gateways side by side, in rounds."""
    about = machine()
    print(about, file=sys.stderr)
    points: dict[tuple[str, bool, int], Point] = {}
    with tempfile.TemporaryDirectory() as tmp, start_fake_upstream() as upstream:
        home = Path(tmp)
        with httpx.Client() as client:
            for i in range(UNIQUE_ANSWERS):
                answer = unique_answer(i).encode()
                client.post(f"{upstream.url}/_fake/scripts/answer{i}", content=answer)
        models = [f"script:answer{i}" for i in range(UNIQUE_ANSWERS)]
        runs: dict[str, tuple[str, dict[str, str]]] = {
            "allow": ("{}", {}),
            "policy": ("{scorer: model}", {}),
        }
        if baseline is not None:
            runs["policy-baseline"] = ("{scorer: model}", {"PYTHONPATH": str(baseline)})
        urls: dict[str, str] = {}
        keys: dict[str, dict[str, str]] = {}
        with contextlib.ExitStack() as stack:
            for name, (opts, env) in runs.items():
                own = home / name
                own.mkdir()
                keys[name] = {"Authorization": f"Bearer {create_key(own, 'bench')}"}
                screen = "allow" if name == "allow" else "policy"
                config = gateway_config(home, upstream, screen, opts)
                gw = stack.enter_context(start_gateway(own, "--config", str(config), env=env))
                urls[name] = gw.url + "/v1/chat/completions"
            for turn in range(rounds):
                # the gateways' order turns too: none always follows the same one
                order = (
                    list(urls.items())[turn % len(urls) :] + list(urls.items())[: turn % len(urls)]
                )
                for name, url in order:
                    for stream, c in QUICK_POINTS:
                        print(f"quick {turn + 1}/{rounds} {name} c={c}", file=sys.stderr)
                        n = max(c * 2, n32 * c // 32 if c > 1 else n32 // 8) // rounds
                        point = asyncio.run(
                            throughput(url, keys[name], c, n, stream=stream, models=models)
                        )
                        _accumulate(points, (name, stream, c), point)
    if baseline is not None:
        LABELS["policy-baseline"] += f" ({baseline_label})"
    section = quick_lines(about, points, rounds)
    text = out.read_text(encoding="utf-8") if out.exists() else "# Screening benchmark\n"
    if QUICK_START in text and QUICK_END in text:
        head, _, rest = text.partition(QUICK_START)
        _, _, tail = rest.partition(QUICK_END)
        text = head.rstrip("\n") + "\n\n" + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _rps(points: dict[tuple[str, bool, int], Point], name: str, stream: bool, c: int) -> float:
    """Requests a second at one throughput point (0 when it was not run)."""
    pt = points.get((name, stream, c))
    return len(pt.samples) / pt.wall if pt and pt.wall else 0.0


def _p50(points: dict[tuple[str, bool, int], Point], name: str, stream: bool, c: int) -> float:
    """Median latency at one throughput point (NaN when it was not run)."""
    pt = points.get((name, stream, c))
    return stats(pt.samples).p50_ms if pt and pt.samples else float("nan")


def quick_lines(about: str, points: dict[tuple[str, bool, int], Point], rounds: int) -> str:
    def rps(name: str, stream: bool, c: int) -> float:
        return _rps(points, name, stream, c)

    def p50(name: str, stream: bool, c: int) -> float:
        return _p50(points, name, stream, c)

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    added = {n: p50(n, False, 1) - p50("allow", False, 1) for n in ("policy", "policy-baseline")}
    lines = [
        QUICK_START,
        "## Throughput points of the targets (quick run) / 目標のスループット（簡易計測）",
        "",
        f"Machine: {about}.",
        f"Run: `python bench/gateway/screening.py --quick` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, under `nice -n 19`, the two "
        "cores shared with other helpers' jobs (figures move with that load: compare rows of "
        "this run only; when other jobs saturate the cores, a niced gateway gets a small, "
        "varying share of them, and the concurrency-32 points measure that share more than the "
        "code: CPU time a request is in PASSES.md). The throughput requests above (unique "
        "prompts: no verdict cache "
        "helps; their body sentences are shared, so the prompt classifier's memory of recent "
        "pieces serves their segments after the first request, see PASSES.md for a prompt no "
        f"piece of which was seen); {rounds} rounds alternating between the gateways (which "
        "run side by side), the order turning each round.",
        "",
        "| gateway | stream | concurrency | requests | refused | p50 ms | p99 ms | req/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (name, stream, c), pt in sorted(points.items(), key=lambda kv: (kv[0][0], kv[0][1:])):
        st = stats(pt.samples) if pt.samples else Stats(0, 0, 0)
        lines.append(
            f"| {LABELS.get(name, name)} | {'yes' if stream else 'no'} | {c} | {len(pt.samples)} "
            f"| {pt.refused} | {st.p50_ms:.1f} | {st.p99_ms:.1f} | {rps(name, stream, c):.1f} |"
        )
    lines += [
        "",
        f"- Screened req/s at concurrency 32, non-streamed: {rps('policy', False, 32):.1f} "
        f"(target >= 100): {verdict(rps('policy', False, 32) >= 100)}.",
        f"- Screened req/s at concurrency 32, streamed: {rps('policy', True, 32):.1f} "
        f"(target >= 80): {verdict(rps('policy', True, 32) >= 80)}.",
        f"- Added latency p50 at concurrency 1, non-streamed with the answer judged: "
        f"{added['policy']:.1f} ms (target <= 15 ms): {verdict(added['policy'] <= 15)}.",
    ]
    if ("policy-baseline", False, 32) in points:
        lines.append(
            "- This tree against the baseline code, side by side: c=32 non-streamed "
            f"{rps('policy-baseline', False, 32):.1f} -> {rps('policy', False, 32):.1f} req/s, "
            f"streamed {rps('policy-baseline', True, 32):.1f} -> {rps('policy', True, 32):.1f}; "
            f"c=1 added p50 {added['policy-baseline']:.1f} -> {added['policy']:.1f} ms."
        )
    return "\n".join([*lines, QUICK_END, ""])


def throughput_points(
    stack: contextlib.ExitStack,
    home: Path,
    upstream: ServerProcess,
    urls: dict[str, str],
    keys: dict[str, dict[str, str]],
    policy_options: str,
    n32: int,
    workers: int,
    baseline: Path | None = None,
) -> dict[tuple[str, bool, int], Point]:
    """Throughput with ~60-token answers at concurrency 1, 8, 32, streamed and not: the two
    gateways above, the policy gateway run from the `baseline` source tree (next to the policy
    gateway, so that both meet the same load), a policy gateway with `--workers`, and LiteLLM's
    proxy when it starts."""
    from run import LITELLM_KEY, start_litellm

    # Scripts, not `say:TEXT` model names: the gateway refuses model names this long (400).
    with httpx.Client() as client:
        for i in range(UNIQUE_ANSWERS):
            answer = unique_answer(i).encode()
            client.post(f"{upstream.url}/_fake/scripts/answer{i}", content=answer)
    models = [f"script:answer{i}" for i in range(UNIQUE_ANSWERS)]
    gateways = dict(urls)
    auth = dict(keys)
    if baseline is not None:
        own = home / "baseline"
        own.mkdir()
        auth["policy-baseline"] = {"Authorization": f"Bearer {create_key(own, 'bench')}"}
        config = gateway_config(home, upstream, "policy", policy_options)
        gw = stack.enter_context(
            start_gateway(own, "--config", str(config), env={"PYTHONPATH": str(baseline)})
        )
        gateways["policy-baseline"] = gw.url + "/v1/chat/completions"
    if workers > 1:
        own = home / "workers"
        own.mkdir()
        auth["policy-workers"] = {"Authorization": f"Bearer {create_key(own, 'bench')}"}
        config = gateway_config(home, upstream, "policy", policy_options)
        gw = stack.enter_context(
            start_gateway(own, "--config", str(config), "--workers", str(workers))
        )
        gateways["policy-workers"] = gw.url + "/v1/chat/completions"
    # LiteLLM screens nothing: its config names the first six answers only.
    names = {f"a{i}": m for i, m in enumerate(models[: len(ANSWERS)])}
    litellm = start_litellm(upstream, home, names)
    if litellm is not None:
        stack.callback(litellm.proc.kill)
        gateways["litellm"] = f"http://127.0.0.1:{litellm.port}/v1/chat/completions"
        auth["litellm"] = {"Authorization": f"Bearer {LITELLM_KEY}"}
    out: dict[tuple[str, bool, int], Point] = {}
    for turn in range(THROUGHPUT_ROUNDS):
        for name, url in gateways.items():
            use = list(names) if name == "litellm" else models
            for stream in (False, True):
                for c in (1, 8, 32):
                    print(
                        f"throughput {turn + 1}/{THROUGHPUT_ROUNDS} {name} c={c}", file=sys.stderr
                    )
                    n = max(c * 2, n32 * c // 32 if c > 1 else n32 // 8) // THROUGHPUT_ROUNDS
                    point = asyncio.run(
                        throughput(url, auth[name], c, n, stream=stream, models=use)
                    )
                    _accumulate(out, (name, stream, c), point)
    return out


def write(
    out: Path,
    about: str,
    scorer: str,
    r: dict[str, object],
    lateness: dict[int, list[int]],
    judge_ms: float,
    judge_note: str,
    n: int,
) -> None:
    def lat(key: str) -> tuple[Stats, float]:
        value = r[key]
        assert isinstance(value, tuple)
        return value  # type: ignore[return-value]

    a1, a1_rps = lat("allow.c1")
    p1, p1_rps = lat("policy.c1")
    a8, a8_rps = lat("allow.c8")
    p8, p8_rps = lat("policy.c8")
    a_first, a_again = lat("allow.system")
    p_first, p_again = lat("policy.system")
    a_ttft, p_ttft = r["allow.ttft"], r["policy.ttft"]
    a_first, p_first_token = r["allow.first"], r["policy.first"]
    assert isinstance(a_ttft, Stats) and isinstance(p_ttft, Stats)
    assert isinstance(a_first, Stats) and isinstance(p_first_token, Stats)
    added_first = p_first_token.p50_ms - a_first.p50_ms
    add1, add8 = p1.p50_ms - a1.p50_ms, p8.p50_ms - a8.p50_ms
    late, held = lateness[0], lateness[400]
    plain, deferred = r["slow.plain"], r["slow.deferred"]
    assert isinstance(plain, Stats) and isinstance(deferred, Stats)

    def verdict(ok: bool) -> str:
        if scorer != "model":
            return "not assessed (no classifier model in this run; machinery only)"
        return "met" if ok else "missed"

    held_shown = sum(1 for x in held if x >= 0)
    scorer_note = (
        "the trained prompt classifier and answer judge (`scorer: model`)"
        if scorer == "model"
        else "the `lexicon` scorer (phrase lookup): this measures the screening machinery "
        "(thread pool, cache, PII redaction, policy, audit), NOT a classifier model, "
        "which was not installed"
    )
    lines = [
        "# Screening benchmark",
        "",
        f"Machine: {about}; load average at the end {load_average()} (other helpers' jobs "
        "share the two cores: compare gateways within this run, not with other runs).",
        f"Run: `python bench/gateway/screening.py --scorer {scorer}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Fake upstream answering at once; "
        "gateway with auth and audit on, one worker; screen `allow` vs `policy` with the "
        f"built-in default policy; scorer: {scorer_note}. Python httpx client on the same "
        f"machine; {n} requests a point at concurrency 1, {2 * n} at 8, in {ROUNDS} rounds "
        "alternating between the two gateways, which run side by side.",
        "",
        "| screen | concurrency | p50 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|",
        f"| allow | 1 | {a1.p50_ms:.2f} | {a1.p99_ms:.2f} | {a1_rps:.0f} |",
        f"| policy | 1 | {p1.p50_ms:.2f} | {p1.p99_ms:.2f} | {p1_rps:.0f} |",
        f"| allow | 8 | {a8.p50_ms:.2f} | {a8.p99_ms:.2f} | {a8_rps:.0f} |",
        f"| policy | 8 | {p8.p50_ms:.2f} | {p8.p99_ms:.2f} | {p8_rps:.0f} |",
        "",
        "Long system prompt (~2,000 tokens), p50 ms: "
        f"policy first request {p_first.p50_ms:.2f}, a later request reusing it with a new turn "
        f"{p_again.p50_ms:.2f} (allow: {a_first.p50_ms:.2f} / {a_again.p50_ms:.2f}).",
        "",
        f"Streaming time to first content token, p50, prompt already screened (its verdict "
        f"cached): allow {a_ttft.p50_ms:.2f} ms, policy {p_ttft.p50_ms:.2f} ms (output "
        "screening runs beside the stream). Latency points use a short fixed answer "
        f"(`{SHORT}`), so they measure input screening.",
        "",
        f"Streaming cut: a marker token at position 200 of 600, 5 ms between tokens, default "
        f"window (400 chars) and stride (120 chars), scorer latency {judge_ms:.0f} ms a window "
        f"({judge_note}); "
        f"tokens shown after the marker over {len(late)} streams: median "
        f"{statistics.median(late):.0f}, max {max(late)}. With `hold_chars: 400` the marker "
        f"was shown in {held_shown} of {len(held)} streams.",
        "",
        "A prompt whose block is deferred to the answer (`uncertain_input: defer`; its stream "
        "is released only once screened), same stream and scorer latency, first content token "
        f"p50: {deferred.p50_ms:.0f} ms, vs {plain.p50_ms:.0f} ms for an ordinary prompt.",
        "",
        *throughput_lines(r),
        "## Targets",
        "",
        f"- Added latency of input screening, 200-token prompt, concurrency 1 (time to the first "
        f"token of a stream, fresh prompts): {added_first:.2f} ms p50 (allow "
        f"{a_first.p50_ms:.2f}, policy {p_first_token.p50_ms:.2f}; target < 25 ms, ≤ 80 ms with "
        f"the full model): {verdict(added_first < 25)}"
        + (f" / {verdict(added_first <= 80)}." if scorer == "model" else "."),
        f"- Added latency end to end, non-streamed (input screening and judging the whole "
        f"answer), concurrency 1: {add1:.2f} ms p50.",
        f"- Added latency end to end, non-streamed, concurrency 8: {add8:.2f} ms p50.",
        f"- Requests/s with screening on at concurrency 8: {p8_rps:.0f} (off: {a8_rps:.0f}).",
        f"- Reused system prompt pays only for the new turn: {p_again.p50_ms:.2f} ms vs "
        f"{p_first.p50_ms:.2f} ms for the first request.",
        f"- TTFT change with the input verdict cached: {p_ttft.p50_ms - a_ttft.p50_ms:+.2f} ms "
        f"(target ≤ +2 ms): {'met' if p_ttft.p50_ms - a_ttft.p50_ms <= 2 else 'missed'}.",
        f"- Cut lateness: max {max(late)} tokens; one window here is {WINDOW_TOKENS} tokens "
        f"(400 chars / 5 chars a token; target: within one window): "
        f"{'met' if max(late) <= WINDOW_TOKENS else 'missed'}.",
        *throughput_targets(r),
        "- Noisy neighbour (one tenant's latency while another floods the gateway with maximal "
        "prompts at concurrency 16, and RSS): `bench/gateway/noisy.py`, results in `NOISY.md`.",
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")


LABELS = {
    "allow": "sekimori, screen `allow` (pass-through)",
    "policy": "sekimori, screen `policy`, one process",
    "policy-baseline": "sekimori, screen `policy`, one process, baseline code",
    "policy-workers": "sekimori, screen `policy`, `--workers 2`",
    "litellm": "LiteLLM proxy (no screening)",
}


def _points(r: dict[str, object]) -> dict[tuple[str, bool, int], Point]:
    value = r.get("throughput") or {}
    assert isinstance(value, dict)
    return value


def throughput_lines(r: dict[str, object]) -> list[str]:
    points = _points(r)
    if not points:
        return []
    lines = [
        "## Throughput with answers / 回答付きのスループット",
        "",
        "Unique ~200-token prompts, ~60-token ordinary answers (six hand-written ones, rotated, "
        "each made unique by a draft number in its opening; `ANSWERS` in the script), each "
        "response read to its end; "
        f"{THROUGHPUT_ROUNDS} rounds alternating between the gateways, which run side by side. "
        "The load generator shares the two cores. Latencies to the last byte.",
        "",
        "| gateway | stream | concurrency | requests | refused | p50 ms | p99 ms | req/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (name, stream, c), pt in points.items():
        st = stats(pt.samples) if pt.samples else Stats(0, 0, 0)
        rps = len(pt.samples) / pt.wall if pt.wall else 0.0
        lines.append(
            f"| {LABELS.get(name, name)} | {'yes' if stream else 'no'} | {c} | {len(pt.samples)} "
            f"| {pt.refused} | {st.p50_ms:.1f} | {st.p99_ms:.1f} | {rps:.1f} |"
        )
    if not any(name == "litellm" for name, _, _ in points):
        lines += ["", "LiteLLM: did not start or install in this run (not measured)."]
    return [*lines, ""]


def throughput_targets(r: dict[str, object]) -> list[str]:
    points = _points(r)
    if not points:
        return []

    def rps(name: str, stream: bool, c: int) -> float:
        return _rps(points, name, stream, c)

    def p50(name: str, stream: bool, c: int) -> float:
        return _p50(points, name, stream, c)

    best = max(("policy", "policy-workers"), key=lambda n: rps(n, False, 32))
    best_s = max(("policy", "policy-workers"), key=lambda n: rps(n, True, 32))
    added = p50("policy", False, 1) - p50("allow", False, 1)
    before: list[str] = []
    if ("policy-baseline", False, 32) in points:
        was = p50("policy-baseline", False, 1) - p50("allow", False, 1)
        before = [
            f"- This run's code against the baseline code, one process each, side by side: "
            f"c=32 non-streamed {rps('policy-baseline', False, 32):.1f} -> "
            f"{rps('policy', False, 32):.1f} req/s, streamed {rps('policy-baseline', True, 32):.1f}"
            f" -> {rps('policy', True, 32):.1f}; c=1 added p50 with the answer judged "
            f"{was:.1f} -> {added:.1f} ms."
        ]
    return [
        *before,
        f"- Screened req/s at concurrency 32, non-streamed, ~60-token answers: "
        f"{rps('policy', False, 32):.1f} one process, {rps('policy-workers', False, 32):.1f} "
        f"with workers (pass-through {rps('allow', False, 32):.0f}; target >= 100): "
        f"{'met' if rps(best, False, 32) >= 100 else 'missed'}.",
        f"- Screened req/s at concurrency 32, streamed: {rps('policy', True, 32):.1f} one "
        f"process, {rps('policy-workers', True, 32):.1f} with workers (pass-through "
        f"{rps('allow', True, 32):.0f}; target >= 80): "
        f"{'met' if rps(best_s, True, 32) >= 80 else 'missed'}.",
        f"- Added latency p50 at concurrency 1, non-streamed with the answer judged: "
        f"{added:.1f} ms (target <= 15 ms): {'met' if added <= 15 else 'missed'}.",
    ]


if __name__ == "__main__":
    sys.exit(main())
