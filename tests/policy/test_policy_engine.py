"""The policy engine: defaults, tiers, exceptions, allow-lists, access rules, PII; properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from sekimori.policy import (
    BUILTIN_TIERS,
    AccessRule,
    CatastrophicException,
    CategoryRule,
    ExampleSet,
    TenantAttributes,
    decide,
    default_policy,
)
from sekimori.policy.model import SEVERITY
from sekimori.taxonomy import CATEGORY_IDS, SIGNAL_PII, Tier, in_tier
from sekimori.types import Action, Verdict

DEFAULT = default_policy().default_tenant
TODAY = date(2026, 6, 1)
scores = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
score_maps = st.dictionaries(st.sampled_from(CATEGORY_IDS), scores, max_size=6)
actions = st.sampled_from(list(Action))


def run(scores: dict[str, float], policy=DEFAULT, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("model", "m")
    kw.setdefault("today", TODAY)
    return decide(scores, policy, **kw)


def test_no_configuration_blocks_catastrophic_and_severe_flags_moderate() -> None:
    assert run({"weapons.bio": 0.9}).action is Action.BLOCK
    assert run({"cyber.offense": 0.7}).action is Action.BLOCK
    assert run({"hate": 0.7}).action is Action.FLAG
    assert run({"attack.jailbreak": 0.7}).action is Action.FLAG
    ok = run({"weapons.bio": 0.1, "hate": 0.2})
    assert ok.action is Action.ALLOW and ok.categories == ()
    assert ok.reasons == ("no category reached its threshold",)


def test_no_configuration_redacts_secrets_cards_and_my_numbers_only() -> None:
    d = run({}, pii_types=["card", "my_number", "aws_access_key"])
    assert d.action is Action.REDACT and d.categories == (SIGNAL_PII,)
    assert "card" in d.reasons[0] and "my_number" in d.reasons[0]
    assert run({}, pii_types=["person", "email"]).action is Action.ALLOW
    assert DEFAULT.redact_types >= {"card", "my_number", "password", "jwt", "private_key"}


def test_verdicts_are_merged_by_maximum() -> None:
    verdicts = [
        Verdict(False, 0.2, {"weapons.chem": 0.2}),
        Verdict(True, 0.8, {"weapons.chem": 0.8, "hate": 0.1}),
    ]
    d = decide(verdicts, DEFAULT, model="m", today=TODAY)
    assert d.action is Action.BLOCK and d.categories == ("weapons.chem",)
    assert any("weapons.chem (chemical weapons) score 0.80 >= 0.50" in r for r in d.reasons)


def test_catastrophic_blocks_even_when_the_tenant_says_allow() -> None:
    lax = replace(
        DEFAULT, categories={**DEFAULT.categories, "weapons.bio": CategoryRule(Action.ALLOW, 0.5)}
    )
    d = run({"weapons.bio": 0.6}, lax)
    assert d.action is Action.BLOCK
    assert any("needs an explicit exception" in r for r in d.reasons)


def test_an_audited_exception_is_applied_and_recorded_in_the_reasons() -> None:
    exc = CatastrophicException(
        "weapons.bio",
        Action.FLAG,
        "BSL-3 vaccine lab, contract 2026-17",
        "CISO Sato",
        date(2026, 12, 31),
    )
    lab = replace(DEFAULT, exceptions={"weapons.bio": exc})
    d = run({"weapons.bio": 0.9}, lab)
    assert d.action is Action.FLAG
    assert any(
        "audited exception" in r and "CISO Sato" in r and "2026-12-31" in r for r in d.reasons
    )
    expired = run({"weapons.bio": 0.9}, lab, today=date(2027, 1, 1))
    assert expired.action is Action.BLOCK and any("expired" in r for r in expired.reasons)


def test_tiers_differ_where_they_should() -> None:
    research = BUILTIN_TIERS["verified-research"]
    assert run({"cyber.offense": 0.9}, research).action is Action.FLAG
    assert run({"weapons.nuclear": 0.9}, research).action is Action.BLOCK
    enterprise = BUILTIN_TIERS["enterprise"]
    assert run({}, enterprise, pii_types=["person"]).action is Action.REDACT


def test_custom_category_by_example_score() -> None:
    tenant = replace(
        DEFAULT,
        custom={"unreleased": ExampleSet("unreleased", ("Project Falcon",), 0.8, Action.BLOCK)},
    )
    assert run({"custom.unreleased": 0.85}, tenant).action is Action.BLOCK
    assert run({"custom.unreleased": 0.5}, tenant).action is Action.ALLOW
    # A custom score the tenant does not define is ignored, not an error.
    assert run({"custom.other": 0.99}, tenant).action is Action.ALLOW


def test_benign_intent_clears_what_it_covers_but_never_catastrophic() -> None:
    intent = ExampleSet(
        "drug_discovery",
        ("binding affinity of a kinase inhibitor",),
        0.85,
        covers=("crime.nonviolent", "weapons.chem"),
    )
    tenant = replace(DEFAULT, allow_intents={"drug_discovery": intent})
    cleared = run({"crime.nonviolent": 0.7, "allow.drug_discovery": 0.9}, tenant)
    assert cleared.action is Action.ALLOW
    assert any("cleared by benign intent 'drug_discovery'" in r for r in cleared.reasons)
    not_cleared = run({"weapons.chem": 0.7, "allow.drug_discovery": 0.95}, tenant)
    assert not_cleared.action is Action.BLOCK
    weak = run({"crime.nonviolent": 0.7, "allow.drug_discovery": 0.5}, tenant)
    assert weak.action is Action.FLAG


def test_benign_intent_without_covers_clears_only_the_moderate_tier() -> None:
    intent = ExampleSet("faq", ("what is phishing",), 0.8)
    tenant = replace(DEFAULT, allow_intents={"faq": intent})
    assert run({"crime.nonviolent": 0.7, "allow.faq": 0.9}, tenant).action is Action.ALLOW
    assert run({"cyber.offense": 0.7, "allow.faq": 0.9}, tenant).action is Action.BLOCK


def test_access_rules_deny_a_model_and_a_category_by_jurisdiction() -> None:
    rule = AccessRule(
        "export-control",
        jurisdictions=frozenset({"XX"}),
        deny_models=frozenset({"frontier-1"}),
        deny_categories=frozenset({"crime.nonviolent"}),
    )
    abroad = replace(DEFAULT, attributes=TenantAttributes(jurisdiction="xx"), access_rules=(rule,))
    home = replace(abroad, attributes=TenantAttributes(jurisdiction="JP"))
    d = run({}, abroad, model="frontier-1")
    assert d.action is Action.BLOCK and "jurisdiction XX" in d.reasons[0]
    assert run({}, abroad, model="small-1").action is Action.ALLOW
    assert run({"crime.nonviolent": 0.6}, abroad, model="small-1").action is Action.BLOCK
    assert run({"crime.nonviolent": 0.6}, home, model="frontier-1").action is Action.FLAG


def test_access_rule_by_organisation_and_verification() -> None:
    rule = AccessRule(
        "sanctioned",
        organisations=frozenset({"Evil Corp"}),
        verification=frozenset({"none"}),
        deny_models=frozenset({"m"}),
    )
    assert rule.matches(TenantAttributes(organisation="Evil Corp")) == "organisation Evil Corp"
    assert rule.matches(TenantAttributes(verification="none")) == "verification level none"
    assert rule.matches(TenantAttributes(jurisdiction="JP", organisation="ACME")) is None


@given(score_maps)
def test_default_policy_follows_the_tiers(s: dict[str, float]) -> None:
    d = run(s)
    hot = {c for c, v in s.items() if v >= 0.5}
    if hot & set(in_tier(Tier.CATASTROPHIC) + in_tier(Tier.SEVERE)):
        assert d.action is Action.BLOCK
    elif hot:
        assert d.action is Action.FLAG
    else:
        assert d.action is Action.ALLOW
    assert set(d.categories) == hot
    assert d.reasons


@given(st.dictionaries(st.sampled_from(CATEGORY_IDS), st.tuples(actions, scores)), score_maps)
def test_catastrophic_always_blocks_without_exception(
    rules: dict[str, tuple[Action, float]], s: dict[str, float]
) -> None:
    tenant = replace(DEFAULT, categories={c: CategoryRule(a, t) for c, (a, t) in rules.items()})
    d = run(s, tenant)
    for cat in in_tier(Tier.CATASTROPHIC):
        rule = tenant.categories.get(cat)
        if rule is not None and cat in s and s[cat] >= rule.threshold:
            assert d.action is Action.BLOCK and cat in d.categories


@given(score_maps, st.sampled_from(CATEGORY_IDS), scores)
def test_raising_a_score_never_softens_the_decision(
    s: dict[str, float], cat: str, bump: float
) -> None:
    before = run(s)
    after = run({**s, cat: max(s.get(cat, 0.0), bump)})
    assert SEVERITY[after.action] >= SEVERITY[before.action]


@given(score_maps, st.lists(st.sampled_from(["card", "my_number", "person", "jwt", "email"])))
def test_pii_never_lowers_the_action(s: dict[str, float], pii: list[str]) -> None:
    assert SEVERITY[run(s, pii_types=pii).action] >= SEVERITY[run(s).action]
