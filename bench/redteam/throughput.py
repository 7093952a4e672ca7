"""Runner throughput against the fake upstream at concurrency 32 (target: >= 200 prompts/s).

Run: PYTHONPATH=src python bench/redteam/throughput.py [--repeats 5]
Writes the medians into bench/redteam/RESULTS.md (section "Runner throughput").

Three graders: `constant` (a grader defined here that does no work, so the figure is the runner,
target client and SQLite store alone), `llm-judge` pointed at the same fake server (one more
HTTP call per prompt) and `answers`, the product's answer judges on this CPU (one run over the
direct probes only: it is the slow part of a real run, and the figure says how slow).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

# This script's folder is on sys.path when it runs: the demonstration's RESULTS.md writer.
from run import write_results

from sekimori.redteam.datasets import load_suite
from sekimori.redteam.graders import GRADERS, Grade, Grader, GraderSettings
from sekimori.redteam.items import Probe, Reply
from sekimori.redteam.lab import plan
from sekimori.redteam.runner import Runner, RunnerSettings
from sekimori.redteam.store import ResultStore
from sekimori.redteam.targets import TARGETS, TargetSettings
from sekimori.testing.procs import start_fake_upstream
from sekimori.types import RefusalLabel

CONCURRENCY = 32
MUTATORS = ("direct", "base64", "prefix_injection", "many_shot")


class ConstantGrader:
    name = "constant"

    async def __call__(self, probe: Probe, reply: Reply) -> Grade:
        return Grade(RefusalLabel.COMPLIANCE, False, 0.0, self.name)

    async def aclose(self) -> None:
        return None


async def _once(url: str, grader_name: str, probes: list[Probe], db: Path) -> float:
    grader: Grader = ConstantGrader()
    if grader_name == "llm-judge":
        judge_model = 'say:{"refusal": "refusal", "harmful": false}'
        grader = GRADERS.get("llm-judge")(GraderSettings(url=url, model=judge_model))
    elif grader_name == "answers":
        grader = GRADERS.get("answers")(GraderSettings())
    target = TARGETS.get("openai")(
        TargetSettings(url=url, model="text:16", connections=CONCURRENCY)
    )
    store = ResultStore(db)
    try:
        settings = RunnerSettings(concurrency=CONCURRENCY, progress=False)
        outcome = await Runner(target, grader, store, settings).run(probes)
    finally:
        await target.aclose()
        await grader.aclose()
        store.close()
    assert outcome.finished == len(probes) and outcome.errors == 0
    return len(probes) / outcome.elapsed_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    probes = plan(load_suite("standard")[1], MUTATORS).probes
    results: dict[str, list[float]] = {"constant": [], "llm-judge": [], "answers": []}
    with start_fake_upstream() as server, tempfile.TemporaryDirectory() as tmp:
        # the product's answer judges run the e5 encoder on CPU: one run over fewer probes
        direct = [p for p in probes if p.mutator == "direct"]
        results_probes = direct
        rate = asyncio.run(_once(server.url, "answers", direct, Path(tmp) / "answers.db"))
        results["answers"].append(rate)
        print(f"answers    run 1: {rate:7.1f} prompts/s ({len(direct)} probes)", file=sys.stderr)
        for n in range(args.repeats):
            for name in ("constant", "llm-judge"):
                rate = asyncio.run(_once(server.url, name, probes, Path(tmp) / f"{name}{n}.db"))
                results[name].append(rate)
                print(f"{name:10s} run {n + 1}: {rate:7.1f} prompts/s", file=sys.stderr)
    medians = {k: statistics.median(v) for k, v in results.items()}
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPUs visible, Python {platform.python_version()}"
    )
    lines = [
        "## Runner throughput",
        "",
        f"`bench/redteam/throughput.py`: {len(probes)} probes (suite `standard` × "
        f"{', '.join(MUTATORS)}) against the fake upstream (`text:16`), concurrency "
        f"{CONCURRENCY}, results committed to SQLite as they arrive; median of "
        f"{args.repeats} runs (`answers`: one run over the {len(results_probes)} direct probes). "
        f"Machine: {machine} (shared with other jobs).",
        "",
        "| grader | median prompts/s | runs | target ≥ 200 |",
        "|---|---|---|---|",
    ]
    for name, values in results.items():
        runs = ", ".join(f"{v:.0f}" for v in values)
        met = "met" if medians[name] >= 200 else f"missed by {200 - medians[name]:.0f}"
        if name == "answers":
            met = "not a runner figure: the CPU cost of the answer judges"
        lines.append(f"| {name} | {medians[name]:.0f} | {runs} | {met} |")
    section = "\n".join(lines) + "\n"
    write_results(section, "## Runner throughput")
    print(section)


if __name__ == "__main__":
    main()
