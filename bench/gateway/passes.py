"""Encoder passes and CPU time a screened request costs, input and answer apart.

The scorer calls the `policy` screen makes for one request of `screening.py`'s throughput points
(a unique ~200-token prompt; a unique ~60-token answer, judged whole when not streamed, and as a
low-risk prompt's stream is judged when streamed: its opening after `stride_chars`, a window
every `window_chars` after it, and the whole answer at the end; the window's prompt context is
the prompt's last 300 characters), in this process, on one thread. Counted: e5-small passes
(onnxruntime calls' rows) and their tokens; measured: CPU time of the calling thread (so other
jobs on the machine hardly move it, unlike wall-clock throughput). With `--baseline-src` the same
is measured on another source tree (in a child process), and both go in the table.

    python bench/gateway/passes.py [--requests 40] [--baseline-src DIR --baseline-label TEXT]

Writes bench/gateway/PASSES.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from screening import prompt, unique_answer  # noqa: E402

from sekimori.testing.machine import cpu_model, load_average  # noqa: E402

WINDOW, STRIDE = 400, 120  # the screen's defaults (settings: window_chars, stride_chars)
PROMPT_CHARS = 300  # what the screen gives the answer judge of the prompt
KINDS = ("input", "answer, non-streamed", "answer, streamed")


def stream_windows(answer: str) -> list[str]:
    """The texts a low-risk prompt's stream is judged on, a word a chunk (as the fake upstream
    streams): the opening once `STRIDE` characters arrived, then a window each `WINDOW` new
    characters, then the whole answer (`gateway.chat._Relay`; each screen taken as done before
    the next chunk, the most windows a stream can get)."""
    out: list[str] = []
    text, screened = "", 0
    for piece in answer.split(" "):
        text += piece + " " if len(text) + len(piece) < len(answer) else piece
        stride = WINDOW if screened else STRIDE
        if len(text) - screened >= stride and len(text) < len(answer):
            out.append(text[max(0, len(text) - WINDOW) :])
            screened = len(text)
    return [*out, answer]


def measure(n: int) -> dict[str, Any]:
    from sekimori.classify.encoders.e5_small import E5SmallEncoder
    from sekimori.gateway.screening.scorers import ModelScorer

    passes: dict[str, list[int]] = defaultdict(list)
    kind = ["warm"]
    run = E5SmallEncoder._run

    def counted(self: E5SmallEncoder, windows: list[Any]) -> Any:
        passes[kind[0]].extend(len(w.ids) for w in windows)
        return run(self, windows)

    E5SmallEncoder._run = counted  # type: ignore[method-assign]
    scorer = ModelScorer()
    scorer.score_prompts(["hello"])
    scorer.judge_answers(["hello"], ["hello"])
    cpu: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, call: Callable[[], object]) -> None:
        kind[0] = name
        t0 = time.thread_time()
        call()
        cpu[name].append(time.thread_time() - t0)

    def stream(ask: str, windows: list[str]) -> None:
        for window in windows:
            scorer.judge_answers([ask[-PROMPT_CHARS:]], [window])

    for i in range(700_000, 700_000 + n):
        ask, answer = prompt(i), unique_answer(i)
        timed("input", lambda: scorer.score_prompts([ask]))  # noqa: B023 (called at once)
        judged = ([ask[-PROMPT_CHARS:]], [answer])
        timed("answer, non-streamed", lambda: scorer.judge_answers(*judged))  # noqa: B023
        # another request (a new prompt and answer), streamed
        ask, answer = prompt(i + n), unique_answer(i + n)
        windows = stream_windows(answer)
        timed("answer, streamed", lambda: stream(ask, windows))  # noqa: B023
    return {
        k: {
            "passes": len(passes[k]) / n,
            "tokens": statistics.mean(passes[k]) if passes[k] else 0.0,
            "cpu_ms": statistics.median(cpu[k]) * 1000,
        }
        for k in KINDS
    }


def row(label: str, r: dict[str, Any]) -> str:
    cells = [
        f"{r[k]['passes']:.2f} | {r[k]['tokens']:.0f} | {r[k]['cpu_ms']:.1f}" for k in (*KINDS,)
    ]
    total = sum(r[k]["cpu_ms"] for k in KINDS[:2])
    streamed = r["input"]["cpu_ms"] + r[KINDS[2]]["cpu_ms"]
    return f"| {label} | " + " | ".join(cells) + f" | {total:.1f} | {streamed:.1f} |"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--baseline-src", type=Path, help="another source tree's `src`")
    parser.add_argument("--baseline-label", default="baseline")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE / "PASSES.md")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.requests)))
        return 0
    results: list[tuple[str, dict[str, Any]]] = []
    if args.baseline_src is not None:
        env = {**os.environ, "PYTHONPATH": str(args.baseline_src), "PYTHONDONTWRITEBYTECODE": "1"}
        child = subprocess.run(
            [sys.executable, __file__, "--json", "--requests", str(args.requests)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        results.append((args.baseline_label, json.loads(child.stdout.splitlines()[-1])))
    results.append(("this tree", measure(args.requests)))
    head = " | ".join(f"{k}: passes | tokens a pass | CPU ms" for k in KINDS)
    lines = [
        "# Encoder passes and CPU a screened request costs",
        "",
        "1 リクエストの審査にかかるエンコーダ実行回数と CPU 時間（入力と回答を分けて）。",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} logical CPUs (shared with other jobs), Python "
        f"{platform.python_version()}; load average at the end {load_average()}.",
        f"Run: `python bench/gateway/passes.py --requests {args.requests}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. `screening.py`'s throughput "
        "requests (unique prompts and answers, no cache helps), the scorer calls the `policy` "
        "screen makes for each, on one thread, one onnxruntime thread; CPU time of that thread, "
        "median over the requests (load on the machine moves it little). A pass is one text "
        "through e5-small; tokens include `<s>` and `</s>`. The streamed answer is judged as a "
        "low-risk prompt's stream is (default window 400, stride 120): "
        f"{len(stream_windows(unique_answer(0)))} judgements of the ~300-character answer.",
        "",
        f"| code | {head} | CPU ms, non-streamed request | CPU ms, streamed request |",
        "|---|" + "---:|" * (3 * len(KINDS) + 2),
        *(row(label, r) for label, r in results),
        "",
        "Two cores give at most 2,000 CPU ms a second: 100 requests/s needs at most 20 ms a "
        "request, everything (HTTP, audit, the load generator) included.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
