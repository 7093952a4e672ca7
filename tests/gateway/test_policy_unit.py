"""The policy screen's parts in process: policy validation, `decide`, verdict cache, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from sekimori.errors import ClassifierError, ConfigError
from sekimori.gateway.screening import PolicyScreen
from sekimori.gateway.screening.cache import VerdictCache
from sekimori.gateway.screening.policy import DEFAULT_POLICY, decide, load_policy, parse_policy
from sekimori.gateway.screening.refusal import refusal
from sekimori.screen import OutputWindow, ScreenContext
from sekimori.settings import load_settings
from sekimori.taxonomy import CATEGORIES, Tier
from sekimori.types import Action, AnswerVerdict, Message, RefusalLabel, Verdict


def test_default_policy_blocks_catastrophic_and_severe_flags_moderate() -> None:
    rules = DEFAULT_POLICY.tenant("anyone")
    for c in CATEGORIES:
        expected = Action.FLAG if c.tier is Tier.MODERATE else Action.BLOCK
        assert decide({c.id: 0.9}, rules).action is expected, c.id
        assert decide({c.id: 0.4}, rules).action is Action.ALLOW, c.id
    assert set(rules.redact) == {"card", "my_number", "secrets"}
    assert rules.on_error == "block"


def test_decide_takes_the_strongest_action_and_explains_it() -> None:
    decision = decide(
        {"hate": 0.7, "weapons.chem": 0.8, "privacy": 0.1}, DEFAULT_POLICY.tenant("t")
    )
    assert decision.action is Action.BLOCK
    assert decision.categories == ("weapons.chem", "hate")
    assert decision.reasons == ("weapons.chem 0.80>=0.50: block", "hate 0.70>=0.50: flag")


def test_tiers_inherit_and_tenants_override() -> None:
    policy = parse_policy(
        {
            "tiers": {
                "standard": {"categories": {"hate": {"action": "block"}}},
                "enterprise": {
                    "inherits": "standard",
                    "categories": {"privacy": {"action": "allow"}},
                },
            },
            "tenants": {"acme": {"tier": "enterprise", "categories": {"hate": {"threshold": 0.9}}}},
        },
        "p.yaml",
    )
    rules = policy.tenant("acme")
    assert decide({"privacy": 0.99}, rules).action is Action.ALLOW
    assert decide({"hate": 0.8}, rules).action is Action.ALLOW  # tenant threshold 0.9
    assert decide({"hate": 0.95}, rules).action is Action.BLOCK  # tier's action inherited
    assert decide({"weapons.bio": 0.6}, rules).action is Action.BLOCK


def test_a_catastrophic_exception_must_say_why_and_is_audited() -> None:
    with pytest.raises(ConfigError, match=r"p.yaml: tenants.lab.categories.*catastrophic"):
        parse_policy(
            {"tenants": {"lab": {"categories": {"weapons.bio": {"action": "flag"}}}}}, "p.yaml"
        )
    policy = parse_policy(
        {
            "tenants": {
                "lab": {
                    "categories": {
                        "weapons.bio": {"action": "flag", "exception": "vaccine programme R-12"}
                    }
                }
            }
        },
        "p.yaml",
    )
    decision = decide({"weapons.bio": 0.9}, policy.tenant("lab"))
    assert decision.action is Action.FLAG
    assert "exception: vaccine programme R-12" in decision.reasons[0]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("tenants: {a: {categories: {weapons: {action: block}}}}", "tenants.a.categories"),
        ("tenants: {a: {on_error: maybe}}", "tenants.a.on_error"),
        ("tenants: {a: {tier: gold}}", "tenants.a.tier"),
        ("tenants: {a: {colour: red}}", "tenants.a.colour"),
        ("tenants: {a: {redact: [shoe_size]}}", "shoe_size"),
        ("tiers: {x: {inherits: y}}", "tiers.x"),
        ("access: [{deny: {planets: [mars]}}]", "access.0.deny.planets"),
        ("tenants: [1, 2", "p.yaml:1"),
    ],
)
def test_bad_policies_name_the_place(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert where in str(info.value)
    assert str(path) in str(info.value)


def test_access_rules_match_attributes_and_models() -> None:
    policy = parse_policy(
        {
            "tenants": {"x": {"attributes": {"jurisdiction": "XX"}}, "y": {}},
            "access": [{"deny": {"jurisdictions": ["XX"], "models": ["frontier-*"]}}],
        },
        "p.yaml",
    )
    assert policy.denied(policy.tenant("x"), "frontier-1") is not None
    assert policy.denied(policy.tenant("x"), "small-1") is None
    assert policy.denied(policy.tenant("y"), "frontier-1") is None


def test_verdict_cache_is_bounded_and_least_recently_used_goes() -> None:
    cache = VerdictCache(max_entries=2)
    a, b, c = (cache.key(t) for t in "abc")
    v = Verdict(False, 0.0)
    cache.put(a, v)
    cache.put(b, v)
    assert cache.get(a) is v  # a is now the most recent
    cache.put(c, v)
    assert len(cache) == 2 and cache.get(b) is None and cache.get(a) is v


def test_refusals_speak_the_users_language() -> None:
    rules = DEFAULT_POLICY.tenant("t")
    assert "化学兵器" in refusal(["weapons.chem"], rules, "ja")
    assert "chemical weapons" in refusal(["weapons.chem"], rules, "en")
    assert "findahelpline.com" in refusal(["self_harm", "hate"], rules, "en")


class CountingScorer:
    """Scores nothing harmful; counts the texts it is asked to score (the boundary we own)."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[str] = []
        self.fail = fail

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        if self.fail:
            raise ClassifierError("down")
        self.seen.extend(texts)
        return [Verdict(False, 0.01, {"hate": 0.01}) for _ in texts]

    def judge_answers(self, prompts: Sequence[str], answers: Sequence[str]) -> list[AnswerVerdict]:
        if self.fail:
            raise ClassifierError("down")
        return [AnswerVerdict(False, 0.0, {}, RefusalLabel.COMPLIANCE, 0.0) for _ in answers]


def _screen(scorer: CountingScorer, tmp_path: Path) -> PolicyScreen:
    settings = load_settings(overrides={"home": str(tmp_path), "screen": {"name": "policy"}})
    return PolicyScreen(settings, scorer=scorer)


def test_a_second_request_with_the_same_system_prompt_pays_only_for_its_new_turn(
    tmp_path: Path,
) -> None:
    scorer = CountingScorer()
    screen = _screen(scorer, tmp_path)
    system = Message("system", "You are a careful assistant for Acme. " * 200)
    context = ScreenContext("acme", "m", "r1")
    screen.warming.result()
    asyncio.run(screen.screen_input(context, [system, Message("user", "first question")]))
    scorer.seen.clear()
    asyncio.run(screen.screen_input(context, [system, Message("user", "second question")]))
    assert scorer.seen == ["second question"]
    screen.close()


def test_classifier_failure_is_the_tenants_on_error(tmp_path: Path) -> None:
    screen = _screen(CountingScorer(fail=True), tmp_path)
    context = ScreenContext("acme", "m", "r1")
    result = asyncio.run(screen.screen_input(context, [Message("user", "hi")]))
    assert result.decision.action is Action.BLOCK
    assert "on_error=block" in result.decision.reasons[0]
    out = asyncio.run(screen.screen_output(context, OutputWindow("answer", 0, True)))
    assert out.decision.action is Action.BLOCK
    screen.close()
