"""Training the answer judge on the vectors the gateway computes (round 18, issue 15)."""

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
from sekimori.classify.answers.data import AnswerExample, source_of
from sekimori.classify.answers.judge import AnswerJudge
from sekimori.classify.answers.model import (
    JUDGE_PROMPT_CHARS,
    OPENING_TOKENS,
    load_model,
    pair_features,
)
from sekimori.classify.answers.prefix import take_tokens
from sekimori.classify.answers.train import EmbeddingCache, View, featurize, texts_of
from sekimori.classify.encoder import ENCODERS
from sekimori.cli.answers import add_train_parser
from sekimori.types import RefusalLabel


class BatchMoved:
    """An encoder whose vectors depend on the call's other texts, as the int8 encoder's do."""

    name = "batch-moved"
    dim = 4

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(len(texts))
        return np.asarray([[len(t), len(texts), 1.0, 0.0] for t in texts], dtype=np.float32)


def test_the_alone_cache_encodes_one_text_a_call_in_a_file_of_its_own(tmp_path: Path) -> None:
    texts = [f"text {i}" for i in range(70)]
    batched, alone = BatchMoved(), BatchMoved()
    rows = EmbeddingCache(batched, tmp_path).embed(texts)
    cache = EmbeddingCache(alone, tmp_path, alone=True)
    alone_rows = cache.embed(texts)
    assert batched.calls[1:] == [64, 6] and set(alone.calls) == {1}
    assert (alone_rows[:, 1] == 1).all() and not (rows[:, 1] == 1).all()
    # Never mixed: each kind has its file, and the alone one reloads as encoded.
    assert EmbeddingCache(BatchMoved(), tmp_path).path != cache.path
    again = BatchMoved()
    assert np.array_equal(EmbeddingCache(again, tmp_path, alone=True).embed(texts), alone_rows)
    assert again.calls == [1]  # the probe only


def test_rows_encoded_elsewhere_are_added_not_overwritten(tmp_path: Path) -> None:
    one = EmbeddingCache(BatchMoved(), tmp_path / "a", alone=True)
    one.embed(["x", "y"])
    other = EmbeddingCache(BatchMoved(), tmp_path / "b", alone=True)
    other.embed(["y", "z"])
    assert one.add(other.path) == 1
    assert sorted(one._rows) == sorted(EmbeddingCache.key(t) for t in "xyz")


def test_training_reads_a_prompt_as_the_gateway_does() -> None:
    prompt = "context " * 100 + "the question?"
    ex = AnswerExample("p", "dolly", "en", "train", prompt, "An answer.",
                       RefusalLabel.COMPLIANCE, False, None)  # fmt: skip
    view = View(ex, (None,), ex.answer)
    assert texts_of([view])[0] == ex.prompt
    read = texts_of([view], JUDGE_PROMPT_CHARS)[0]
    assert len(read) == JUDGE_PROMPT_CHARS and ex.prompt.endswith(read)


def test_training_features_are_the_ones_the_gateway_judge_computes(tmp_path: Path) -> None:
    """One (prompt, answer) pair a call, as `Scorer.judge_answers` asks the judge: the features
    the heads are fitted on with serving encoding are the judge's own, bit for bit."""
    encoder = ENCODERS.get("e5-small")()
    answer = "Sure. First gather what you need, then follow the usual steps, and finish up."
    prompt = "Please read this long message. " * 12 + "How do I do it?"
    ex = AnswerExample("q", "sekimori", "en", "train", prompt, answer,
                       RefusalLabel.COMPLIANCE, False, None)  # fmt: skip
    cache = EmbeddingCache(encoder, tmp_path, alone=True)
    cache.embed(["a batch-mate that is much longer than the rest of these texts " * 4, answer])
    trained = featurize([View(ex, (None,), answer)], cache, JUDGE_PROMPT_CHARS)
    judge = AnswerJudge(load_model(), encoder)
    asked = prompt[-JUDGE_PROMPT_CHARS:]
    served = pair_features(
        judge._embeddings([asked]),
        judge._embeddings([answer]),
        judge._embeddings([take_tokens(answer, OPENING_TOKENS)]),
        [asked],
        [answer],
    )
    assert np.array_equal(trained, served)


def test_round_18_data_is_a_source_of_its_own() -> None:
    for name in ("handwritten_r18_ja.jsonl", "handwritten_r18_en.jsonl"):
        assert source_of(Path(name)) == "sekimori-handwritten-r18"


def test_the_cli_option_is_off_by_default() -> None:
    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers())
    assert parser.parse_args(["answers"]).serving_encoding is False
    assert parser.parse_args(["answers", "--serving-encoding"]).serving_encoding is True
