"""Three outcomes per tier: sure blocks, unsure holds, below allows; wrappers with hazards block."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sekimori.errors import ConfigError
from sekimori.policy import CategoryRule, decide, default_policy, parse_policy, rule_on
from sekimori.taxonomy import CATEGORY_IDS, SIGNAL_JAILBREAK
from sekimori.types import Action

DEFAULT = default_policy().default_tenant
TODAY = date(2026, 6, 1)
SURE = 0.75


def ruling(scores: dict[str, float], policy=DEFAULT, sure_at: float | None = SURE, **kw):  # type: ignore[no-untyped-def]
    return rule_on(scores, policy, model="m", today=TODAY, sure_at=sure_at, **kw)


@pytest.mark.parametrize("category", ["weapons.bio", "military.targeting", "cyber.offense"])
def test_an_unsure_block_is_held_and_a_sure_one_blocks(category: str) -> None:
    held = ruling({category: 0.6})
    assert held.decision.action is Action.FLAG and held.held == (category,)
    assert any("held: deferred to the answer" in r for r in held.decision.reasons)
    sure = ruling({category: 0.8})
    assert sure.decision.action is Action.BLOCK and sure.held == ()
    below = ruling({category: 0.4})
    assert below.decision.action is Action.ALLOW and below.held == ()


def test_without_a_sure_level_nothing_is_held() -> None:
    """Answers (and `decide`) know no certainty: a block is a block."""
    assert ruling({"weapons.chem": 0.6}, sure_at=None).decision.action is Action.BLOCK
    assert decide({"weapons.chem": 0.6}, DEFAULT, model="m").action is Action.BLOCK


def test_an_answer_is_never_held_but_a_sure_moderate_answer_blocks() -> None:
    """`hold=False` (answers): an unsure block still blocks; `when_sure` applies at `sure_at`."""
    unsure = ruling({"weapons.chem": 0.6}, hold=False)
    assert unsure.decision.action is Action.BLOCK and unsure.held == ()
    assert ruling({"hate": 0.8}, hold=False).decision.action is Action.BLOCK
    assert ruling({"hate": 0.6}, hold=False).decision.action is Action.FLAG
    assert ruling({"hate": 0.8}, sure_at=None, hold=False).decision.action is Action.FLAG


def test_uncertain_input_block_turns_a_hold_into_a_block() -> None:
    policy = parse_policy("default_tenant:\n  uncertain_input: block\n").default_tenant
    r = ruling({"weapons.nuclear": 0.6}, policy)
    assert r.decision.action is Action.BLOCK and r.held == ()
    assert any("uncertain_input=block" in x for x in r.decision.reasons)


def test_a_sure_block_elsewhere_is_not_held() -> None:
    r = ruling({"weapons.bio": 0.6, "crime.violent": 0.9})
    assert r.decision.action is Action.BLOCK and r.held == ()
    assert r.decision.categories[0] == "crime.violent"


def test_pii_that_blocks_is_not_held() -> None:
    policy = parse_policy("default_tenant:\n  pii: {email: block}\n").default_tenant
    r = ruling({"weapons.bio": 0.6}, policy, pii_types=["email"])
    assert r.decision.action is Action.BLOCK and r.held == ()


def test_moderate_flags_when_unsure_and_blocks_when_sure() -> None:
    assert ruling({"hate": 0.6}).decision.action is Action.FLAG
    assert ruling({"hate": 0.6}).held == ()  # a flag is not a hold
    sure = ruling({"crime.nonviolent": 0.8})
    assert sure.decision.action is Action.BLOCK
    assert any("sure" in x for x in sure.decision.reasons)


@pytest.mark.parametrize("category", ["weapons.bio", "crime.violent", "crime.nonviolent"])
def test_a_score_sure_only_where_it_may_not_be_holds(category: str) -> None:
    """A score that reaches the sure level only in a passage's sentence out of its frame
    (`Verdict.certain` lower) holds the request for the answer; a moderate one too."""
    blocked = ruling({category: 0.8})
    assert blocked.decision.action is Action.BLOCK and blocked.held == ()
    held = ruling({category: 0.8}, sure_scores={category: 0.3})
    assert held.decision.action is Action.FLAG and held.held == (category,)
    assert any("held: deferred to the answer" in r for r in held.decision.reasons)
    # where it may be sure, nothing changes
    assert ruling({category: 0.8}, sure_scores={category: 0.8}).decision == blocked.decision
    # a sure wrapper does not make its unsure hazard sure: held as without it
    wrapped = ruling(
        {category: 0.8, SIGNAL_JAILBREAK: 0.9}, sure_scores={category: 0.3, SIGNAL_JAILBREAK: 0.9}
    )
    assert wrapped.decision.action is Action.FLAG and wrapped.held == (category,)


def test_a_wrapper_sure_only_where_it_may_not_be_leaves_its_hazard_to_the_hold() -> None:
    """A jailbreak score that is sure only in a passage's sentence read out of its frame is not
    a sure wrapper: its unsure hazard is held, as without the wrapper."""
    scores = {"weapons.bio": 0.55, SIGNAL_JAILBREAK: 0.9}
    r = ruling(scores, sure_scores={"weapons.bio": 0.55, SIGNAL_JAILBREAK: 0.4})
    assert r.decision.action is Action.FLAG and r.held == ("weapons.bio",)
    assert not any("wrapped_hazard" in x for x in r.decision.reasons)
    sure_wrapper = ruling(scores, sure_scores=scores)
    assert any("wrapped_hazard" in x for x in sure_wrapper.decision.reasons)
    assert sure_wrapper.held == ("weapons.bio",)  # its hazard is unsure all the same


def test_a_bare_action_in_yaml_applies_whatever_the_certainty() -> None:
    """Backward compatible: `hate: flag` written before tiers still only flags."""
    policy = parse_policy("default_tenant:\n  categories: {hate: flag}\n").default_tenant
    assert ruling({"hate": 0.95}, policy).decision.action is Action.FLAG
    explicit = parse_policy(
        "default_tenant:\n  categories:\n    hate: {action: flag, when_sure: block}\n"
    ).default_tenant
    assert ruling({"hate": 0.95}, explicit).decision.action is Action.BLOCK
    assert ruling({"hate": 0.6}, explicit).decision.action is Action.FLAG


@pytest.mark.parametrize("hazard", ["weapons.bio", "cyber.offense", "privacy"])
def test_a_jailbreak_wrapper_with_an_unsure_hazard_holds_and_with_a_sure_one_blocks(
    hazard: str,
) -> None:
    """A sure wrapper is common in ordinary traffic (a system prompt that sets a role), and so
    is an unsure hazard signal at the hold point: together they are held for the answer, even a
    moderate hazard that alone is only flagged. A sure hazard with it blocks; so does every
    wrapped hazard where the tenant refuses what is unsure."""
    r = ruling({SIGNAL_JAILBREAK: 0.99, hazard: 0.55})
    assert r.decision.action is Action.FLAG and r.held == (hazard,)
    assert any("wrapped_hazard" in x and "every hazard unsure" in x for x in r.decision.reasons)
    sure = ruling({SIGNAL_JAILBREAK: 0.99, hazard: 0.8, "hate": 0.55})
    assert sure.decision.action is Action.BLOCK and sure.held == ()
    assert "hate" in sure.decision.categories  # the wrapper makes its other hazards sure too
    strict = parse_policy("default_tenant:\n  uncertain_input: block\n").default_tenant
    blocked = ruling({SIGNAL_JAILBREAK: 0.99, hazard: 0.55}, strict)
    assert blocked.decision.action is Action.BLOCK and blocked.held == ()
    # Either alone is what it was: a flag for the wrapper, a hold or flag for the hazard.
    assert ruling({SIGNAL_JAILBREAK: 0.99, hazard: 0.3}).decision.action is Action.FLAG
    assert ruling({hazard: 0.55}).decision.action is Action.FLAG


def test_an_unsure_wrapper_leaves_its_hazard_to_the_hold() -> None:
    """Below the sure level a wrapper (a system prompt, a role-play set-up) only flags, and
    an unsure catastrophic hazard with it is held, not blocked; without a sure level the
    wrapper's own threshold is enough."""
    r = ruling({SIGNAL_JAILBREAK: 0.6, "weapons.bio": 0.55})
    assert r.decision.action is Action.FLAG and r.held == ("weapons.bio",)
    assert not any("wrapped_hazard" in x for x in r.decision.reasons)
    blocked = ruling({SIGNAL_JAILBREAK: 0.6, "weapons.bio": 0.55}, sure_at=None)
    assert blocked.decision.action is Action.BLOCK
    assert any("wrapped_hazard" in x for x in blocked.decision.reasons)


def test_wrapped_hazard_is_a_tenant_setting() -> None:
    policy = parse_policy(
        "tiers:\n  lab: {wrapped_hazard: flag}\ntenants:\n  a: {tier: lab}\n"
    ).for_tenant("a")
    assert policy.wrapped_hazard is Action.FLAG
    r = ruling({SIGNAL_JAILBREAK: 0.99, "weapons.bio": 0.55}, policy)
    assert r.decision.action is Action.FLAG and r.held == ("weapons.bio",)


def test_bad_when_sure_names_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_policy("default_tenant:\n  categories:\n    hate: {action: flag, when_sure: nope}\n")
    assert "when_sure" in str(err.value)


scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
score_maps = st.dictionaries(st.sampled_from([*CATEGORY_IDS, SIGNAL_JAILBREAK]), scores, max_size=6)


@given(score_maps, st.floats(min_value=0.5, max_value=1.0), st.floats(0.0, 1.0))
def test_holding_only_ever_softens_a_block_to_a_flag(
    m: dict[str, float], sure: float, part: float
) -> None:
    plain = decide(m, DEFAULT, model="m", today=TODAY)
    # the scores that may be sure: some of them lower (a part's scores out of its frame)
    certain = {c: s * part if i % 2 else s for i, (c, s) in enumerate(m.items())}
    r = ruling(m, sure_at=sure, sure_scores=certain)
    if r.held:
        assert r.decision.action is Action.FLAG
        assert all(certain[c] < sure for c in r.held)
        # a block held, or a moderate score sure only in a part: held instead of blocked
        assert plain.action is Action.BLOCK or all(m[c] >= sure for c in r.held)
    elif plain.action is Action.BLOCK:
        # or a wrapper the sure level finds unsure: its moderate hazard only flags
        unsure_wrapper = certain.get(SIGNAL_JAILBREAK, 0.0) < sure
        assert r.decision.action is Action.BLOCK or unsure_wrapper
    else:  # moderate sure scores may block; nothing turns milder
        assert r.decision.action in (plain.action, Action.BLOCK)


def test_copyright_is_flagged_by_default_even_when_sure() -> None:
    """Blocking at the copyright detector's sure point refused more benign prompts than it
    stopped requests (bench/gateway/EFFECT.md): by default it flags; a tenant may block."""
    sure = ruling({"ip.copyright": 0.9})
    assert sure.decision.action is Action.FLAG and sure.held == ()
    assert ruling({"privacy": 0.9}).decision.action is Action.BLOCK  # the rest of the tier
    strict = parse_policy(
        "default_tenant:\n  categories:\n    ip.copyright: {action: flag, when_sure: block}\n"
    ).default_tenant
    assert ruling({"ip.copyright": 0.9}, strict).decision.action is Action.BLOCK


def test_a_category_with_its_own_input_sure_point_holds_below_it() -> None:
    """`input_sure_at` raises one category's sure point on the input: a score between the
    screen's sure level and it is held, not blocked (a moderate one held, not flagged); at it,
    it blocks. Other categories, and answers (`hold=False`), keep the screen's level."""
    policy = parse_policy(
        "default_tenant:\n  categories:\n"
        "    cyber.offense: {action: block, input_sure_at: 0.9}\n"
        "    hate: {action: flag, when_sure: block, input_sure_at: 0.9}\n"
    ).default_tenant
    held = ruling({"cyber.offense": 0.8}, policy)
    assert held.decision.action is Action.FLAG and held.held == ("cyber.offense",)
    assert any("cyber.offense below 0.90" in r for r in held.decision.reasons)
    assert ruling({"cyber.offense": 0.95}, policy).decision.action is Action.BLOCK
    assert ruling({"cyber.offense": 0.8}).decision.action is Action.BLOCK  # the default's
    assert ruling({"hate": 0.8}, policy).decision.action is Action.FLAG  # flagged, unsure
    assert ruling({"hate": 0.95}, policy).decision.action is Action.BLOCK
    # another category with the screen's level still blocks beside it
    both = ruling({"cyber.offense": 0.8, "crime.violent": 0.8}, policy)
    assert both.decision.action is Action.BLOCK and both.held == ()
    # the sure-eligible score decides, as for the screen's level
    part = ruling({"cyber.offense": 0.95}, policy, sure_scores={"cyber.offense": 0.85})
    assert part.held == ("cyber.offense",)
    # answers are ruled on the answer judge's sure level, not the input's point
    assert ruling({"hate": 0.8}, policy, hold=False).decision.action is Action.BLOCK
    # a wrapper's hazard is sure only at the category's own point
    wrapped = ruling({SIGNAL_JAILBREAK: 0.99, "cyber.offense": 0.8}, policy)
    assert wrapped.decision.action is Action.FLAG and wrapped.held == ("cyber.offense",)
    assert ruling({SIGNAL_JAILBREAK: 0.99, "cyber.offense": 0.95}, policy).held == ()


@pytest.mark.parametrize("category", ["weapons.bio", "military.targeting", SIGNAL_JAILBREAK])
def test_input_sure_at_is_refused_on_catastrophic_categories_and_signals(category: str) -> None:
    with pytest.raises(ConfigError, match="input_sure_at"):
        rule = "{action: block, input_sure_at: 0.9}"
        parse_policy(f"default_tenant:\n  categories:\n    {category}: {rule}\n")


def test_the_engine_keeps_the_screens_sure_level_for_catastrophic_categories() -> None:
    """Built in code past the loader, a catastrophic rule's own point is ignored: sure blocks."""
    rule = CategoryRule(Action.BLOCK, 0.5, None, 0.95)
    policy = replace(DEFAULT, categories={**DEFAULT.categories, "weapons.bio": rule})
    r = ruling({"weapons.bio": 0.8}, policy)
    assert r.decision.action is Action.BLOCK and r.held == ()
