"""`sekimori train WHAT`: train a model from the repository's data and the shared data sets."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from sekimori.cli.group import add_group

# One line per sub-command: "module:function" adding it to the `train` sub-parsers.
SUBCOMMANDS: tuple[str, ...] = ("sekimori.cli.train:add_classifier",)


def add_parser(subparsers: Any) -> None:
    add_group(subparsers, "train", "Train a model. / モデルを学習します。", SUBCOMMANDS)


def add_classifier(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.classify.train import DEFAULT_ENCODER

    p = sub.add_parser(
        "classifier",
        help="Train the prompt hazard classifier. / プロンプト危険度分類器を学習します。",
        description="Rebuild the committed prompt classifier from a fixed seed "
        "(about 10-20 minutes on 2 cores; embeddings are cached in .sekimori/cache). / "
        "固定シードからプロンプト分類器を再学習します。",
    )
    p.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder name (default: %(default)s)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--output", type=Path, default=DEFAULT_MODEL_DIR, help="artefact folder")
    p.set_defaults(func=_train_classifier)


def _train_classifier(args: argparse.Namespace) -> int:
    from sekimori.classify.train import TrainSettings, train

    start = time.monotonic()
    report = train(TrainSettings(encoder=args.encoder, seed=args.seed, output=args.output))
    print(
        f"threshold {report.threshold:.2f}, blend {report.blend:.2f}, gate {report.gate:.2f}; "
        f"validation {report.validation}; {time.monotonic() - start:.0f} s"
    )
    return 0
