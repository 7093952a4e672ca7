"""Watch actions through the policy: the rules per tier and tenant, and how the limiter applies
a sanction (in process; `test_watch_gateway.py` drives a campaign through the real gateway)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from sekimori.errors import ConfigError
from sekimori.gateway.chat import Exchange, RequestIds, mint_id
from sekimori.gateway.errors import HttpError
from sekimori.gateway.keys import Principal
from sekimori.gateway.limiting import Limiter
from sekimori.gateway.parse import ChatRequest
from sekimori.limits.quota import Quota
from sekimori.policy.load import parse_policy
from sekimori.settings import load_settings
from sekimori.store.sanctions import SanctionRow
from sekimori.store.sketches import WATCH_DB, SqliteSketchStore
from sekimori.types import Message, WatchAction
from sekimori.watch.actions import Sanctions

POLICY = """
version: 1
tiers:
  partner:
    watch:
      actions: {distillation: alert, extraction: suspend}
      throttle: {rpm: 3}
      webhook: https://hooks.example/sekimori
tenants:
  acme:
    tier: partner
    watch: {actions: {extraction: hold_for_review}, for_s: 60}
"""
REQUEST = ChatRequest(
    model="m", stream=False, include_usage=False, messages=(Message("user", "hi"),), body={}
)


def test_rules_inherit_from_the_tier_detector_by_detector() -> None:
    policy = parse_policy(POLICY)
    acme = policy.for_tenant("acme").watch
    assert acme.action("extraction", WatchAction.ALERT) is WatchAction.HOLD
    assert acme.action("distillation", WatchAction.THROTTLE) is WatchAction.ALERT
    # A detector the policy does not name: what the detector proposed.
    assert acme.action("decomposition", WatchAction.HOLD) is WatchAction.HOLD
    assert (acme.throttle, acme.for_s, acme.webhook) == (
        Quota(rpm=3),
        60,
        "https://hooks.example/sekimori",
    )
    assert policy.for_tenant("walk-in").watch.throttle == Quota(rpm=10)


def test_a_bad_watch_rule_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"watch\.actions\.extraction"):
        parse_policy("tenants: {acme: {watch: {actions: {extraction: ban}}}}")
    path = tmp_path / "policy.yaml"
    path.write_text("tenants: {acme: {watch: {actions: {distilation: alert}}}}", encoding="utf-8")
    with pytest.raises(ConfigError, match="names no detector 'distilation'; known: "):
        Limiter(load_settings(overrides={"home": tmp_path, "policy_file": path}))


def _exchange(key: str) -> Exchange:
    return Exchange(Principal("acme", key), REQUEST, RequestIds(mint_id()), time.perf_counter())


def test_the_limiter_applies_each_sanction_to_its_key_only(tmp_path: Path) -> None:
    sanctions = Sanctions()
    limiter = Limiter(load_settings(overrides={"home": tmp_path}), sanctions=sanctions)
    now = time.time()

    def impose(key: str, action: WatchAction, until: float = now + 60) -> None:
        quota = {"rpm": 1} if action == WatchAction.THROTTLE else {}
        row = SanctionRow(key, "acme", action, now, until, "extraction", "probing", "探り", quota)
        sanctions.impose(row, now)

    impose("aaaaaaaaaaaa", WatchAction.SUSPEND)
    impose("bbbbbbbbbbbb", WatchAction.HOLD)
    impose("cccccccccccc", WatchAction.THROTTLE)
    impose("dddddddddddd", WatchAction.SUSPEND, until=now + 0.5)
    # A weaker sanction does not replace a stronger one in force.
    impose("aaaaaaaaaaaa", WatchAction.THROTTLE)
    time.sleep(0.5)

    async def go() -> None:
        with pytest.raises(HttpError) as suspended:
            await limiter.admit(_exchange("aaaaaaaaaaaa"))
        assert (suspended.value.status, suspended.value.code) == (403, "key_suspended")
        assert "probing" in suspended.value.message and "探り" in suspended.value.message
        held = _exchange("bbbbbbbbbbbb")
        assert await limiter.admit(held) is None and held.watch_hold is not None
        first = _exchange("cccccccccccc")
        assert await limiter.admit(first) is not None
        assert any("watch: key throttled" in n for n in first.notes)
        with pytest.raises(HttpError) as throttled:
            for _ in range(2):  # a minute may turn once between two requests
                await limiter.admit(_exchange("cccccccccccc"))
        assert throttled.value.status == 429
        lapsed, other = _exchange("dddddddddddd"), _exchange("eeeeeeeeeeee")
        assert await limiter.admit(lapsed) is None and await limiter.admit(other) is None
        assert lapsed.notes == other.notes == [] and other.watch_hold is None

    asyncio.run(go())
    assert len(sanctions) == 3  # the lapsed one is forgotten


def _row(key: str, action: WatchAction, since: float, for_s: float) -> SanctionRow:
    return SanctionRow(key, "acme", action, since, since + for_s, "distillation", "d", "蒸留", {})


def test_two_processes_views_meet_in_the_store(tmp_path: Path) -> None:
    """What one gateway process imposes, another enforces after its next refresh; a lift
    reaches both."""
    store = SqliteSketchStore(tmp_path / WATCH_DB)
    mine, theirs = Sanctions(store), Sanctions(store)
    now = time.time()
    mine.impose(_row("k1", WatchAction.SUSPEND, now, 60), now)
    assert mine.get("k1", now) is not None and theirs.get("k1", now) is None
    theirs.refresh(now)
    sanction = theirs.get("k1", now)
    assert sanction is not None and sanction.action == "suspend"
    assert store.lift("k1", now) is not None
    mine.refresh(now)
    theirs.refresh(now)
    assert mine.get("k1", now) is None and theirs.get("k1", now) is None
    store.close()
