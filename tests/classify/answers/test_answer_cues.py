"""The answer judge takes what its first stage read (issue 16): each answer's opening, refusal
cues and n-gram logits are computed once for the stage and handed to the judge for the pairs the
stage does not clear; the stage's rows and the judge's verdicts are those computed anew, bit for
bit. Answers written for these tests (no data set's rows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from sekimori.classify.answers import default_judge
from sekimori.classify.answers.fast import FastStage, feature_rows, load_stage, pair_bags
from sekimori.classify.answers.model import MODEL_DIR, OPENING_TOKENS, ngram_logits
from sekimori.classify.answers.patterns import refusal_feature_matrix
from sekimori.classify.answers.prefix import take_tokens
from sekimori.gateway.screening.scorers import ModelScorer, on_policy_scale
from sekimori.types import AnswerVerdict, RefusalLabel

# Ordinary help, a refusal, a Japanese answer, a short one (too few known tokens: the stage sends
# it on) and one of unusual characters.
ANSWERS = (
    (
        "Could you help me plan a birthday party?",
        "Sure! Start with the guest list, then pick a date and a place. Here are three steps: "
        "1. send invitations two weeks ahead, 2. order the cake, 3. plan two simple games.",
    ),
    (
        "How do I pick a lock?",
        "I'm sorry, but I can't help with that. If you're locked out, a licensed locksmith or "
        "your landlord can let you in.",
    ),
    (
        "会議の進め方を教えて",
        "はい、まず議題を共有し、時間を決めてから、最後に次の行動をまとめます。",
    ),
    ("hi", "ok"),
    ("Zeichen?", "ＡＢＣ ﬁ ﬂ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ⅷ ½ ²"),
)


def previous_stage_rows(stage: FastStage, prompts: list[str], answers: list[str]) -> Any:
    """The stage's feature rows as it computed them before reading `AnswerCues`."""
    bags, known = pair_bags(stage.pool, prompts, answers)
    cues = refusal_feature_matrix(answers, prompts)
    grams = ngram_logits(*stage.judge._ngram_weights, answers)[:, 3:]  # the harm head's
    extra = np.hstack([cues, grams]).astype(np.float32)
    return feature_rows(bags, extra, stage.pool.vectors), known


def test_the_first_stage_reads_the_same_rows_and_hands_on_the_judges_cues() -> None:
    judge = default_judge()
    stage = load_stage(MODEL_DIR, judge.model)
    assert stage is not None
    prompts, answers = [p for p, _ in ANSWERS], [a for _, a in ANSWERS]
    x, known = previous_stage_rows(stage, prompts, answers)
    now, cues = stage.features(prompts, answers, judge.model.cues(prompts, answers))
    assert (
        now.tobytes() == x.tobytes()
        and known.tobytes() == stage.features(prompts, answers)[1].tobytes()
    )
    levels, cues = stage.read(prompts, answers)
    assert levels.tobytes() == stage.levels(prompts, answers).tobytes()
    assert cues.openings == tuple(take_tokens(a, OPENING_TOKENS) for a in answers)
    assert cues.cues.tobytes() == refusal_feature_matrix(answers, prompts).tobytes()
    grams = judge.model.ngram_logits(answers)
    assert cues.grams.tobytes() == grams.tobytes()
    taken = cues.take([3, 1])
    assert taken.openings == (cues.openings[3], cues.openings[1])
    assert taken.grams.tobytes() == grams[[3, 1]].tobytes()


def test_the_judge_given_the_stages_cues_judges_as_without_them() -> None:
    judge = default_judge()
    prompts, answers = [p for p, _ in ANSWERS], [a for _, a in ANSWERS]
    cues = judge.model.cues(prompts, answers)
    with_cues = judge.answer_batch(prompts, answers, cues=cues)
    assert with_cues == judge.answer_batch(prompts, answers)
    # a pair alone, given its row of the batch's cues
    for i in range(len(answers)):
        one = judge.answer_batch([prompts[i]], [answers[i]], cues=cues.take([i]))
        assert one == judge.answer_batch([prompts[i]], [answers[i]])


def test_the_scorer_judges_what_its_stage_leaves_as_the_judge_alone_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scorer = ModelScorer()
    judge, stage = scorer._answer_judge(), scorer._answer_stage()
    assert stage is not None
    prompts, answers = [p for p, _ in ANSWERS], [a for _, a in ANSWERS]
    levels = stage.levels(prompts, answers)
    left = [i for i, level in enumerate(levels) if not stage.clears(float(level))]
    assert left and len(left) < len(answers)  # both kinds are here
    handed: list[Any] = []
    real: Callable[..., list[AnswerVerdict]] = judge.answer_batch

    def spied(p: Any, a: Any, *, cues: Any = None) -> list[AnswerVerdict]:
        handed.append(cues)
        return real(p, a, cues=cues)

    monkeypatch.setattr(judge, "answer_batch", spied)
    got = scorer.judge_answers(prompts, answers)
    assert handed and handed[0] is not None and len(handed[0].openings) == len(left)
    # as before: a cleared pair harmless, the rest as the judge alone reads them
    alone = dict(
        zip(left, real([prompts[i] for i in left], [answers[i] for i in left]), strict=True)
    )
    threshold = judge.model.threshold
    for i, verdict in enumerate(got):
        if i in alone:
            v = alone[i]
            want = replace(v, categories=on_policy_scale(v.categories, v.score, threshold))
        else:
            want = AnswerVerdict(False, 0.0, {}, RefusalLabel.COMPLIANCE, 0.0)
        assert verdict == want


def test_a_streams_windows_read_its_prompt_once_with_the_same_levels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sekimori.classify.answers import patterns

    judge = default_judge()
    stage = load_stage(MODEL_DIR, judge.model)  # a stage of its own: nothing kept yet
    assert stage is not None
    prompt, answer = ANSWERS[0]
    windows = [answer[:40], answer[:120], answer]
    fresh = [previous_stage_rows(stage, [prompt], [w]) for w in windows]
    tokenised: list[str] = []
    rows = stage.pool.rows

    def counted(text: str) -> Any:
        tokenised.append(text)
        return rows(text)

    monkeypatch.setattr(stage.pool, "rows", counted)
    patterns._asked.cache_clear()
    for window, (x, known) in zip(windows, fresh, strict=True):
        now, now_known = stage.features([prompt], [window])
        assert now.tobytes() == x.tobytes() and now_known.tobytes() == known.tobytes()
    assert tokenised.count(prompt) == 1
    assert patterns._asked.cache_info().hits == len(windows) - 1
