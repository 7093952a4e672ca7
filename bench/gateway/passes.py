"""Encoder passes and CPU time a screened request costs, input and answer apart.

The scorer calls the `policy` screen makes for one request of `screening.py`'s throughput points
(a unique ~200-token prompt; a unique ~60-token answer, judged whole when not streamed, and as a
low-risk prompt's stream is judged when streamed: its opening after `stride_chars`, a window
every `window_chars` after it, and the whole answer at the end; the window's prompt context is
the prompt's last 300 characters), in this process, on one thread. Counted: e5-small passes
(onnxruntime calls' rows) and their tokens; measured: CPU time of the calling thread (so other
jobs on the machine hardly move it, unlike wall-clock throughput). With `--baseline-src` the same
is measured on another source tree (in a child process), and both go in the table.

The bench's prompts share their body (the same ordinary sentences, a new request number at both
ends), so the prompt classifier's memory of recent pieces (`RecentEmbeddings`) serves their
segments after the first request. The row "every piece new" empties that memory before each
request: what a prompt none of whose pieces was seen before costs.

    python bench/gateway/passes.py [--requests 40 --rounds 4]
                                   [--baseline-src DIR --baseline-label TEXT]

Writes bench/gateway/PASSES.md (what follows its `NOTES` marker is kept).
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

from sekimori.classify.answers.model import JUDGE_PROMPT_CHARS  # noqa: E402
from sekimori.testing.machine import cpu_model, load_average  # noqa: E402

WINDOW, STRIDE = 400, 120  # the screen's defaults (settings: window_chars, stride_chars)
KINDS = ("input", "answer, non-streamed", "answer, streamed")
# PASSES.md below this line is written by hand and kept when the script rewrites the file
NOTES = "<!-- notes: written by hand, kept when passes.py rewrites this file -->"

# Measured by hand (cProfile and onnxruntime's profiler, one bench prompt in process, 2026-12-06;
# py-spy and per-thread CPU time of a `policy` gateway at concurrency 32, 2026-12-07; the machine
# loaded); kept in the file the script writes.
WHERE_TIME_GOES = (
    "Where a screened request's CPU goes in the gateway (`screening.py --quick`'s "
    "non-streamed requests at concurrency 32, 2026-12-07 21:01 UTC, this tree at fe3a3eb, "
    "after the second round of exact savings: CPU time of each thread of the gateway over 480 "
    "requests, and py-spy at 100 Hz for what its screen threads run; the machine loaded by "
    "other jobs, load average 8.6):",
    "",
    "- 21.4 ms a request (py-spy attached): the two screen threads 17.8, the event loop 1.9 "
    "(HTTP, JSON, policy, the upstream call), the default executor 1.5 (the watch's sketch of "
    "the prompt, the audit log's SQLite writes).",
    "- Of the screen threads' time: the answer judge's e5-small passes 65% (0.68 passes of "
    "about 62 tokens a request: three - the prompt's last 300 characters, the answer, its "
    "opening - for each answer the first stage does not clear, a quarter of the bench's), "
    "the encoder's tokenising and inputs 4%, the judge's heads 1.4%, its first stage "
    "(answer-fast) 3.4%; the prompt's first stage and plan 19% (the segment scan's one pass "
    "11%, the whole's static level with its tokenising 4%), the copyright detector 4.7%, the "
    "PII scan 0.8%, the prompt encoder 0% (the first stage clears the bench's prompts whole). "
    "Before this round (88f92c9): the prompt's first stage and plan 24%, the copyright "
    "detector 7%, answer-fast 6%; before hashing once (cdfa294): 29% and 12%.",
    "- Streamed, two judgements a request (the opening after 120 characters, then the whole "
    "answer) cost 0.64 passes: the window's prompt and, where short, its opening are the "
    "judge's remembered texts.",
    "- A judged answer's three passes (in process, 300 bench answers, load about 9): the "
    "prompt's 70 tokens 18.0 ms, the answer's 70 tokens 18.0 ms, the opening's 46 tokens "
    "12.4 ms; onnxruntime's `run` costs about 2.5-3 ms a call whatever its length (the int8 "
    "weights, 21 MB, are read for every call) plus about 0.22 ms a token.",
    "- Merging passes into one batch is not done: the int8 encoder quantises activations per "
    "call, so a batched text's vector differs (up to 0.027 a coordinate) and its verdict could, "
    "and padding to the longest costs more (3 passes batched: 162 ms against 75 ms one by one).",
    "- Exactly the same verdicts leave the passes as they are; 100 requests/s (20 ms a request, "
    "load generator included) needs fewer answer passes, which changes what is judged (the "
    "answer first stage's clear point or what it reads), not this code: proposals with their "
    "CPU shares below.",
)


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


def measure(n: int, *, fresh: bool = False, first: int = 700_000) -> dict[str, Any]:
    """One pass over ``n`` requests numbered from ``first`` (a second pass in one process takes
    other numbers: the answer judge remembers the texts it read)."""
    from sekimori.classify.encoders.e5_small import E5SmallEncoder

    passes: dict[str, list[int]] = defaultdict(list)
    kind = ["warm"]
    run = E5SmallEncoder._run

    def counted(self: E5SmallEncoder, windows: list[Any]) -> Any:
        passes[kind[0]].extend(len(w.ids) for w in windows)
        return run(self, windows)

    E5SmallEncoder._run = counted  # type: ignore[method-assign]
    try:
        return _measure(n, fresh, first, kind, passes)
    finally:
        E5SmallEncoder._run = run  # type: ignore[method-assign]


def _measure(
    n: int, fresh: bool, first: int, kind: list[str], passes: dict[str, list[int]]
) -> dict[str, Any]:
    from sekimori.gateway.screening.scorers import ModelScorer

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
            scorer.judge_answers([ask[-JUDGE_PROMPT_CHARS:]], [window])

    recent = getattr(scorer._prompt_classifier(), "recent", None)  # absent in older code
    for i in range(first, first + n):
        ask, answer = prompt(i), unique_answer(i)
        if fresh and recent is not None:
            recent.clear()
        timed("input", lambda: scorer.score_prompts([ask]))  # noqa: B023 (called at once)
        judged = ([ask[-JUDGE_PROMPT_CHARS:]], [answer])
        timed("answer, non-streamed", lambda: scorer.judge_answers(*judged))  # noqa: B023
        # another request (a new prompt and answer), streamed
        ask, answer = prompt(i + n), unique_answer(i + n)
        windows = stream_windows(answer)
        timed("answer, streamed", lambda: stream(ask, windows))  # noqa: B023
    return {"n": n, "tokens": {k: passes[k] for k in KINDS}, "cpu": {k: cpu[k] for k in KINDS}}


def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds' samples -> passes a request, mean tokens a pass, median CPU ms a request."""
    n = sum(s["n"] for s in samples)
    out: dict[str, Any] = {}
    for k in KINDS:
        tokens = [t for s in samples for t in s["tokens"][k]]
        cpu = [c for s in samples for c in s["cpu"][k]]
        out[k] = {
            "passes": len(tokens) / n,
            "tokens": statistics.mean(tokens) if tokens else 0.0,
            "cpu_ms": statistics.median(cpu) * 1000,
            "mean_ms": statistics.mean(cpu) * 1000,
        }
    return out


def row(label: str, r: dict[str, Any]) -> str:
    cells = [
        f"{r[k]['passes']:.2f} | {r[k]['tokens']:.0f} | {r[k]['cpu_ms']:.1f}" for k in (*KINDS,)
    ]
    total = sum(r[k]["cpu_ms"] for k in KINDS[:2])
    streamed = r["input"]["cpu_ms"] + r[KINDS[2]]["cpu_ms"]
    # means too: most answers need no encoder pass, so the medians leave the passes out
    mean = sum(r[k]["mean_ms"] for k in KINDS[:2])
    mean_streamed = r["input"]["mean_ms"] + r[KINDS[2]]["mean_ms"]
    sums = f" | {total:.1f} | {streamed:.1f} | {mean:.1f} | {mean_streamed:.1f} |"
    return f"| {label} | " + " | ".join(cells) + sums


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--baseline-src", type=Path, help="another source tree's `src`")
    parser.add_argument("--baseline-label", default="baseline")
    parser.add_argument("--rounds", type=int, default=4, help="rounds the codes alternate in")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE / "PASSES.md")
    args = parser.parse_args()
    if args.serve:  # the baseline's side: one line "N FIRST" a round, its samples back
        for line in sys.stdin:
            n, first = map(int, line.split())
            print(json.dumps(measure(n, first=first)), flush=True)
        return 0
    child = None
    if args.baseline_src is not None:
        env = {**os.environ, "PYTHONPATH": str(args.baseline_src), "PYTHONDONTWRITEBYTECODE": "1"}
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    # The codes take turns, a round each, so that load from other jobs falls on all alike.
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    per_round = max(1, args.requests // args.rounds)
    for r in range(args.rounds):
        first = 700_000 + 10 * per_round * r
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
        if child is not None:
            assert child.stdin is not None and child.stdout is not None
            # the same requests as this tree's row (another process: no judge memory shared),
            # so that both rows judge the same answers
            child.stdin.write(f"{per_round} {first + 2 * per_round}\n")
            child.stdin.flush()
            rows[args.baseline_label].append(json.loads(child.stdout.readline()))
        rows["this tree"].append(measure(per_round, first=first + 2 * per_round))
        rows["this tree, every piece new"].append(
            measure(per_round, fresh=True, first=first + 4 * per_round)
        )
    if child is not None:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    results = [(label, summary(samples)) for label, samples in rows.items()]
    head = " | ".join(f"{k}: passes | tokens a pass | CPU ms" for k in KINDS)
    lines = [
        "# Encoder passes and CPU a screened request costs",
        "",
        "1 リクエストの審査にかかるエンコーダ実行回数と CPU 時間（入力と回答を分けて）。",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} logical CPUs (shared with other jobs), Python "
        f"{platform.python_version()}; load average at the end {load_average()}.",
        f"Run: `python bench/gateway/passes.py --requests {args.requests} --rounds "
        f"{args.rounds}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. `screening.py`'s throughput "
        "requests (unique prompts and answers: no verdict cache helps), the scorer calls the "
        "`policy` screen makes for each, on one thread, one onnxruntime thread; CPU time of that "
        "thread, median over the requests. The codes take turns, a round of requests each: the "
        "two cores are shared with other helpers' jobs, whose load inflates CPU time too (by up "
        "to 2x this day), so compare rows of one run only. The prompts share "
        "their body sentences, so where the code has the prompt classifier's memory of recent "
        "pieces, their segments are read from it after the first request; the row 'every piece "
        "new' empties it before each request (a prompt no piece of which was seen). A pass is "
        "one text "
        "through e5-small; tokens include `<s>` and `</s>`. The streamed answer is judged as a "
        "low-risk prompt's stream is (default window 400, stride 120): "
        f"{len(stream_windows(unique_answer(0)))} judgements of the ~300-character answer.",
        "",
        f"| code | {head} | CPU ms, non-streamed request | CPU ms, streamed request "
        "| mean CPU ms, non-streamed request | mean CPU ms, streamed request |",
        "|---|" + "---:|" * (3 * len(KINDS) + 4),
        *(row(label, r) for label, r in results),
        "",
        "Two cores give at most 2,000 CPU ms a second: 100 requests/s needs at most 20 ms a "
        "request, everything (HTTP, audit, the load generator) included.",
        "",
        *WHERE_TIME_GOES,
        "",
    ]
    # what was written under the notes marker (figures measured by hand) stays
    was = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    kept = was[was.index(NOTES) :] if NOTES in was else ""
    args.out.write_text("\n".join(lines) + (f"\n{kept}" if kept else ""), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
