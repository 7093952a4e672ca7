"""Operating points per tier: chosen by their rules, stored in model.json, mapped to the policy."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sekimori.classify.operating import (
    FIELD,
    HOLD_LEVEL,
    RULES,
    SURE_LEVEL,
    OperatingPoints,
    ScoredItem,
    TierPoint,
    choose_points,
    evidence,
    tier_score,
    write_points,
)
from sekimori.classify.prompt import DEFAULT_MODEL_DIR, PromptModel
from sekimori.errors import ModelError
from sekimori.taxonomy import BY_ID, CATEGORY_IDS, Tier, in_tier


def _item(rng: random.Random, category: str | None, lang: str) -> ScoredItem:
    """A harmful item scores high in its category (sometimes low); benign ones score low."""
    heads = {c: rng.random() * 0.2 for c in CATEGORY_IDS}
    if category is None:
        harm = rng.random() * 0.6
    else:
        harm = rng.choice([rng.uniform(0.5, 1.0), rng.uniform(0.1, 1.0)])
        heads[category] = rng.uniform(0.3, 1.0)
    return ScoredItem(lang, category is not None, category, category is None, harm, heads)


@pytest.fixture(scope="module")
def items() -> list[ScoredItem]:
    rng = random.Random(7)
    out = []
    for tier, n in ((Tier.CATASTROPHIC, 120), (Tier.SEVERE, 200), (Tier.MODERATE, 300)):
        cats = in_tier(tier)
        out += [_item(rng, cats[i % len(cats)], "en" if i % 2 else "ja") for i in range(n)]
    out += [_item(rng, None, "en" if i % 2 else "ja") for i in range(1500)]
    return out


def test_each_tier_meets_its_rule_on_the_items_it_was_chosen_on(items: list[ScoredItem]) -> None:
    report = choose_points(items)
    ev = [evidence(x.categories, x.harm) for x in items]
    benign = [e for e, x in zip(ev, items, strict=True) if not x.harmful]
    for rule in RULES:
        point = report.points.tiers[rule.tier]
        assert 0.0 <= point.hold <= point.sure < 1.0
        own = [
            tier_score(e, rule.tier)
            for e, x in zip(ev, items, strict=True)
            if x.category and BY_ID[x.category].tier is rule.tier
        ]
        if rule.hold_recall is not None:
            assert sum(s >= point.hold for s in own) / len(own) >= rule.hold_recall
        else:
            assert sum(tier_score(e, rule.tier) >= point.hold for e in benign) / len(benign) <= (
                rule.hold_benign or 0.0
            )
        if point.sure > point.hold:  # else every score at the hold point is sure
            at_sure = sum(tier_score(e, rule.tier) >= point.sure for e in benign)
            assert at_sure / len(benign) <= rule.sure_benign
        figures = report.figures["tiers"][rule.tier.value]
        assert figures["harmful_at_hold"]["n"] == len(own)
        assert set(figures["benign_at_hold"]) == {"all", "en", "ja", "n"}


def test_the_policy_scale_puts_hold_at_half_and_sure_at_the_sure_level() -> None:
    p = TierPoint(0.1, 0.4)
    assert p.to_policy_scale(0.0) == 0.0
    assert p.to_policy_scale(0.1) == pytest.approx(HOLD_LEVEL)
    assert p.to_policy_scale(0.4) == pytest.approx(SURE_LEVEL)
    assert p.to_policy_scale(1.0) == pytest.approx(1.0)
    assert TierPoint(0.3, 0.3).to_policy_scale(0.3) == pytest.approx(SURE_LEVEL)


@given(
    st.floats(0.001, 0.9),
    st.floats(0.0, 0.09),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
)
def test_the_policy_scale_is_monotonic(hold: float, gap: float, a: float, b: float) -> None:
    p = TierPoint(hold, min(0.99, hold + gap))
    lo, hi = sorted((a, b))
    assert 0.0 <= p.to_policy_scale(lo) <= p.to_policy_scale(hi) <= 1.0


def test_evidence_follows_harm_and_the_heads_share() -> None:
    e = evidence({"weapons.bio": 0.3, "weapons.chem": 0.1, "attack.jailbreak": 0.9}, 0.8)
    assert e["weapons.bio"] == pytest.approx(0.8 * 0.75**0.5)
    assert e["weapons.chem"] == pytest.approx(0.8 * 0.25**0.5)
    assert "attack.jailbreak" not in e
    assert evidence({"hate": 0.0}, 0.9) == {"hate": 0.0}


def test_points_round_trip_through_model_json(tmp_path: Path, items: list[ScoredItem]) -> None:
    model = tmp_path / "m"
    model.mkdir()
    original = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    original.pop(FIELD, None)
    (model / "model.json").write_text(json.dumps(original), encoding="utf-8")
    report = choose_points(items)
    write_points(model, report)
    written = json.loads((model / "model.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in written.items() if k != FIELD} == original
    points = OperatingPoints.from_json(written[FIELD])
    assert points == report.points
    scaled = points.policy_scale(
        {"weapons.bio": 0.5, "attack.jailbreak": 0.7, "data.pii": 0.3}, 0.9
    )
    assert points.jailbreak is not None and 0.0 <= scaled["weapons.bio"] <= 1.0
    assert scaled["attack.jailbreak"] == round(points.jailbreak.to_policy_scale(0.7), 6)
    assert scaled["data.pii"] == 0.3  # other signals pass unchanged


def test_a_model_json_without_points_still_loads(tmp_path: Path) -> None:
    """Older models have no `operating_points`: they load, with None."""
    model = tmp_path / "m"
    model.mkdir()
    raw = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    raw.pop(FIELD, None)
    raw.pop("fast_path", None)  # its static.npz is not copied either
    (model / "model.json").write_text(json.dumps(raw), encoding="utf-8")
    (model / "heads.npz").write_bytes((DEFAULT_MODEL_DIR / "heads.npz").read_bytes())
    assert PromptModel.load(model).meta.operating_points is None


def test_points_missing_a_tier_are_refused() -> None:
    with pytest.raises(ModelError):
        OperatingPoints.from_json({"tiers": {"catastrophic": {"hold": 0.1, "sure": 0.2}}})


def test_the_committed_model_carries_points_chosen_on_validation() -> None:
    """A retrained model.json without them would silently fall back to one threshold."""
    raw = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    assert raw[FIELD]["split"] == "validation"
    points = OperatingPoints.from_json(raw[FIELD])
    for rule in RULES:
        point = points.tiers[rule.tier]
        assert 0.0 < point.hold <= point.sure < 1.0
        figures = raw[FIELD]["validation"]["tiers"][rule.tier.value]
        if rule.hold_recall is not None:
            assert figures["harmful_at_hold"]["all"] >= rule.hold_recall


def test_the_jailbreak_signal_gets_a_sure_point_by_the_benign_rule(items: list[ScoredItem]) -> None:
    """At most 0.25% of benign rows reach the wrapper's sure point; it maps to 0.75 and its
    hold (0.5) stays 0.5; it survives model.json."""
    from sekimori.classify.operating import JAILBREAK_AT, JAILBREAK_SURE_BENIGN
    from sekimori.taxonomy import SIGNAL_JAILBREAK

    rng = random.Random(3)
    scored = [
        ScoredItem(
            x.lang,
            x.harmful,
            x.category,
            x.ordinary,
            x.harm,
            {**x.categories, SIGNAL_JAILBREAK: rng.random() ** 3},
        )
        for x in items
    ]
    report = choose_points(scored)
    point = report.points.jailbreak
    assert point is not None and point.hold == JAILBREAK_AT <= point.sure
    benign = [x.categories[SIGNAL_JAILBREAK] for x in scored if not x.harmful]
    assert sum(j >= point.sure for j in benign) <= JAILBREAK_SURE_BENIGN * len(benign)
    assert sum(j >= point.sure - 0.01 for j in benign) > JAILBREAK_SURE_BENIGN * len(benign)
    back = OperatingPoints.from_json(json.loads(json.dumps(report.to_json())))
    assert back.jailbreak == point
    mapped = back.policy_scale({SIGNAL_JAILBREAK: point.sure}, 0.0)
    assert mapped[SIGNAL_JAILBREAK] == pytest.approx(SURE_LEVEL)
    assert back.policy_scale({SIGNAL_JAILBREAK: 0.5}, 0.0)[SIGNAL_JAILBREAK] == pytest.approx(0.5)
