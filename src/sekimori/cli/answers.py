"""`sekimori train answers` and `sekimori eval answers`: the answer judges' training and evaluation.

The `train` and `eval` groups (cli/train.py, cli/evaluate.py) list `add_train_parser` and
`add_eval_parser` among their sub-commands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sekimori.lang import Text

_TRAIN_HELP = Text(
    en="train the answer judges (refusal detector, response-harm heads)",
    ja="回答判定器（拒否検出・応答有害性ヘッド）を学習する",
)
_EVAL_HELP = Text(
    en="evaluate the answer judges on held-back answers",
    ja="回答判定器を評価用に取り置いた回答で評価する",
)
_PROSE_VIEWS_HELP = Text(
    en="also train on every structured answer (JSON, YAML, tables, CSV, code comments) rendered "
    "as plain sentences (views.prose_view), with its labels",
    ja="構造化された回答（JSON・YAML・表・CSV・コードコメント）を平文に直したもの"
    "（views.prose_view）も同じラベルで学習に加える",
)
_SUBSTITUTION_HELP = Text(
    en='share (0-1) of training views read under a content-free user turn ("go on", '
    "「続けて」, thanks, empty) instead of their prompt, so the judge learns to judge an answer "
    "whose prompt says nothing (default 0: off)",
    ja='学習ビューのうち、プロンプトの代わりに内容のないユーザーターン（「続けて」、"go on"、'
    "お礼、空）の下で読ませる割合（0〜1）。プロンプトが何も言わないときも回答だけで判定できる"
    "ように学習する（既定 0: 無効）",
)
_EXCLUDE_HELP = Text(
    en="leave this source's answers out of training (repeatable; e.g. sekimori-layouts, to "
    "train on an earlier round's data and validate on the rest)",
    ja="この出典の回答を学習から除く（複数指定可。例: sekimori-layouts。以前のラウンドのデータで"
    "学習し、残りで検証するため）",
)
_SERVING_HELP = Text(
    en="encode every training text in an encoder call of its own and read each prompt as its "
    "last 300 characters, as the gateway's answer screen does, so the heads and their threshold "
    "are fitted on the vectors the gateway computes (its own embedding cache file; default off: "
    "64 texts a call, whole prompts)",
    ja="学習用のテキストを1件ずつ別々にエンコードし、プロンプトは末尾300文字だけを読む"
    "（ゲートウェイの回答スクリーンと同じ読み方）。ヘッドと閾値を、ゲートウェイが計算するのと同じ"
    "ベクトルで学習・選択する（埋め込みキャッシュは別ファイル。"
    "既定は無効: 64件ずつ、プロンプト全体）",
)
_DONE = Text(
    en="trained on {examples} answers ({views} views); harm threshold {threshold:.2f} "
    "(out-of-fold F1 {f1:.3f}); out-of-fold refusal accuracy on whole answers {acc:.3f}; "
    "wrote {folder}",
    ja="{examples}件の回答（{views}ビュー）で学習しました。有害閾値 {threshold:.2f}"
    "（交差検証F1 {f1:.3f}）、回答全体の拒否判定の交差検証正解率 {acc:.3f}。出力先: {folder}",
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shared-data",
        type=Path,
        default=None,
        help="shared data folder (default: <repo>/../shared/data or $SEKIMORI_SHARED_DATA)",
    )
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="artefact folder (default: the committed heads)",
    )
    parser.add_argument("--lang", choices=("en", "ja"), default="en", help="message language")
    parser.add_argument(
        "--threads", type=int, default=None, help="encoder threads (default: the encoder's)"
    )


def add_train_parser(subparsers: Any, name: str = "answers") -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=_TRAIN_HELP.both(), description=_TRAIN_HELP.both()
    )
    _common(parser)
    parser.add_argument("--encoder", default=None, help="registered encoder name")
    parser.add_argument("--hidden", type=int, default=128, help="hidden units of the MLP heads")
    parser.add_argument("--alpha", type=float, default=1.0, help="L2 penalty of the MLP heads")
    parser.add_argument(
        "--c-category", type=float, default=0.1, help="inverse L2 of the category head"
    )
    parser.add_argument(
        "--c-ngram", type=float, default=10.0, help="inverse L2 of the n-gram refusal head"
    )
    parser.add_argument(
        "--keep-refusal",
        action="store_true",
        help="keep the committed refusal heads; retrain harm and category only",
    )
    parser.add_argument("--prose-views", action="store_true", help=_PROSE_VIEWS_HELP.both())
    parser.add_argument(
        "--prompt-substitution",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help=_SUBSTITUTION_HELP.both(),
    )
    parser.add_argument(
        "--exclude-source",
        action="append",
        default=[],
        metavar="SOURCE",
        help=_EXCLUDE_HELP.both(),
    )
    parser.add_argument("--serving-encoding", action="store_true", help=_SERVING_HELP.both())
    parser.set_defaults(func=_train)
    return parser


def add_eval_parser(subparsers: Any, name: str = "answers") -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=_EVAL_HELP.both(), description=_EVAL_HELP.both()
    )
    _common(parser)
    parser.add_argument(
        "--results", type=Path, default=None, help="also write the tables as Markdown here"
    )
    parser.set_defaults(func=_eval)
    return parser


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text}: a share from 0 to 1 / 0〜1 の割合を指定")
    return value


def _encoder(name: str, threads: int | None) -> Any:
    import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
    from sekimori.classify.encoder import ENCODERS

    factory = ENCODERS.get(name)
    return factory(threads=threads) if threads else factory()


def _progress(done: int, total: int) -> None:
    print(f"\rencoding {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def _train(args: argparse.Namespace) -> int:
    from sekimori.classify.answers import train as training
    from sekimori.classify.answers.data import load_all
    from sekimori.classify.answers.model import MODEL_DIR, load_model

    encoder = _encoder(args.encoder or training.DEFAULT_ENCODER, args.threads)
    kept = load_model() if args.keep_refusal else None
    report = training.train(
        load_all(args.shared_data),
        encoder,
        args.model_dir or MODEL_DIR,
        progress=_progress,
        hidden=args.hidden,
        alpha=args.alpha,
        c_category=args.c_category,
        c_ngram=args.c_ngram,
        keep_refusal=kept,
        prose_views=args.prose_views,
        prompt_substitution=args.prompt_substitution,
        exclude_sources=tuple(args.exclude_source),
        serving_encoding=args.serving_encoding,
    )
    print(
        _DONE(
            args.lang,
            examples=report.examples,
            views=report.views,
            threshold=report.threshold,
            f1=report.oof_f1,
            acc=report.oof_refusal_accuracy,
            folder=report.folder,
        )
    )
    return 0


def _eval(args: argparse.Namespace) -> int:
    from sekimori.classify.answers.data import load_all
    from sekimori.classify.answers.evaluate import evaluate, render_markdown
    from sekimori.classify.answers.model import MODEL_DIR, load_model

    model = load_model(args.model_dir or MODEL_DIR)
    encoder = _encoder(model.encoder, args.threads)
    report = evaluate(load_all(args.shared_data), model, encoder, progress=_progress)
    table = render_markdown(report)
    print(table)
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(table + "\n", encoding="utf-8")
    return 0
