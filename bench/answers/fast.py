"""The answer judge's cheap first stage (`sekimori.classify.answers.fast`): what it clears, what
it costs, and that it loses no caught harmful answer; writes bench/answers/FAST.md.

    .venv/bin/python bench/answers/fast.py [--threads 1]

Sets: the judge's own held-back split (`split == "test"` of its data, never trained or tuned
on) and the two held-back prose sets (`data/answers/heldout_prose*.jsonl`, written by helpers
who did not write the training data; reported, never tuned on: the stage's clear point comes
from out-of-fold predictions on the training split, `fast_train.py`). Each answer is judged
whole, as the gateway judges a non-streamed answer and a stream's final window. "caught": the
judge flags it (harm >= its threshold); "with the stage": the stage clears it, or else the judge
flags it as above. The stage can only lower both the caught and the false-harmful counts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
from sekimori.classify.answers.data import load_all, split
from sekimori.classify.answers.fast import FastStage, load_stage
from sekimori.classify.answers.judge import AnswerJudge
from sekimori.classify.answers.model import JUDGE_PROMPT_CHARS, MODEL_DIR, load_model
from sekimori.classify.encoder import ENCODERS
from sekimori.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench" / "gateway"))
from screening import ANSWERS, prompt, unique_answer

OUT = Path(__file__).resolve().parent / "FAST.md"
HELD = {
    "prose v1": REPO_ROOT / "data" / "answers" / "heldout_prose.jsonl",
    "prose v2": REPO_ROOT / "data" / "answers" / "heldout_prose_v2.jsonl",
}
BATCH = 16


def _rows(path: Path) -> list[tuple[str, str, bool, str]]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                harmful = r["harmful"] if "harmful" in r else r.get("label") == "harmful"
                out.append((str(r["prompt"]), str(r["answer"]), bool(harmful), str(r["lang"])))
    return out


def judged(
    rows: list[tuple[str, str, bool, str]], judge: AnswerJudge, stages: list[FastStage]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the judge flags it, each stage clears it) per row."""
    flagged: list[bool] = []
    cleared: list[list[bool]] = [[] for _ in stages]
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        prompts, answers = [r[0] for r in batch], [r[1] for r in batch]
        flagged.extend(v.harmful for v in judge.answer_batch(prompts, answers))
        for stage, out in zip(stages, cleared, strict=True):
            out.extend(bool(stage.clears(float(x))) for x in stage.levels(prompts, answers))
    return np.array(flagged), [np.array(c) for c in cleared]


def bench_answers(stage: FastStage) -> str:
    """How many of the gateway throughput bench's ordinary answers the stage clears, each
    with its request's prompt as the gateway's judge reads it (its last 300 characters)."""
    n = len(ANSWERS)
    tails = [prompt(k)[-JUDGE_PROMPT_CHARS:] for k in range(n)]
    levels = stage.levels(tails, [unique_answer(k) for k in range(n)])
    cleared = sum(bool(stage.clears(float(x))) for x in levels)
    return f"{cleared} of {n} (levels {', '.join(f'{float(x):.2e}' for x in levels)})"


def describe(stage: FastStage) -> str:
    v = stage.meta.validation
    epochs = v.get("tune_epochs", 0)
    tuned = f", then trained with the head for {epochs} epochs" if epochs else ""
    level = (
        "the higher of its head's and the judge's n-gram head's P(harmful)"
        if stage.meta.ngram_gate
        else "its head's P(harmful) (the judge's n-gram log-odds among its features)"
    )
    return (
        f"{v.get('vocabulary')} token vectors of {v.get('dims')} dimensions distilled from the "
        f"judge's encoder{tuned}; level: {level}; clear point {stage.meta.clear} chosen by "
        "`sekimori train answer-fast` on out-of-fold predictions of the judge's training split "
        "only: no whole harmful answer of the team's sets and at most "
        f"{v.get('harm_loss')} of all harmful training views may be cleared. Out of fold there: "
        f"benign whole answers cleared {v.get('benign_whole')}, benign prefixes "
        f"{v.get('benign_prefix')}; harmful views cleared {v.get('harmful_all_cleared_count')} "
        f"(whole own {v.get('harmful_whole_own')}, XSTest {v.get('harmful_whole_xstest')}, "
        f"prefixes {v.get('harmful_prefix')}). The throughput bench's ordinary answers "
        f"(`bench/gateway/screening.py` ANSWERS with their requests' prompts) cleared: "
        f"{bench_answers(stage)}."
    )


def _frac(n: int, d: int) -> str:
    return f"{n / d:.3f} ({n}/{d})" if d else "–"


def section(name: str, rows: list[tuple[str, str, bool, str]], flagged, cleared) -> list[str]:
    harmful = np.array([r[2] for r in rows])
    lines = []
    for lang in ("en", "ja", "all"):
        m = np.array([lang in ("all", r[3]) for r in rows])
        h, b = m & harmful, m & ~harmful
        if not m.any():
            continue
        lines.append(
            f"| {name} | {lang} | {_frac(int((flagged & h).sum()), int(h.sum()))} | "
            f"{_frac(int((flagged & ~cleared & h).sum()), int(h.sum()))} | "
            f"{int((cleared & h).sum())} | "
            f"{_frac(int((flagged & b).sum()), int(b.sum()))} | "
            f"{_frac(int((flagged & ~cleared & b).sum()), int(b.sum()))} | "
            f"{_frac(int((cleared & b).sum()), int(b.sum()))} |"
        )
    return lines


def costs(rows: list[tuple[str, str, bool, str]], judge: AnswerJudge, stage: FastStage) -> str:
    """Median CPU time of the calling thread per pair (best of two), judge vs stage, on the
    first 40 benign answers' 400-character openings (a stream window's size)."""
    pairs = [(r[0][-JUDGE_PROMPT_CHARS:], r[1][:400]) for r in rows if not r[2]][:40]
    t_fresh, t_cached, t_stage = [], [], []
    for i, (p, a) in enumerate(pairs):
        best = [float("inf")] * 3
        for k in range(2):
            t0 = time.thread_time()
            judge.answer_batch([f"{p} ({i}.{k})"], [a])  # a new prompt: encoded with the answer
            t1 = time.thread_time()
            judge.answer_batch([f"{p} ({i}.{k})"], [a])  # the same request's next window
            t2 = time.thread_time()
            stage.levels([p], [a])
            t3 = time.thread_time()
            best = [min(best[0], t1 - t0), min(best[1], t2 - t1), min(best[2], t3 - t2)]
        t_fresh.append(best[0])
        t_cached.append(best[1])
        t_stage.append(best[2])
    return (
        f"judge {np.median(t_fresh) * 1000:.1f} ms with a new prompt, "
        f"{np.median(t_cached) * 1000:.1f} ms with the request's prompt already encoded, "
        f"stage {np.median(t_stage) * 1000:.2f} ms, per 400-character window with a "
        f"300-character prompt (median CPU time of the calling thread, best of two, over "
        f"{len(pairs)} benign held-back answers, one onnxruntime thread)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--candidate",
        type=Path,
        help="a folder with another fast.npz/fast.json for the same judge, measured beside",
    )
    args = parser.parse_args()
    started = time.monotonic()
    model = load_model(MODEL_DIR)
    stage = load_stage(MODEL_DIR, model)
    if stage is None:
        print("no answer first stage (fast.json) for these judge weights", file=sys.stderr)
        return 1
    judge = AnswerJudge(model, ENCODERS.get(model.encoder)(threads=args.threads))
    stages = [stage]
    if args.candidate is not None:
        candidate = load_stage(args.candidate, model)
        if candidate is None:
            print(f"no first stage in {args.candidate} for these judge weights", file=sys.stderr)
            return 1
        stages.append(candidate)
    test = [
        (e.prompt, e.answer, e.harmful, e.lang)
        for e in split(load_all(), "test")
        if e.answer.strip()
    ]
    sets = {"judge's held-back split": test} | {k: _rows(v) for k, v in HELD.items()}
    header = [
        "| set | lang | harmful caught, judge | caught with the stage | harmful cleared "
        "| benign false-harmful, judge | with the stage | benign cleared |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    tables = [list(header) for _ in stages]
    for name, rows in sets.items():
        flagged, cleared = judged(rows, judge, stages)
        for table, c in zip(tables, cleared, strict=True):
            table += section(name, rows, flagged, c)
    cost = costs(test, judge, stages[0])
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    blocks: list[str] = []
    for k, (one, table) in enumerate(zip(stages, tables, strict=True)):
        title = "Stage in `classify/models/answers`" if k == 0 else f"Candidate `{args.candidate}`"
        blocks += [f"## {title} (fast.npz sha256 {one.meta.sha256[:12]})", ""]
        blocks += [describe(one), "", *table, ""]
    lines = [
        "# Answer judge's first stage — what it clears / 回答判定器の第一段",
        "",
        f"Written by `bench/answers/fast.py` ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{time.monotonic() - started:.0f} s). Machine: {platform.processor() or 'x86_64'}, "
        f"{os.cpu_count()} cores shared with other jobs (load average at the end {load}), "
        f"Python {platform.python_version()}.",
        "",
        f"Cost (the stage in `classify/models/answers`): {cost}.",
        "",
        "Whole answers, judged as the gateway judges a non-streamed answer or a stream's final "
        "window (without the prompt-risk rule: answers to prompts scoring >= 0.25 on the "
        'policy\'s scale, or held, always go to the judge in the gateway). "caught": the '
        'judge flags it; "with the stage": the stage clears it, or else the judge flags it.',
        "",
        *blocks,
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
