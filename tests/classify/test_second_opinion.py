"""The second opinion (`sekimori.classify.second_opinion`): what it may change (a sure block into a
hold, never less), what it leaves alone, its points' rule, and that the committed model belongs to
the committed prompt model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from sekimori.classify.prompt import PromptModel
from sekimori.classify.second_opinion import (
    DEFAULT_DIR,
    REVIEWED,
    SecondOpinion,
    blocking_tier,
    load_second_opinion,
    prompt_model_digest,
)
from sekimori.classify.second_opinion_train import Blocked, choose_points, lowest_allowed
from sekimori.policy.defaults import default_policy
from sekimori.policy.engine import rule_on
from sekimori.taxonomy import Tier
from sekimori.types import Action, Verdict

SURE = 0.75
DIM = 4


def embed(texts: Sequence[str]) -> NDArray[np.float32]:
    return np.ones((len(texts), DIM), np.float32)


def never(texts: Sequence[str]) -> NDArray[np.float32]:
    raise AssertionError("the second opinion was not to be asked")


def constant(probability: float, point: float = 0.5) -> SecondOpinion:
    """A model that gives every text the same probability (zero weights, a bias)."""
    bias = float(np.log(probability / (1 - probability)))
    return SecondOpinion(np.zeros(DIM, np.float32), bias, dict.fromkeys(Tier, point))


def ruling(v: Verdict) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    r = rule_on(
        dict(v.categories),
        default_policy().default_tenant,
        model="m",
        sure_at=SURE,
        sure_scores=dict((v.certain or v).categories),
    )
    return r.decision.action.value, r.held, r.decision.reasons


SURE_BIO = Verdict(True, 0.9, {"weapons.bio": 0.9, "crime.violent": 0.4})


def test_a_sure_block_it_finds_benign_is_held_with_the_reason() -> None:
    assert ruling(SURE_BIO)[0] == "block"
    action, held, reasons = ruling(
        constant(0.01).reconsider("kill bed bugs", SURE_BIO, SURE, embed)
    )
    assert action == Action.FLAG.value
    assert held == ("weapons.bio",)
    assert any("second reading" in r and "再確認" in r for r in reasons)


def test_a_sure_block_it_finds_harmful_still_blocks() -> None:
    v = constant(0.9).reconsider("text", SURE_BIO, SURE, embed)
    assert v == SURE_BIO
    assert ruling(v)[0] == "block"


def test_the_scores_the_policy_reads_for_the_hold_are_kept() -> None:
    """Only the sure-eligible scores are capped: the request still reaches its hold point."""
    v = constant(0.01).reconsider("text", SURE_BIO, SURE, embed)
    assert v.categories["weapons.bio"] == 0.9
    assert v.certain is not None
    assert SURE - 0.001 < v.certain.categories["weapons.bio"] < SURE
    assert v.certain.categories["crime.violent"] == 0.4
    assert v.categories[REVIEWED] == 1.0


@pytest.mark.parametrize(
    "verdict",
    [
        # unsure everywhere: nothing to reconsider
        Verdict(True, 0.6, {"weapons.bio": 0.6}),
        # sure only where it may not be (a passage's sentence): already held
        Verdict(True, 0.9, {"hate": 0.9}, certain=Verdict(True, 0.3, {"hate": 0.3})),
        # a jailbreak wrapper is read: left alone
        Verdict(True, 0.9, {"weapons.bio": 0.9, "attack.jailbreak": 0.8}),
        # ip.copyright has its own detector
        Verdict(True, 0.9, {"ip.copyright": 0.9}),
        # self-harm blocked gets the support answer, which a hold would lose
        Verdict(True, 0.9, {"self_harm": 0.9, "crime.violent": 0.8}),
    ],
)
def test_what_it_leaves_alone(verdict: Verdict) -> None:
    assert constant(0.001).reconsider("text", verdict, SURE, never) == verdict


def test_the_blocking_tier_is_the_strictest_sure_one() -> None:
    both = Verdict(True, 0.9, {"hate": 0.95, "weapons.chem": 0.8, "crime.violent": 0.7})
    assert blocking_tier(both, SURE) is Tier.CATASTROPHIC
    # held per tier: a point of 0 for the catastrophic tier never holds its blocks
    model = SecondOpinion(
        np.zeros(DIM, np.float32), -4.0, {Tier.CATASTROPHIC: 0.0, Tier.MODERATE: 0.5}
    )
    assert model.reconsider("t", both, SURE, embed) == both
    hate = Verdict(True, 0.9, {"hate": 0.95})
    assert ruling(model.reconsider("t", hate, SURE, embed))[0] == "flag"


def test_points_hold_at_most_the_spare_share_of_harmful_blocks() -> None:
    values = [i / 100 for i in range(100)]
    point = lowest_allowed(values, 0.02)
    assert sum(v < point for v in values) == 2
    assert lowest_allowed(values, 0.0) == 0.0  # none below the lowest
    blocked = [Blocked(True, "en", Tier.SEVERE, v) for v in values] + [
        Blocked(True, "ja", Tier.CATASTROPHIC, v) for v in (0.3, 0.6)
    ]
    points = choose_points(blocked)
    assert points[Tier.CATASTROPHIC] == 0.3
    assert sum(b.probability < points[Tier.SEVERE] for b in blocked if b.tier is Tier.SEVERE) == 2
    assert points[Tier.MODERATE] == 0.0  # no harmful block to choose on: never held


def test_save_load_and_a_model_chosen_for_another_prompt_model_is_off(tmp_path: Path) -> None:
    meta = PromptModel.load().meta
    model = SecondOpinion(
        np.arange(DIM, dtype=np.float32), -1.0, dict.fromkeys(Tier, 0.3), {}, "not-this-model"
    )
    model.save(tmp_path)
    back = SecondOpinion.load(tmp_path)
    assert back is not None
    assert back.points == model.points
    x = embed(["a text"])
    assert back.probabilities(x)[0] == pytest.approx(model.probabilities(x)[0])
    assert load_second_opinion(meta, tmp_path) is None
    SecondOpinion(model.weight, model.bias, model.points, {}, prompt_model_digest(meta)).save(
        tmp_path
    )
    assert load_second_opinion(meta, tmp_path) is not None


def test_the_committed_model_belongs_to_the_committed_prompt_model() -> None:
    second = load_second_opinion(PromptModel.load().meta, DEFAULT_DIR)
    assert second is not None, "run `sekimori train second-opinion`"
    assert set(second.points) == set(Tier)
    assert (DEFAULT_DIR / "second_opinion.npz").stat().st_size < 10 * 2**20
    assert second.weight.shape == (PromptModel.load().meta.dim,)
