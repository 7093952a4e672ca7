"""`sekimori train WHAT`: train a model from the repository's data and the shared data sets."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sekimori.cli.group import add_group

# One line per sub-command: "module:function" adding it to the `train` sub-parsers.
SUBCOMMANDS: tuple[str, ...] = (
    "sekimori.cli.train:add_classifier",
    "sekimori.cli.train:add_operating_points",
    "sekimori.cli.train:add_reproduction",
    "sekimori.cli.train:add_second_opinion",
    "sekimori.cli.train:add_short_turns",
    "sekimori.cli.train:add_stage_ngram",
    "sekimori.cli.train:add_static",
    "sekimori.cli.train:add_answer_fast",
    "sekimori.cli.answers:add_train_parser",
)


def add_parser(subparsers: Any) -> None:
    add_group(subparsers, "train", "Train a model. / モデルを学習します。", SUBCOMMANDS)


def add_classifier(sub: Any) -> None:
    from sekimori.classify.finetune import FinetuneSettings
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.classify.train import DEFAULT_ENCODER, FINETUNE_ROWS

    p = sub.add_parser(
        "classifier",
        help="Train the prompt hazard classifier. / プロンプト危険度分類器を学習します。",
        description="Rebuild the committed prompt classifier from a fixed seed "
        "(about 12 minutes on 2 quiet cores, an hour when other jobs share them; "
        "--finetune-layers 4 --finetune-epochs 1 tunes a third as much; embeddings are cached "
        "in .sekimori/cache). / "
        "固定シードからプロンプト分類器を再学習します（空いた 2 コアで約 12 分）。",
    )
    p.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder name (default: %(default)s)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--output", type=Path, default=DEFAULT_MODEL_DIR, help="artefact folder")
    tuning = FinetuneSettings()
    p.add_argument(
        "--finetune-layers",
        type=int,
        default=tuning.layers,
        help="top encoder layers to fine-tune, 0 to keep the encoder frozen (default: %(default)s)"
        " / 微調整する上位層の数（0 で凍結）",
    )
    p.add_argument("--finetune-epochs", type=int, default=tuning.epochs)
    p.add_argument(
        "--finetune-rows",
        type=int,
        default=FINETUNE_ROWS,
        help="most texts used to fine-tune (default: %(default)s)",
    )
    p.add_argument(
        "--reuse-delta",
        type=Path,
        default=None,
        metavar="NPZ",
        help="fit the heads on this already tuned encoder delta (a model's encoder_delta.npz) "
        "instead of tuning the encoder; needs --finetune-layers 0 / "
        "エンコーダを微調整せず、既存の差分（encoder_delta.npz）の上でヘッドだけを学習します",
    )
    p.set_defaults(func=_train_classifier)


def _train_classifier(args: argparse.Namespace) -> int:
    from sekimori.classify.finetune import FinetuneSettings
    from sekimori.classify.prompt import has_stage_ngram
    from sekimori.classify.train import STAGE_NGRAM_DROPPED, TrainSettings, train
    from sekimori.errors import ConfigError

    for flag in ("finetune_layers", "finetune_epochs", "finetune_rows"):
        if getattr(args, flag) < (0 if flag == "finetune_layers" else 1):
            raise ConfigError(f"--{flag.replace('_', '-')} is too small: {getattr(args, flag)}")
    tuning = (
        FinetuneSettings(layers=args.finetune_layers, epochs=args.finetune_epochs, seed=args.seed)
        if args.finetune_layers
        else None
    )
    if args.reuse_delta is not None:
        if tuning is not None:
            raise ConfigError("--reuse-delta needs --finetune-layers 0 (the encoder is not tuned)")
        if not args.reuse_delta.is_file():
            raise ConfigError(f"--reuse-delta: no such file: {args.reuse_delta}")
    had_stage_set = has_stage_ngram(args.output)
    start = time.monotonic()
    report = train(
        TrainSettings(
            encoder=args.encoder,
            seed=args.seed,
            output=args.output,
            finetune=tuning,
            finetune_rows=args.finetune_rows,
            delta=args.reuse_delta,
        )
    )
    print(
        f"threshold {report.threshold:.2f}, blend {report.blend:.2f}, gate {report.gate:.2f}; "
        f"validation {report.validation}; {time.monotonic() - start:.0f} s"
    )
    if had_stage_set and not has_stage_ngram(report.output):
        print(STAGE_NGRAM_DROPPED.format(output=report.output), file=sys.stderr)
    return 0


def add_operating_points(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR

    p = sub.add_parser(
        "operating-points",
        help="Choose the prompt classifier's hold and sure points per tier on the validation "
        "split. / 検証データで段階ごとの保留点・確信点を選びます。",
        description="Scores the validation split with the committed prompt classifier (as the "
        "gateway does), chooses each tier's hold and sure points (docs/policy.md) and stores "
        "them with the validation figures under operating_points in model.json; never reads "
        "held-out or evaluation-only data (about a minute on 2 cores). / "
        "検証データのみで段階ごとの保留点・確信点を選び、model.json に記録します。",
    )
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="model folder")
    p.add_argument(
        "--dry-run", action="store_true", help="print the figures, write nothing / 書き込まない"
    )
    p.set_defaults(func=_operating_points)


def _operating_points(args: argparse.Namespace) -> int:
    import json

    from sekimori.classify.operating import choose_points, score_items, write_points
    from sekimori.classify.prompt import PromptClassifier
    from sekimori.classify.train import corpus_settings_of, training_pool

    start = time.monotonic()
    classifier = PromptClassifier.load(args.model)
    pool = training_pool(corpus_settings_of(classifier.model.meta))
    report = choose_points(score_items(classifier, pool.examples))
    print(json.dumps(report.to_json(), indent=1, ensure_ascii=False))
    if not args.dry_run:
        print(f"written to {write_points(args.model, report)}")
    print(f"{time.monotonic() - start:.0f} s")
    return 0


def _require_model(model: Path) -> None:
    """``--model`` must be a prompt model's folder."""
    from sekimori.errors import ConfigError

    if not (model / "model.json").is_file():
        raise ConfigError(
            f"--model {model}: no model.json there / model.json がありません", key="--model"
        )


def _require_installed(model: Path, what: str, what_ja: str) -> None:
    """``--model`` must be the installed prompt model: ``what`` is chosen on the deployed
    classifier's scores (`ModelScorer` reads the installed one)."""
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.errors import ConfigError

    _require_model(model)
    if model.resolve() != DEFAULT_MODEL_DIR.resolve():
        raise ConfigError(
            f"{what} is chosen on the deployed classifier's scores: --model must be the "
            f"installed prompt model / {what_ja}は導入済みの分類器の採点で選ぶため、"
            "--model は導入済みのプロンプトモデルにしてください",
            key="--model",
        )


def add_reproduction(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.classify.reproduction_train import ReproductionSettings

    defaults = ReproductionSettings()
    p = sub.add_parser(
        "reproduction",
        help="Train the copyright detector (requests to reproduce protected works) beside the "
        "prompt classifier. / 著作物の複製を求める依頼の検出器を学習します。",
        description="Fits a logistic model over hashed character n-grams on the prompt model's "
        "training split (ip.copyright requests against every other row), chooses its hold and "
        "sure points on the validation split by the moderate tier's rule (at most 1%% and "
        "0.25%% of benign rows) and writes reproduction.npz and reproduction.json into the "
        "model folder (about a minute on 2 cores). / "
        "学習データで文字 n-gram のロジスティック回帰を学習し、検証データだけで保留点・確信点を"
        "選び（中程度の段階の規則）、モデルのフォルダに書き込みます。",
    )
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="model folder")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.set_defaults(func=_train_reproduction)


def _train_reproduction(args: argparse.Namespace) -> int:
    import json

    from sekimori.classify.prompt import PromptModel
    from sekimori.classify.reproduction_train import ReproductionSettings, train_reproduction
    from sekimori.classify.train import corpus_settings_of, training_pool

    _require_model(args.model)
    start = time.monotonic()
    pool = training_pool(corpus_settings_of(PromptModel.load(args.model).meta))
    detector = train_reproduction(pool.examples, ReproductionSettings(seed=args.seed))
    detector.save(args.model)
    print(json.dumps(dict(detector.figures), indent=1, ensure_ascii=False))
    print(
        f"hold {detector.point.hold:.4f}, sure {detector.point.sure:.4f}; written to "
        f"{args.model}; {time.monotonic() - start:.0f} s"
    )
    return 0


def add_second_opinion(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.classify.second_opinion import DEFAULT_DIR
    from sekimori.classify.second_opinion_train import SecondOpinionSettings

    defaults = SecondOpinionSettings()
    p = sub.add_parser(
        "second-opinion",
        help="Train the second opinion that may hold, instead of block, a prompt the classifier "
        "is sure of. / 分類器が確信したプロンプトを再確認し、ブロックを保留に変えうるモデルを"
        "学習します。",
        description="Scores the prompt model's training and validation splits with the "
        "deployed classifier, fits a logistic head on the classifier's own embedding on the "
        "training rows at or above a tier's hold point (harmful against benign), chooses per "
        "tier the point under which a sure block is held on the validation split only (none of "
        "the catastrophic and at most 2% of the severe and moderate harmful sure blocks held) "
        "and writes second_opinion.npz and second_opinion.json (about 30 minutes on 2 cores "
        "for 12,000 rows, most of it the classifier's scoring). Rerun it after the prompt "
        "model is retrained. / "
        "学習データと検証データを分類器で採点し、保留点以上の学習行で分類器自身の埋め込みに"
        "ロジスティック回帰を学習し、段階ごとの点を検証データだけで選びます（壊滅的な段階は"
        "有害な確実ブロックを1件も保留にせず、重大・中程度は2%まで）。プロンプトモデルを"
        "学習し直したら再実行してください。",
    )
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="prompt model folder")
    p.add_argument("--output", type=Path, default=DEFAULT_DIR, help="folder to write to")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument(
        "--train-rows",
        type=int,
        default=12000,
        help="score and fit on a seeded sample of this many training rows (0: all; the committed "
        "model: 12000) / 学習行のうちこの件数を無作為抽出して使います（0: すべて）",
    )
    p.set_defaults(func=_train_second_opinion)


@dataclass(frozen=True, slots=True)
class _ReadingInputs:
    """What a reading of the installed prompt model's verdicts is trained from."""

    examples: list[Any]  # the prompt model's pool (`corpus.Example`)
    embed: Any  # the classifier's own embedding (`second_opinion.Embed`)
    digest: str  # `second_opinion.prompt_model_digest` of the prompt model


def _reading_inputs(model: Path, what: str, what_ja: str) -> _ReadingInputs:
    from sekimori.classify.prompt import PromptClassifier, PromptModel
    from sekimori.classify.second_opinion import classifier_embed, prompt_model_digest
    from sekimori.classify.train import corpus_settings_of, training_pool

    _require_installed(model, what, what_ja)
    meta = PromptModel.load(model).meta
    pool = training_pool(corpus_settings_of(meta))
    embed = classifier_embed(PromptClassifier.load(model))
    return _ReadingInputs(pool.examples, embed, prompt_model_digest(meta))


def _written(figures: Any, output: Path, point: str, start: float) -> None:
    import json

    print(json.dumps(dict(figures), indent=1, ensure_ascii=False))
    print(f"{point}; written to {output}; {time.monotonic() - start:.0f} s")


def _train_second_opinion(args: argparse.Namespace) -> int:
    from sekimori.classify.operating import SURE_LEVEL
    from sekimori.classify.second_opinion_train import (
        SecondOpinionSettings,
        train_second_opinion,
    )
    from sekimori.gateway.screening.scorers import ModelScorer

    start = time.monotonic()
    inputs = _reading_inputs(args.model, "the second opinion", "再確認モデル")
    # scored as the gateway scores before the second opinion (the short-turn reading comes after)
    scorer = ModelScorer(second_opinion=False, short_turns=False)
    second = train_second_opinion(
        inputs.examples,
        scorer.score_prompts,
        inputs.embed,
        SURE_LEVEL,
        SecondOpinionSettings(seed=args.seed, train_rows=args.train_rows or None),
        prompt_model=inputs.digest,
    )
    second.save(args.output)
    points = ", ".join(f"{t.value} {p:.4f}" for t, p in second.points.items())
    _written(second.figures, args.output, f"points: {points}", start)
    return 0


def add_short_turns(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.classify.short_turns import DEFAULT_DIR
    from sekimori.classify.short_turns_train import ShortTurnSettings, written_rows_path

    defaults = ShortTurnSettings()
    p = sub.add_parser(
        "short-turns",
        help="Train the short-turn reading that may allow, instead of hold, a short chat turn "
        "the classifier would hold. / 分類器が保留する短い会話ターンを再確認し、許可に変えうる"
        "モデルを学習します。",
        description="Fits a logistic head on the classifier's own embedding: the team's "
        "hand-written chat turns (the benign rows of --rows) against every short training row of "
        "the prompt model's pool and the file's harmful rows, giving P(chat turn); chooses on the "
        "validation split only the point from which a short turn the classifier would hold is "
        "allowed (0.01 above every harmful validation item it is asked about, at least 0.5) and "
        "writes short_turns.npz and short_turns.json (a few minutes on 2 cores). Rerun it after "
        "the prompt model or its operating points change. / 手書きの会話ターンを正例、プールの"
        "短い学習行と有害な手書き行を負例として分類器自身の埋め込みにロジスティック回帰を学習し、"
        "検証データだけで点を選びます（対象となる有害な検証項目すべてより 0.01 上、0.5 以上）。"
        "プロンプトモデルや動作点を変えたら再実行してください。",
    )
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="prompt model folder")
    p.add_argument("--output", type=Path, default=DEFAULT_DIR, help="folder to write to")
    p.add_argument(
        "--rows",
        type=Path,
        default=written_rows_path(),
        help="the hand-written short turns (team schema) / 手書きの短いターンのファイル",
    )
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.set_defaults(func=_train_short_turns)


def _train_short_turns(args: argparse.Namespace) -> int:
    from sekimori.classify.operating import SURE_LEVEL
    from sekimori.classify.short_turns_train import (
        ShortTurnSettings,
        train_short_turns,
        written_rows,
    )
    from sekimori.gateway.screening.scorers import ModelScorer
    from sekimori.paths import shared_data_dir

    start = time.monotonic()
    inputs = _reading_inputs(args.model, "the short-turn reading", "短いターンの再確認")
    reading = train_short_turns(
        inputs.examples,
        written_rows(args.rows, shared_data_dir()),
        ModelScorer(short_turns=False).score_prompts,
        inputs.embed,
        SURE_LEVEL,
        ShortTurnSettings(seed=args.seed),
        prompt_model=inputs.digest,
    )
    reading.save(args.output)
    _written(reading.figures, args.output, f"point: {reading.point:.2f}", start)
    return 0


def add_stage_ngram(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.classify.stage_ngram import StageNgramSettings

    defaults = StageNgramSettings()
    p = sub.add_parser(
        "stage-ngram",
        help="Fit the prompt classifier's first-stage n-gram weights (read by the n-gram gate, "
        "the static stage and the segment gate; the final scores keep the model's own). / "
        "プロンプト分類器の第一段専用の n-gram 重みを学習します（最終スコアは元の重みのまま）。",
        description="Fits a second char n-gram model on the model's training split plus benign "
        "negatives (the scan pieces of its benign prompts of two sentences or more, and Dolly "
        "rows outside the prompt pool, whole and in pieces), writes it into heads.npz as "
        "stage_ngram_weight/stage_ngram_bias (every other array kept), and chooses the n-gram "
        "gate again on the levels the gate reads (the set's; with fast_path.stage_ngram_reads "
        "clear or long, the model's own) on the validation split (train classifier's rule). Run it "
        "after `sekimori train classifier`, then `sekimori train static --points-only` (a few "
        "minutes on 2 cores). / "
        "学習データと良性の負例（2 文以上の良性プロンプトの断片、プール外の Dolly 行とその断片）"
        "で第二の文字 n-gram モデルを学習し、heads.npz に stage_ngram_weight/stage_ngram_bias "
        "として書き込み（他の配列はそのまま）、ゲートが読む水準で n-gram ゲートを検証データ"
        "だけで選び直します。`train classifier` の後に実行し、続けて "
        "`train static --points-only` を実行してください（2 コアで数分）。",
    )
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="model folder")
    p.add_argument(
        "--seed", type=int, default=defaults.seed, help="draw of the pieces / 断片の抽出のシード"
    )
    p.add_argument(
        "--c",
        type=float,
        default=defaults.c,
        help="inverse regularisation of the logistic models (default: %(default)s) / 正則化の逆数",
    )
    p.add_argument(
        "--pieces-per-text",
        type=int,
        default=defaults.pieces_per_text,
        help="most scan pieces of one benign text (default: %(default)s) / 1 文書あたりの断片数",
    )
    p.add_argument(
        "--dolly-from",
        type=int,
        default=defaults.dolly_from,
        help="first Dolly row outside the prompt pool that may be used (default: %(default)s) / "
        "使ってよいプール外の Dolly の最初の行",
    )
    p.add_argument(
        "--dolly-rows",
        type=int,
        default=defaults.dolly_rows,
        help="extra Dolly rows a language, 0 for none (default: %(default)s) / "
        "言語ごとの追加 Dolly 行数（0: なし）",
    )
    p.set_defaults(func=_train_stage_ngram)


def _train_stage_ngram(args: argparse.Namespace) -> int:
    from sekimori.classify.stage_ngram import StageNgramSettings, train_stage_ngram

    _require_model(args.model)
    settings = StageNgramSettings(
        model_dir=args.model,
        seed=args.seed,
        c=args.c,
        pieces_per_text=args.pieces_per_text,
        dolly_from=args.dolly_from,
        dolly_rows=args.dolly_rows,
    )
    report = train_stage_ngram(settings)
    print(
        f"rows {report.rows}; gate {report.gate:.2f}; {report.seconds:.0f} s. Now choose the "
        f"static stage's points again: sekimori train static --model {args.model} --points-only"
        " / 続けて静的段の点を選び直してください"
    )
    return 0


def add_static(sub: Any) -> None:
    from sekimori.classify.prompt import DEFAULT_MODEL_DIR
    from sekimori.classify.static_train import StaticSettings

    defaults = StaticSettings()
    p = sub.add_parser(
        "static",
        help="Build the prompt classifier's static first stage (token vectors distilled from "
        "its encoder) and choose its clear point on the validation split. / "
        "プロンプト分類器の静的第一段（エンコーダから蒸留したトークンベクトル）を作り、"
        "検証データでクリア点を選びます。",
        description="Distils a vector for every token of the model's training split from its "
        "encoder (e5-small with the model's delta), fits harm and jailbreak heads on the "
        "training split and chooses the levels under which a piece skips the encoder (one for "
        "a text's whole or segment, a lower one for the whole of a text longer than one window) "
        "on the validation split only (no catastrophic and, by default, no severe validation "
        "prompt, bare, padded or disguised, may skip it; at most 2% of the moderate and of the "
        "jailbreak ones); writes static.npz and the fast_path entry of model.json. Rerun it "
        "after `sekimori train classifier` and `sekimori train stage-ngram` (a few minutes on 2 "
        "cores). / "
        "学習データのトークンごとのベクトルをエンコーダから蒸留し、危険度・脱獄ヘッドを学習し、"
        "検証データだけでエンコーダを省略する水準（文全体・セグメント用と、1 窓より長い文全体用）"
        "を選びます（致命的・重大な検証プロンプトは素・パディング・偽装のいずれも既定で 1 件も"
        "省略しない。`train classifier` と `train stage-ngram` の後に再実行）。",
    )
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="model folder")
    p.add_argument("--dims", type=int, default=defaults.dims, help="vector size after PCA")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument(
        "--off",
        action="store_true",
        help="write the stage but leave it switched off in model.json / 作成するが無効のまま",
    )
    p.add_argument(
        "--severe-loss",
        type=float,
        default=defaults.severe_loss,
        help="share of each set of severe validation prompts (bare, padded, disguised) that may "
        "skip the encoder, 0 to 0.05 (default: %(default)s; models before issue 16's N2 were "
        "chosen with 0.005) / 重大な検証プロンプトのうちエンコーダを省略してよい割合"
        "（0〜0.05、既定 %(default)s。issue 16 の N2 より前のモデルは 0.005）",
    )
    p.add_argument(
        "--points-only",
        action="store_true",
        help="keep static.npz (vectors and heads) and only choose the clear points again, e.g. "
        "after new validation data or new n-gram weights (seconds, not minutes) / "
        "static.npz はそのままでクリア点だけを選び直します",
    )
    p.add_argument(
        "--train-vectors",
        action="store_true",
        help="after distilling, train the token vectors and the heads together on the training "
        "split (seeded; a few more minutes); the clear points are chosen as before / "
        "蒸留の後、学習データでトークンベクトルとヘッドを一緒に学習します（シード固定、数分追加）。"
        "クリア点の選び方は同じです",
    )
    p.set_defaults(func=_train_static)


def _train_static(args: argparse.Namespace) -> int:
    from sekimori.classify.static_train import StaticSettings, train_static
    from sekimori.classify.static_tune import TuneSettings
    from sekimori.errors import ConfigError

    if not 8 <= args.dims <= 384:
        raise ConfigError(f"--dims must be between 8 and 384, got {args.dims}")
    if not 0.0 <= args.severe_loss <= 0.05:
        raise ConfigError(
            f"--severe-loss must be between 0 and 0.05, got {args.severe_loss} / "
            "--severe-loss は 0〜0.05 で指定してください",
            key="--severe-loss",
        )
    _require_model(args.model)
    if args.points_only and args.train_vectors:
        raise ConfigError(
            "--points-only keeps static.npz; it cannot go with --train-vectors / "
            "--points-only は static.npz をそのまま使うため --train-vectors と併用できません",
            key="--train-vectors",
        )
    start = time.monotonic()
    choice = train_static(
        StaticSettings(
            model_dir=args.model,
            dims=args.dims,
            seed=args.seed,
            enable=not args.off,
            severe_loss=args.severe_loss,
            points_only=args.points_only,
            tune=TuneSettings(seed=args.seed) if args.train_vectors else None,
        )
    )
    print(
        f"combine {choice.combine}, clear {choice.clear:.2f} (wholes longer than one window "
        f"{choice.long_clear:.2f}); ordinary validation prompts cleared: "
        f"{choice.figures['ordinary_cleared']}; {time.monotonic() - start:.0f} s"
    )
    return 0


def add_answer_fast(sub: Any) -> None:
    from sekimori.classify.answers.fast_train import FastSettings
    from sekimori.classify.answers.model import MODEL_DIR

    defaults = FastSettings()
    p = sub.add_parser(
        "answer-fast",
        help="Build the answer judge's cheap first stage (token vectors distilled from its "
        "encoder) beside the committed judge. / "
        "回答判定器の安価な第一段（エンコーダから蒸留したトークンベクトル）を作ります。",
        description="Distils a vector for every token of the answer judge's training split from "
        "its encoder, fits a harm head over the judge's own training views and chooses the "
        "level under which an answer is judged harmless without the encoder, on out-of-fold "
        "predictions of the training split only (no whole harmful answer of the team's sets and "
        "at most 0.5%% of all harmful views may be cleared); writes fast.npz and fast.json next "
        "to answers.json. Rerun it after every `sekimori train answers`: the stage switches "
        "itself off beside other judge weights (a few minutes on 2 cores). / "
        "判定器の学習データだけで、エンコーダなしで無害と判定する水準を選びます。"
        "`sekimori train answers` の後に毎回再実行してください"
        "（判定器の重みが変わると自動で無効）。",
    )
    p.add_argument("--model", type=Path, default=MODEL_DIR, help="answer judge folder")
    p.add_argument("--dims", type=int, default=defaults.dims, help="vector size after PCA")
    p.add_argument(
        "--off",
        action="store_true",
        help="write the stage but leave it switched off / 作成するが無効のまま",
    )
    p.add_argument(
        "--tune-epochs",
        type=int,
        default=defaults.tune_epochs,
        help="train the token vectors with the head for this many epochs, from the distilled "
        "ones (0: vectors frozen) / トークンベクトルもヘッドと一緒にこのエポック数だけ学習"
        "（0: 蒸留したまま）",
    )
    p.add_argument(
        "--ngram-gate",
        action="store_true",
        help="the level is the higher of the head's and the judge's n-gram head's P(harmful), "
        "as before issue 16 (default: the head's alone) / 第一段のヘッドと判定器の n-gram "
        "ヘッドの大きい方を水準にする（issue 16 以前の方式。既定はヘッドだけ）",
    )
    p.add_argument(
        "--coarse-clear",
        action="store_true",
        help="choose the clear point on 0.001 steps, as before issue 16 (default: log10 steps "
        "of 0.02 from 1e-9) / クリア点を 0.001 刻みで選ぶ（既定は 1e-9 からの対数刻み 0.02）",
    )
    p.add_argument(
        "--vectors-from",
        type=Path,
        help="start from the token vectors of this fast.npz (built for the same judge "
        "encoder) instead of distilling them again / 蒸留し直さず、この fast.npz の"
        "トークンベクトルから始める",
    )
    p.set_defaults(func=_train_answer_fast)


def _train_answer_fast(args: argparse.Namespace) -> int:
    from sekimori.classify.answers.fast_train import FastSettings, train_fast
    from sekimori.errors import ConfigError

    if not 8 <= args.dims <= 384:
        raise ConfigError(f"--dims must be between 8 and 384, got {args.dims}")
    if not (args.model / "answers.json").is_file():
        raise ConfigError(
            f"--model {args.model}: no answers.json there / answers.json がありません",
            key="--model",
        )
    if args.tune_epochs < 0:
        raise ConfigError(f"--tune-epochs must be 0 or more, got {args.tune_epochs}")
    settings = FastSettings(
        folder=args.model,
        dims=args.dims,
        enable=not args.off,
        tune_epochs=args.tune_epochs,
        ngram_gate=args.ngram_gate,
        fine_clear=not args.coarse_clear,
        vectors_from=args.vectors_from,
    )
    report = train_fast(settings)
    print(
        f"clear {report.clear:.3g}; benign whole answers cleared (out of fold): "
        f"{report.figures['benign_whole']}; harmful views cleared: "
        f"{report.figures['harmful_all_cleared_count']}; {report.seconds:.0f} s"
    )
    return 0
