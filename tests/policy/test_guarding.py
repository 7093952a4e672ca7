"""The guard merge rules (`sekimori.policy.guarding`), pure: verdicts made by hand."""

from __future__ import annotations

from sekimori.guards import GuardLabel, GuardStatus, GuardVerdict, Target
from sekimori.policy import default_policy, rule_on
from sekimori.policy.guarding import GuardedDecision, merge, wanted
from sekimori.policy.model import GuardRule, GuardWhen, OnFailure
from sekimori.types import Action

TENANT = default_policy().default_tenant
SURE = 0.9


def verdict(
    harmful: bool | None, *labels: GuardLabel, status: GuardStatus = GuardStatus.OK
) -> GuardVerdict:
    return GuardVerdict(
        guard="llama_guard_3",
        model="lg3-test",
        target=Target.PROMPT,
        status=status,
        harmful=harmful,
        score=None if harmful is None else (0.9 if harmful else 0.1),
        labels=labels,
        detail="" if status is GuardStatus.OK else "down",
    )


def run(scores: dict[str, float], rule: GuardRule, v: GuardVerdict) -> GuardedDecision:
    ruling = rule_on(scores, TENANT, model="m", sure_at=SURE)
    return merge(
        [(rule, v)],
        decision=ruling.decision,
        held=ruling.held,
        scores=scores,
        tenant=TENANT,
        model="m",
        sure_at=SURE,
    )


def test_when_each_rule_asks() -> None:
    scores = {"weapons.chem": 0.35}
    hold = GuardRule("g", GuardWhen.HOLD)
    cat = GuardRule("g", GuardWhen.CATASTROPHIC_ABOVE, above=0.3)
    answers = GuardRule("g", GuardWhen.ANSWERS)
    assert wanted(hold, scores, held=True, answer=False)
    assert not wanted(hold, scores, held=False, answer=False)
    assert wanted(cat, scores, held=False, answer=False)
    assert not wanted(cat, {"weapons.chem": 0.2, "hate": 0.9}, held=False, answer=False)
    assert wanted(answers, {}, held=False, answer=True)
    assert not wanted(answers, {}, held=False, answer=False)
    assert not wanted(GuardRule("g", GuardWhen.ALWAYS), {}, held=False, answer=True)


def test_unsafe_raises_to_a_sure_block_using_the_builtin_hint() -> None:
    s9 = GuardLabel("S9", ("weapons.conventional", "weapons.bio", "weapons.chem"), 0.9)
    out = run({"weapons.chem": 0.6}, GuardRule("g", GuardWhen.HOLD), verdict(True, s9))
    assert out.decision.action is Action.BLOCK and out.held == ()
    assert out.decision.categories == ("weapons.chem",) and out.scores["weapons.chem"] == 1.0
    assert any(
        "g: guard llama_guard_3 (lg3-test): prompt unsafe" in r for r in out.decision.reasons
    )


def test_unsafe_with_no_category_is_flagged_not_blocked() -> None:
    out = run({}, GuardRule("g", GuardWhen.ALWAYS), verdict(True, GuardLabel("S8", (), 0.9)))
    assert out.decision.action is Action.FLAG
    assert any("no taxonomy category" in r for r in out.decision.reasons)


def test_safe_releases_only_a_non_catastrophic_hold_when_allowed() -> None:
    clears = GuardRule("g", GuardWhen.HOLD, clears_hold=True)
    released = run({"cyber.offense": 0.6}, clears, verdict(False))
    assert released.decision.action is Action.ALLOW and released.held == ()
    kept = run({"weapons.bio": 0.6}, clears, verdict(False))
    assert kept.decision.action is Action.FLAG and kept.held == ("weapons.bio",)
    not_allowed = run({"cyber.offense": 0.6}, GuardRule("g", GuardWhen.HOLD), verdict(False))
    assert not_allowed.held == ("cyber.offense",)


def test_failures_close_or_open_by_rule() -> None:
    down = verdict(None, status=GuardStatus.UNREACHABLE)
    per_tier = GuardRule("g", GuardWhen.ALWAYS, above=0.3, on_failure=OnFailure.PER_TIER)
    closed = run({"weapons.nuclear": 0.4}, per_tier, down)
    assert closed.failed_closed and closed.decision.action is Action.BLOCK
    opened = run({"hate": 0.4}, per_tier, down)
    assert not opened.failed_closed and opened.decision.action is Action.FLAG
    always_closed = run({}, GuardRule("g", GuardWhen.ALWAYS, on_failure=OnFailure.CLOSED), down)
    assert always_closed.decision.action is Action.BLOCK
    assert always_closed.decision.categories == ("guard.unavailable",)
    never = run(
        {"weapons.bio": 0.99}, GuardRule("g", GuardWhen.ALWAYS, on_failure=OnFailure.OPEN), down
    )
    # open never lowers what the built-in decided
    assert never.decision.action is Action.BLOCK and not never.failed_closed
