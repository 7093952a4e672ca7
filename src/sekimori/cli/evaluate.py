"""`sekimori eval WHAT`: measure a model on the evaluation-only sets and write bench/ RESULTS.md."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from sekimori.classify.cascade import Band
from sekimori.cli.group import add_group
from sekimori.cli.judge import add_judge_arguments, cascade_of

# One line per sub-command: "module:function" adding it to the `eval` sub-parsers.
SUBCOMMANDS: tuple[str, ...] = (
    "sekimori.cli.evaluate:add_classifier",
    "sekimori.cli.answers:add_eval_parser",
    "sekimori.cli.eval_gateway:add_parser",
)

REPO = Path(__file__).resolve().parents[3]


def add_parser(subparsers: Any) -> None:
    add_group(subparsers, "eval", "Evaluate a model. / モデルを評価します。", SUBCOMMANDS)


def add_classifier(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR

    p = sub.add_parser(
        "classifier",
        help="Evaluate the prompt classifier. / プロンプト分類器を評価します。",
        description="Scores every evaluation-only set, the bilingual held-out split and latency, "
        "prints the tables and writes them to bench/classifier/RESULTS.md. / 評価専用データで"
        "分類器を評価し、結果を表示して bench/classifier/RESULTS.md に書き出します。",
    )
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="artefact folder")
    p.add_argument("--output", type=Path, default=REPO / "bench" / "classifier" / "RESULTS.md")
    p.add_argument("--latency-runs", type=int, default=50)
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="embed every text afresh (slow) instead of the cache",
    )
    add_judge_arguments(p)
    p.set_defaults(func=_eval_classifier)


def _eval_classifier(args: argparse.Namespace) -> int:
    from rich.progress import Progress, TaskID

    from sekimori.classify.corpus import Split
    from sekimori.classify.embedcache import CachedEncoder, EmbeddingCache
    from sekimori.classify.evalsets import load_eval_sets
    from sekimori.classify.evaluate import evaluate_set, heldout, measure_latency, render
    from sekimori.classify.prompt import PromptClassifier, load_encoder
    from sekimori.classify.train import corpus_settings_of, training_pool
    from sekimori.paths import shared_data_dir

    cascade = cascade_of(args)
    judge = cascade.judge if cascade is not None else None
    root = shared_data_dir()
    clf = PromptClassifier.load(args.model)
    band = Band.parse(args.judge_band) if args.judge_band else clf.band
    # Scoring may use both cores; latency below is measured on the one-thread classifier.
    scorer = (
        clf
        if args.no_cache
        else PromptClassifier(
            clf.model,
            CachedEncoder(EmbeddingCache(load_encoder(args.model, clf.model.meta, threads=2))),
        )
    )
    sets = load_eval_sets(root)
    results = []
    start = time.monotonic()
    with Progress(disable=not os.isatty(2)) as bar:
        for es in sets:
            task = bar.add_task(es.name, total=len(es.items))

            def advance(n: int, task: TaskID = task) -> None:
                bar.advance(task, n)

            results.append(evaluate_set(scorer, es, progress=advance, band=band, judge=judge))
    meta = clf.model.meta
    pool = training_pool(corpus_settings_of(meta), root)
    held = heldout(scorer, [e for e in pool.examples if e.split is Split.HELDOUT])
    latency = [
        measure_latency(clf, n, args.latency_runs, encoder=forced)
        for n in (100, 2000)
        for forced in (False, True)
    ]
    header = (
        f"# Prompt classifier — results\n\nWritten by `sekimori eval classifier` "
        f"(model `{args.model.name}`, encoder `{meta.encoder}`, threshold {meta.threshold:.2f}, "
        f"blend {meta.blend:.2f}, gate {meta.gate:.2f}; "
        f"scoring took {time.monotonic() - start:.0f} s)."
    )
    if cascade is not None:
        header += (
            f" **Cascade on**: scores in [{band.low:g}, {band.high:g}) were decided by the judge "
            f"{cascade.name}; the held-out split and latency are the classifier's alone."
        )
    text = render(results, held, latency, header=header, band=band)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0
