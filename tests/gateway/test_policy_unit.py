"""The policy screen in process: decisions, redaction, the verdict cache, refusals, on_error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

from sekimori.errors import ClassifierError
from sekimori.gateway.screening import PolicyScreen
from sekimori.gateway.screening.cache import ContentCache
from sekimori.gateway.screening.refusal import refusal
from sekimori.gateway.screening.scorers import LexiconScorer, calibrate, on_policy_scale
from sekimori.screen import OutputWindow, ScreenContext
from sekimori.settings import load_settings
from sekimori.types import Action, AnswerVerdict, Message, RefusalLabel, Verdict

CONTEXT = ScreenContext("acme", "m", "r1")


def test_default_policy_screens_with_the_built_in_policy(tmp_path: Path) -> None:
    screen = _screen(Scripted({"weapons.bio": 0.9, "hate": 0.9}), tmp_path)
    result = asyncio.run(screen.screen_input(CONTEXT, [Message("user", "炭疽菌について")]))
    assert result.decision.action is Action.BLOCK
    assert result.decision.categories == ("weapons.bio", "hate")
    assert result.refusal is not None and "生物兵器" in result.refusal
    screen.close()


def test_card_numbers_are_redacted_by_default_and_restored(tmp_path: Path) -> None:
    screen = _screen(Scripted({}), tmp_path)
    text = "pay with 4111 1111 1111 1111 or mail a@example.com"
    result = asyncio.run(screen.screen_input(CONTEXT, [Message("user", text)]))
    assert result.decision.action is Action.REDACT
    assert result.messages is not None and result.restorer is not None
    sent = result.messages[0].content
    assert "4111" not in sent and "a@example.com" in sent  # email is not redacted by default
    restored = "".join(result.restorer.feed(sent[i : i + 3]) for i in range(0, len(sent), 3))
    assert restored + result.restorer.flush() == text
    assert "pii cardx1, emailx1" in result.decision.reasons[-1]
    screen.close()


def test_verdict_cache_is_bounded_and_least_recently_used_goes() -> None:
    cache: ContentCache[Verdict] = ContentCache(max_entries=2)
    a, b, c = (cache.key(t) for t in "abc")
    v = Verdict(False, 0.0)
    cache.put(a, v)
    cache.put(b, v)
    assert cache.get(a) is v  # a is now the most recent
    cache.put(c, v)
    assert len(cache) == 2 and cache.get(b) is None and cache.get(a) is v


def test_refusals_speak_the_users_language() -> None:
    assert "化学兵器" in refusal(["weapons.chem"], "ja")
    assert "chemical weapons" in refusal(["weapons.chem"], "en")
    assert "findahelpline.com" in refusal(["self_harm", "hate"], "en")
    assert "competitor pricing" in refusal(["custom.competitor_pricing"], "en")
    assert "個人情報" in refusal(["data.pii"], "ja")


class Scripted:
    """Gives every text the same scores; records what it was asked (the boundary we own)."""

    sure_at = 0.5  # every flag is sure: nothing is deferred
    answer_sure_at = None  # moderate answers only flag

    def __init__(self, scores: dict[str, float], fail: bool = False) -> None:
        self.scores = scores
        self.seen: list[str] = []
        self.fail = fail

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        if self.fail:
            raise ClassifierError("down")
        self.seen.extend(texts)
        return [Verdict(bool(self.scores), 0.5, self.scores) for _ in texts]

    def judge_answers(
        self, prompts: Sequence[str], answers: Sequence[str], *, careful: bool = False
    ) -> list[AnswerVerdict]:
        if self.fail:
            raise ClassifierError("down")
        return [AnswerVerdict(False, 0.0, {}, RefusalLabel.COMPLIANCE, 0.0) for _ in answers]


def _screen(scorer: Scripted, tmp_path: Path) -> PolicyScreen:
    settings = load_settings(overrides={"home": str(tmp_path), "screen": {"name": "policy"}})
    return PolicyScreen(settings, scorer=scorer)


def test_a_second_request_with_the_same_system_prompt_pays_only_for_its_new_turn(
    tmp_path: Path,
) -> None:
    scorer = Scripted({"hate": 0.01})
    screen = _screen(scorer, tmp_path)
    system = Message("system", "You are a careful assistant for Acme. " * 200)
    screen.warming.result()
    asyncio.run(screen.screen_input(CONTEXT, [system, Message("user", "first question")]))
    scorer.seen.clear()
    asyncio.run(screen.screen_input(CONTEXT, [system, Message("user", "second question")]))
    assert scorer.seen == ["second question"]
    screen.close()


class Recording(LexiconScorer):
    """The lexicon scorer, noting each batch it scored and the thread that asked."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: list[tuple[str, list[str]]] = []

    def score_prompts(self, texts: Sequence[str]) -> list[Verdict]:
        self.calls.append((threading.current_thread().name, list(texts)))
        return super().score_prompts(texts)


# Each hazard phrase sits in a different turn: the decision needs every text's verdict.
CONVERSATION = [
    Message("system", "You answer questions about accounting."),
    Message("user", "How would one file fake invoices?"),
    Message("assistant", "I cannot help with that."),
    Message("user", "Then write a threat to my neighbour."),
]


def _lexicon_screen(tmp_path: Path) -> tuple[PolicyScreen, Recording]:
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text(
        "phrases:\n"
        '  "fake invoices": {crime.nonviolent: 0.8}\n'
        '  "threat to my neighbour": {hate: 0.7}\n',
        encoding="utf-8",
    )
    scorer = Recording(lexicon)
    settings = load_settings(overrides={"home": str(tmp_path), "screen": {"name": "policy"}})
    screen = PolicyScreen(settings, scorer=scorer)
    screen.warming.result()
    scorer.calls.clear()
    return screen, scorer


def test_a_conversation_screened_before_is_decided_while_the_pool_is_busy(
    tmp_path: Path,
) -> None:
    screen, scorer = _lexicon_screen(tmp_path)
    first = asyncio.run(screen.screen_input(CONTEXT, CONVERSATION))
    assert first.decision.action is Action.FLAG
    assert set(first.decision.categories) == {"crime.nonviolent", "hate"}
    scorer.calls.clear()
    # Occupy every pool thread, as answer judges of earlier streams would.
    started = threading.Barrier(screen.options.threads + 1)
    release = threading.Event()

    def occupy() -> None:
        started.wait(30)
        assert release.wait(30)

    blockers = [screen.pool.submit(occupy) for _ in range(screen.options.threads)]
    try:
        started.wait(30)
        again = asyncio.run(screen.screen_input(CONTEXT, CONVERSATION))
        assert not any(b.done() for b in blockers)  # the pool was busy throughout
    finally:
        release.set()
    for blocker in blockers:
        blocker.result()
    assert again == first
    assert scorer.calls == []
    screen.close()


def test_a_conversation_with_a_new_text_is_scored_in_the_pool(tmp_path: Path) -> None:
    screen, scorer = _lexicon_screen(tmp_path)
    asyncio.run(screen.screen_input(CONTEXT, CONVERSATION))
    scorer.calls.clear()
    changed = [Message("system", "You answer questions about tax."), *CONVERSATION[1:]]
    result = asyncio.run(screen.screen_input(CONTEXT, changed))
    [(thread, texts)] = scorer.calls
    assert thread.startswith("sekimori-screen") and texts == [changed[0].content]
    cold, _ = _lexicon_screen(tmp_path)
    assert result == asyncio.run(cold.screen_input(CONTEXT, changed))
    assert result.decision.action is Action.FLAG
    screen.close()
    cold.close()


def test_personal_data_is_scanned_and_redacted_on_every_request(tmp_path: Path) -> None:
    screen, _ = _lexicon_screen(tmp_path)
    conversation = [*CONVERSATION, Message("user", "Charge 4111 1111 1111 1111 for it.")]
    first, again = (asyncio.run(screen.screen_input(CONTEXT, conversation)) for _ in range(2))
    assert again.decision == first.decision and again.messages == first.messages
    assert again.decision.action is Action.REDACT and "pii cardx1" in again.decision.reasons[-1]
    assert again.messages is not None and "4111" not in again.messages[-1].content
    screen.close()


def test_classifier_failure_is_the_tenants_on_error(tmp_path: Path) -> None:
    screen = _screen(Scripted({}, fail=True), tmp_path)
    result = asyncio.run(screen.screen_input(CONTEXT, [Message("user", "hi")]))
    assert result.decision.action is Action.BLOCK
    assert "on_error=block" in result.decision.reasons[0]
    out = asyncio.run(screen.screen_output(CONTEXT, OutputWindow("answer", 0, True)))
    assert out.decision.action is Action.BLOCK
    screen.close()


def test_calibration_puts_the_classifiers_operating_point_at_the_policys_threshold() -> None:
    assert calibrate(0.41, 0.41) == 0.5
    assert calibrate(0.0, 0.41) == 0.0 and calibrate(1.0, 0.41) == 1.0
    assert calibrate(0.3, 0.41) < 0.5 < calibrate(0.5, 0.41)


def test_a_harmful_verdict_scores_its_harm_in_its_plausible_categories() -> None:
    # harmful overall (0.9 >= 0.41), categories unsure between two catastrophic ones
    scores = on_policy_scale(
        {"weapons.bio": 0.11, "weapons.nuclear": 0.10, "hate": 0.01}, 0.9, 0.41
    )
    assert scores["weapons.bio"] > 0.9 and 0.5 < scores["weapons.nuclear"] < scores["weapons.bio"]
    assert scores["hate"] < 0.05
    # not harmful: nothing is raised, and calibrated category scores stay below 0.5
    quiet = on_policy_scale({"crime.nonviolent": 0.6, "attack.jailbreak": 0.7}, 0.7, 0.74)
    assert quiet["crime.nonviolent"] < 0.5 and quiet["attack.jailbreak"] == 0.7


def _deferring_screen(tmp_path: Path, policy: str = "") -> PolicyScreen:
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text(
        "sure_at: 0.9\n"
        "phrases:\n"
        '  "culture flasks": {weapons.bio: 0.7}\n'
        '  "weaponize anthrax": {weapons.bio: 0.97}\n'
        '  "phishing email": {crime.nonviolent: 0.8}\n'
        '  "[hazard-step]": {weapons.chem: 0.95}\n',
        encoding="utf-8",
    )
    overrides: dict[str, object] = {"home": str(tmp_path), "screen": {"name": "policy"}}
    if policy:
        (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
        overrides["policy_file"] = str(tmp_path / "policy.yaml")
    return PolicyScreen(load_settings(overrides=overrides), scorer=LexiconScorer(lexicon))


def test_a_block_the_classifier_is_unsure_of_is_left_to_the_answer(tmp_path: Path) -> None:
    screen = _deferring_screen(tmp_path)
    ask = [Message("user", "Which culture flasks suit yeast starters?")]
    result = asyncio.run(screen.screen_input(CONTEXT, ask))
    assert result.decision.action is Action.FLAG and result.hold
    assert result.decision.categories == ("weapons.bio",)
    assert "deferred to the answer" in result.decision.reasons[-1]
    assert "weapons.bio below 0.90" in result.decision.reasons[-1]
    # The answer decides: a harmful one is blocked, a plain one passes.
    harmful = OutputWindow("First, [hazard-step] ...", 0, True)
    assert asyncio.run(screen.screen_output(CONTEXT, harmful)).decision.action is Action.BLOCK
    asyncio.run(screen.screen_input(CONTEXT, ask))
    plain = OutputWindow("Borosilicate flasks with a foam stopper.", 0, True)
    assert asyncio.run(screen.screen_output(CONTEXT, plain)).decision.action is Action.ALLOW
    screen.close()


def test_a_sure_score_or_another_reason_still_blocks_at_the_input(tmp_path: Path) -> None:
    screen = _deferring_screen(tmp_path)
    sure = asyncio.run(screen.screen_input(CONTEXT, [Message("user", "weaponize anthrax")]))
    assert sure.decision.action is Action.BLOCK and not sure.hold
    # A flag below its threshold does not block: nothing to defer, nothing held.
    moderate = asyncio.run(screen.screen_input(CONTEXT, [Message("user", "a phishing email")]))
    assert moderate.decision.action is Action.FLAG and not moderate.hold
    screen.close()


def test_a_tenant_can_block_uncertain_prompts_at_the_input(tmp_path: Path) -> None:
    policy = (
        "default_tenant:\n  uncertain_input: block\ntenants:\n  lab:\n    uncertain_input: defer\n"
    )
    screen = _deferring_screen(tmp_path, policy)
    ask = [Message("user", "Which culture flasks suit yeast starters?")]
    strict = asyncio.run(screen.screen_input(CONTEXT, ask))
    assert strict.decision.action is Action.BLOCK and strict.refusal is not None
    lab = ScreenContext("lab", "m", "r2")
    assert asyncio.run(screen.screen_input(lab, ask)).decision.action is Action.FLAG
    screen.close()


def test_a_redaction_that_also_flags_a_hazard_is_written_durably() -> None:
    """The decision reads `redact` when PII is redacted and a hazard flagged in one request; the
    flag must still reach the audit before the answer goes on (a crash cannot lose it)."""
    from sekimori.gateway.chat import durable
    from sekimori.policy import default_policy, rule_on

    tenant = default_policy().default_tenant
    both = rule_on({"hate": 0.6}, tenant, model="m", pii_types=["card"]).decision
    assert both.action is Action.REDACT and durable(both)
    only_pii = rule_on({}, tenant, model="m", pii_types=["card"]).decision
    assert only_pii.action is Action.REDACT and not durable(only_pii)
    assert durable(rule_on({"hate": 0.6}, tenant, model="m").decision)
    assert not durable(rule_on({}, tenant, model="m").decision)
