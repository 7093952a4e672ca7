"""Prompt substitution in the answer judge's training (round 17, issue 15)."""

import argparse
from pathlib import Path

import pytest

import sekimori.classify.encoders  # noqa: F401  (registers the built-in encoders)
from sekimori.classify.answers.data import AnswerExample
from sekimori.classify.answers.train import (
    SUBSTITUTE_TURNS,
    View,
    substitute_prompts,
    texts_of,
    train,
    training_views,
)
from sekimori.classify.encoder import ENCODERS
from sekimori.cli.answers import add_train_parser
from sekimori.errors import InputError
from sekimori.evaluation.sets import CONTINUE
from sekimori.types import RefusalLabel


def _examples(n: int) -> list[AnswerExample]:
    out = []
    for i in range(n):
        lang = "ja" if i % 2 else "en"
        out.append(
            AnswerExample(
                f"s{i}",
                "sekimori",
                lang,
                "train",
                f"request number {i}",
                f"Answer {i}: first do the thing, then the other thing, and finish.",
                RefusalLabel.COMPLIANCE,
                i % 3 == 0,
                None,
            )
        )
    return out


def test_a_share_of_views_is_read_under_a_content_free_turn_of_its_language() -> None:
    views = training_views(_examples(400))
    shown = substitute_prompts(views, 0.3)
    assert substitute_prompts(views, 0.3) == shown  # fixed by a hash: reruns agree
    assert substitute_prompts(views, 0.0) == views
    moved = [v for v in shown if v.turn is not None]
    assert 0.2 * len(views) < len(moved) < 0.4 * len(views)
    # Harmful and harmless alike; the example (labels, the prompt CV groups by) is kept.
    assert {v.example.harmful for v in moved} == {True, False}
    for before, after in zip(views, shown, strict=True):
        assert after.example is before.example and after.answer == before.answer
        if after.turn is None:
            assert after.prompt == before.example.prompt
        else:
            assert after.prompt == after.turn
            assert after.turn in SUBSTITUTE_TURNS[after.example.lang]
    # The features read the turn, not the example's prompt.
    texts = texts_of(moved)
    assert all(v.example.prompt not in texts for v in moved)


def test_the_turns_the_judge_is_validated_after_are_not_trained_on() -> None:
    validated = {*CONTINUE.values(), "Keep going.", "More, please.", "続きをお願いします。"}
    validated.add("もっと詳しく。")
    trained = {t for turns in SUBSTITUTE_TURNS.values() for t in turns}
    assert not validated & trained
    assert "" in SUBSTITUTE_TURNS["en"] and "" in SUBSTITUTE_TURNS["ja"]


def test_a_view_without_a_turn_reads_its_own_prompt() -> None:
    ex = _examples(1)[0]
    assert View(ex, (None,), ex.answer).prompt == ex.prompt


def test_bad_substitution_or_exclusion_is_refused_before_any_work(tmp_path: Path) -> None:
    encoder = ENCODERS.get("e5-small")()
    with pytest.raises(InputError, match="no-such-source"):
        train(_examples(4), encoder, tmp_path, exclude_sources=("no-such-source",))
    with pytest.raises(InputError, match="within 0-1"):
        train(_examples(4), encoder, tmp_path, prompt_substitution=1.5)
    assert not any(tmp_path.iterdir())


def test_the_cli_takes_a_share_and_sources() -> None:
    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers())
    args = parser.parse_args(
        [
            "answers",
            "--prompt-substitution",
            "0.2",
            "--exclude-source",
            "a",
            "--exclude-source",
            "b",
        ]
    )
    assert args.prompt_substitution == 0.2 and args.exclude_source == ["a", "b"]
    assert parser.parse_args(["answers"]).prompt_substitution == 0.0
    with pytest.raises(SystemExit):
        parser.parse_args(["answers", "--prompt-substitution", "1.5"])
