"""Guard-model benchmark with the fake guard server (no real guard is reachable here).

Writes bench/guards/RESULTS.md:
- each adapter (kind x API) on the `sekimori guard check` sample against the fake server:
  verdicts that match the sample's intent, and the round-trip time of one verdict (the
  adapter, HTTP on loopback and the fake's parsing: what sekimori adds to a guard's own time);
- the gateway (lexicon scorer, so no model dominates) with and without an `always` guard rule
  and an `answers` rule on the fake: what routing adds per request when the guard is instant.

    nice -n 10 python bench/guards/run.py

The fake server answers by keyword, so agreement figures say the adapters read their formats,
not how good any guard model is. A real guard's quality: `sekimori guard check URL --model KIND`
and `sekimori eval classifier --guard URL --guard-model KIND --output FILE` where one is served.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from sekimori.guards import GuardSettings, GuardVerdict, make_guard
from sekimori.guards.sample import SAMPLE
from sekimori.testing.machine import cpu_model, load_average
from sekimori.testing.procs import (
    ServerProcess,
    create_key,
    start_fake_guard,
    start_fake_upstream,
    start_gateway,
)

HERE = Path(__file__).resolve().parent
KINDS = (
    "llama_guard_3",
    "llama_guard_4",
    "qwen3guard",
    "shieldgemma",
    "granite_guardian",
    "wildguard",
)
ROUNDS = 5
REQUESTS = 150
UNIQUE = itertools.count()


def ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


async def adapter_row(url: str, kind: str, api: str) -> str:
    guard = make_guard(GuardSettings(kind=kind, url=url, model=kind, api=api))  # type: ignore[arg-type]
    times: list[float] = []
    right = total = 0
    try:
        for _ in range(ROUNDS):
            for item in SAMPLE:
                t0 = time.perf_counter()
                v: GuardVerdict = await guard.classify(item.text)
                times.append(time.perf_counter() - t0)
                total += 1
                right += v.ok and v.harmful == item.harmful
    finally:
        await guard.aclose()
    p50, p99 = ms(times)
    calls = {"shieldgemma": 4}.get(kind, 1)
    return f"| {kind} | {api} | {calls} | {right}/{total} | {p50:.1f} | {p99:.1f} |"


POLICY = """version: 1
guards:
  lg3: {{kind: llama_guard_3, url: {guard}, model: llama_guard_3}}
tenants:
  always:
    guards: [{{guard: lg3, when: always, budget_ms: 2000}}]
  answers:
    guards: [{{guard: lg3, when: answers, budget_ms: 2000}}]
"""


def prompt() -> str:
    return f"Request {next(UNIQUE)}: please summarise the quarterly logistics review in a table."


async def gateway_latency(url: str, key: str, n: int) -> tuple[float, float]:
    auth = {"Authorization": f"Bearer {key}"}
    body = {"model": "say:Sure, here is the summary.", "messages": []}
    samples = []
    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
        for i in range(n + 5):
            body["messages"] = [{"role": "user", "content": prompt()}]
            t0 = time.perf_counter()
            r = await client.post(url + "/v1/chat/completions", content=orjson.dumps(body))
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
            if i >= 5:  # the first few warm the connection and the caches
                samples.append(time.perf_counter() - t0)
    return ms(samples)


def gateway_rows(guard: ServerProcess) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp, start_fake_upstream() as upstream:
        home = Path(tmp)
        (home / "lexicon.yaml").write_text("phrases: {}\n", encoding="utf-8")
        (home / "policy.yaml").write_text(POLICY.format(guard=guard.url), encoding="utf-8")
        (home / "sekimori.yaml").write_text(
            f"upstreams: {{fake: {{url: {upstream.url}}}}}\n"
            "screen: {name: policy, options: {scorer: lexicon, lexicon: "
            f"{home / 'lexicon.yaml'}}}}}\n"
            f"policy_file: {home / 'policy.yaml'}\n",
            encoding="utf-8",
        )
        keys = {t: create_key(home, t) for t in ("none", "always", "answers")}
        rows = []
        with start_gateway(home, "--config", str(home / "sekimori.yaml")) as gw:
            base = None
            for tenant, label in (
                ("none", "no guard rule"),
                ("always", "`always` (input)"),
                ("answers", "`answers` (complete answer)"),
            ):
                p50, p99 = asyncio.run(gateway_latency(gw.url, keys[tenant], REQUESTS))
                base = p50 if base is None else base
                added = "" if tenant == "none" else f"+{p50 - base:.1f}"
                rows.append(f"| {label} | {REQUESTS} | {p50:.1f} | {p99:.1f} | {added} |")
        return rows


def main() -> int:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    with start_fake_guard() as guard:
        adapters = [
            asyncio.run(adapter_row(guard.url, kind, api))
            for kind in KINDS
            for api in ("openai", "ollama")
        ]
        gateway = gateway_rows(guard)
    lines = [
        "# Guard models — fake-server figures",
        "",
        f"Written by `bench/guards/run.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit "
        f"`{commit}`, CPU {cpu_model()} (load {load_average()}; 2 cores shared by the team).",
        "",
        "**No real guard model is reachable here** (no GPU, no guard weights): every figure "
        "below is measured against `sekimori.testing.fake_guard`, which answers each model's "
        "format by "
        "keyword. They show that the adapters read their formats and what sekimori adds around "
        "a guard call; they say nothing about any guard's quality or its GPU time.",
        "",
        "## Adapters on the `guard check` sample",
        "",
        f"{len(SAMPLE)} prompts (8 EN, 8 JA, half harmful) x {ROUNDS} rounds, one at a time, "
        "over loopback. *matches*: verdicts equal to the sample's intent (the fake is built to "
        "agree, so anything short of all is an adapter bug). *ms*: one verdict, round trip.",
        "",
        "| kind | API | calls a verdict | matches | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
        *adapters,
        "",
        "## What routing adds in the gateway",
        "",
        f"`sekimori serve` with the lexicon scorer (no model), the fake upstream (a fixed short "
        f"answer) and Llama Guard 3 on the fake server; {REQUESTS} sequential requests a row, "
        "each with a new prompt (no cache), after 5 warm-up requests.",
        "",
        "| guard rule | n | p50 ms | p99 ms | p50 added |",
        "|---|---|---|---|---|",
        *gateway,
        "",
        "The added time is the gateway's guard client (httpx), the routing and merge, and the "
        "fake server's own Python handling on the same two shared cores; a real guard adds its "
        "GPU time (prefill plus 1-64 tokens) on top. An `answers` rule asks once per answer, "
        "on the complete text.",
        "",
        "## With a real guard",
        "",
        "Not run here. Where a guard is served (docs/guards.md shows vLLM and Ollama commands):",
        "",
        "```sh",
        "sekimori guard check http://gpu:8001 --model llama_guard_3 \\",
        "    --served-name meta-llama/Llama-Guard-3-8B",
        "sekimori eval classifier --guard http://gpu:8001 --guard-model llama_guard_3 \\",
        "    --guard-served-name meta-llama/Llama-Guard-3-8B --output bench/guards/CASCADE.md",
        "```",
        "",
        "The first prints the guard's agreement with the built-in classifier and its latency; the "
        "second sends the classifier's uncertain band on every evaluation-only set to the guard "
        "and reports the F1 and false-alarm figures with the guard deciding that band, beside "
        "`bench/classifier/RESULTS.md` (the classifier alone).",
        "",
    ]
    out = HERE / "RESULTS.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
