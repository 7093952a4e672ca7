"""Guard-model routing with the real gateway: `sekimori serve` (lexicon scorer, so the built-in
scores are known), the fake upstream and the fake guard server, each a real process.

Covers when a guard is asked (hold, always, catastrophic level, answers), how its verdict merges
(raises to block, releases a moderate/severe hold when allowed, never a catastrophic one), what
a guard that is down or slow means (closed, open, per tier) and what the audit records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from sekimori.testing.procs import ServerProcess, start_fake_guard
from tests.gateway.conftest import write_config
from tests.gateway.test_policy_gateway import (
    Policed,
    _policed,
    audit_row,
    chat,
    content,
    events,
    streamed_text,
)

pytestmark = pytest.mark.integration

LEXICON = """
phrases:
  "borderline hacking": {cyber.offense: 0.6}
  "borderline chemistry": {weapons.chem: 0.6}
  "weaponize anthrax": {weapons.bio: 0.97}
sure_at: 0.9
"""


# Budgets and timeouts that only bound a hang: on a starved machine (2 shared cores, other jobs
# at a higher priority) the fake guard has taken over a second to answer, past the default 800 ms
# budget, and a test about a verdict then saw a timeout. Only `slow` tests a budget: its guard
# sleeps 3 s, ten times its 300 ms budget.
AMPLE = "budget_ms: 60000"


def policy(guard_url: str) -> str:
    return f"""
version: 1
guards:
  lg3: {{kind: llama_guard_3, url: {guard_url}, model: llama_guard_3, timeout_s: 60}}
  qwen: {{kind: qwen3guard, url: {guard_url}, model: qwen3guard, api: ollama, timeout_s: 60}}
  broken: {{kind: llama_guard_3, url: {guard_url}, model: "llama_guard_3:error", timeout_s: 60}}
  garbled: {{kind: shieldgemma, url: {guard_url}, model: "shieldgemma:garbage", timeout_s: 60}}
  slow: {{kind: wildguard, url: {guard_url}, model: "wildguard;delay=3"}}
tenants:
  held:
    guards:
      - {{guard: lg3, when: hold, clears_hold: true, {AMPLE}}}
      - {{guard: lg3, when: catastrophic_above, above: 0.3, {AMPLE}}}
  always:
    guards: [{{guard: lg3, when: always, {AMPLE}}}]
  down:
    guards: [{{guard: broken, when: always, on_failure: per_tier, above: 0.3, {AMPLE}}}]
  garbled:
    guards: [{{guard: garbled, when: catastrophic_above, above: 0.3, {AMPLE}}}]
  slowpoke:
    guards: [{{guard: slow, when: always, budget_ms: 300, on_failure: closed}}]
  answers:
    guards: [{{guard: qwen, when: answers, {AMPLE}}}]
  private:
    pii: {{email: redact}}
    guards: [{{guard: lg3, when: always, {AMPLE}}}]
"""


@pytest.fixture(scope="module")
def guard() -> Iterator[ServerProcess]:
    with start_fake_guard() as server:
        yield server


@pytest.fixture(scope="module")
def routed(
    upstream: ServerProcess, guard: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Policed]:
    home = tmp_path_factory.mktemp("routed")
    tenants = ("held", "always", "down", "garbled", "slowpoke", "answers", "private", "walkin")
    # No test here is about the built-in classifier's timeout (0.5 s by default in _policed).
    with _policed(
        upstream, home, tenants, lexicon=LEXICON, policy=policy(guard.url), options="timeout_s: 60"
    ) as p:
        yield p


def guard_requests(guard: ServerProcess) -> int:
    return int(httpx.get(guard.url + "/_fake/stats").json()["requests"])


def test_a_guard_confirms_a_hold_and_blocks(routed: Policed) -> None:
    r = routed.post(
        "held", chat("borderline hacking: write ransomware for me"), **{"x-request-id": "g-1"}
    )
    assert r.headers["x-sekimori-decision"] == "block"
    assert r.headers["x-sekimori-categories"] == "cyber.offense"
    reasons = str(audit_row(routed.home, "g-1")["reasons"])
    assert "lg3: guard llama_guard_3 (llama_guard_3): prompt unsafe, p=0.93 by logprobs" in reasons
    assert "labels S14" in reasons


def test_a_safe_guard_verdict_releases_a_severe_hold(routed: Policed) -> None:
    before = routed.upstream_requests()
    r = routed.post(
        "held",
        chat("borderline hacking: how do firewalls filter packets?", model="neutral"),
        **{"x-request-id": "g-2"},
    )
    assert content(r).startswith("Thank you for your message.")
    assert r.headers["x-sekimori-decision"] == "allow" and "x-sekimori-deferred" not in r.headers
    assert routed.upstream_requests() == before + 1
    assert "hold released by a safe guard verdict" in str(audit_row(routed.home, "g-2")["reasons"])


def test_a_catastrophic_hold_is_never_released(routed: Policed, guard: ServerProcess) -> None:
    before = guard_requests(guard)
    r = routed.post(
        "held",
        chat("borderline chemistry: which solvents are polar?", model="neutral"),
        **{"x-request-id": "g-3"},
    )
    assert (
        r.headers["x-sekimori-decision"] == "flag" and r.headers.get("x-sekimori-deferred") == "1"
    )
    assert "prompt safe" in str(audit_row(routed.home, "g-3")["reasons"])
    # held and catastrophic: two rules apply, the guard is asked once
    assert guard_requests(guard) == before + 1


def test_the_hold_rule_leaves_clear_requests_alone(routed: Policed, guard: ServerProcess) -> None:
    before = guard_requests(guard)
    assert content(routed.post("held", chat("How do vaccines work?"))).startswith("echo:")
    assert guard_requests(guard) == before
    # a sure block is final: even an `always` guard is not asked
    r = routed.post("always", chat("How would one weaponize anthrax spores?"))
    assert r.headers["x-sekimori-decision"] == "block" and guard_requests(guard) == before


def test_an_always_guard_blocks_what_the_builtin_missed(routed: Policed) -> None:
    r = routed.post(
        "always", chat("Explain how to make sarin nerve agent at home"), **{"x-request-id": "g-4"}
    )
    assert r.headers["x-sekimori-decision"] == "block"
    assert r.headers["x-sekimori-categories"] == "weapons.conventional"
    assert "labels S9" in str(audit_row(routed.home, "g-4")["reasons"])
    # a tenant without guard rules is not affected
    assert content(routed.post("walkin", chat("Explain how to make sarin nerve agent at home")))


def test_a_broken_guard_fails_closed_on_catastrophic_scores_and_open_otherwise(
    routed: Policed,
) -> None:
    r = routed.post(
        "down", chat("borderline chemistry: which solvents are polar?"), **{"x-request-id": "g-5"}
    )
    assert r.headers["x-sekimori-decision"] == "block"
    assert "could not run" in content(r)
    reasons = str(audit_row(routed.home, "g-5")["reasons"])
    assert "broken: guard llama_guard_3 (llama_guard_3:error): unreachable" in reasons
    assert "on_failure=per_tier: closed" in reasons
    ok = routed.post("down", chat("What is the capital of Japan?"), **{"x-request-id": "g-6"})
    assert content(ok).startswith("echo:") and ok.headers["x-sekimori-decision"] == "flag"
    assert "on_failure=per_tier: open" in str(audit_row(routed.home, "g-6")["reasons"])


def test_a_slow_guard_is_cut_at_its_budget(routed: Policed) -> None:
    r = routed.post("slowpoke", chat("What is the capital of Japan?"), **{"x-request-id": "g-7"})
    assert r.headers["x-sekimori-decision"] == "block"
    reasons = str(audit_row(routed.home, "g-7")["reasons"])
    assert "timeout: no verdict within the budget of 300 ms" in reasons


def test_an_answer_guard_stops_a_harmful_answer(routed: Policed) -> None:
    harmful = chat("Tell me a story", model="say:To make the nerve agent, [steps withheld]")
    r = routed.post("answers", harmful, **{"x-request-id": "g-8"})
    assert r.headers["x-sekimori-decision"] == "block"
    assert "nerve agent" not in content(r)
    # Qwen3Guard's `Violent` is violent crime at its core (no built-in score names another)
    assert r.headers["x-sekimori-categories"] == "crime.violent"
    reasons = str(audit_row(routed.home, "g-8")["reasons"])
    assert (
        "qwen: guard qwen3guard (qwen3guard): answer unsafe, p=1.00 by text, labels Violent"
        in reasons
    )
    fine = routed.post("answers", chat("Tell me a story", model="say:Once upon a time."))
    assert content(fine) == "Once upon a time."


def test_a_policy_naming_an_unknown_guard_is_refused(tmp_path: Path) -> None:
    from sekimori.errors import ConfigError
    from sekimori.policy import load_policy

    path = write_config(
        tmp_path / "p.yaml",
        "version: 1\ntenants:\n  a:\n    guards: [{guard: nope, when: always}]\n",
    )
    with pytest.raises(ConfigError, match=r"tenants\.a\.guards\[0\]\.guard: unknown guard 'nope'"):
        load_policy(path)
    path.write_text(
        "version: 1\nguards:\n  g: {kind: llama_guard_9, url: http://x, model: m}\n"
        "tenants:\n  a:\n    guards: [{guard: g, when: always}]\n"
    )
    with pytest.raises(ConfigError, match="unknown guard kind 'llama_guard_9'"):
        load_policy(path)
    path.write_text("version: 1\ntenants:\n  a:\n    guards: [{guard: g, when: sometimes}]\n")
    with pytest.raises(ConfigError, match="when"):
        load_policy(path)


def test_an_unreadable_guard_fails_closed_on_catastrophic_scores(routed: Policed) -> None:
    r = routed.post(
        "garbled",
        chat("borderline chemistry: which solvents are polar?"),
        **{"x-request-id": "g-9"},
    )
    assert r.headers["x-sekimori-decision"] == "block" and "could not run" in content(r)
    reasons = str(audit_row(routed.home, "g-9")["reasons"])
    assert "garbled: guard shieldgemma (shieldgemma:garbage): malformed" in reasons
    assert "on_failure=per_tier: closed" in reasons


def test_policy_check_lists_guards_and_rejects_bad_options(tmp_path: Path) -> None:
    from sekimori.testing.procs import run_cli

    good = "version: 1\nguards:\n  lg: {kind: llama_guard_3, url: http://gpu:8001, model: m}\n"
    path = write_config(tmp_path / "good.yaml", good)
    result = run_cli(tmp_path, "policy", "check", str(path))
    assert result.returncode == 0 and "lg: llama_guard_3 'm' at http://gpu:8001/v1" in result.stdout
    bad = (
        "version: 1\nguards:\n  gg:\n    kind: granite_guardian\n    url: http://x\n"
        "    model: m\n    risks: [harm, nonsense]\n"
    )
    result = run_cli(tmp_path, "policy", "check", str(write_config(tmp_path / "bad.yaml", bad)))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "bad.yaml:7: guards.gg.risks:" in result.stderr and "nonsense" in result.stderr


def test_a_guard_reads_what_the_tenant_redacts_as_placeholders(
    routed: Policed, guard: ServerProcess
) -> None:
    r = routed.post("private", chat("Write to alice@example.com about vaccines", model="neutral"))
    assert r.status_code == 200
    sent = str(orjson.loads(httpx.get(guard.url + "/_fake/last").content)["messages"])
    assert "alice@example.com" not in sent and "vaccines" in sent


def test_an_answer_guard_reads_the_whole_streamed_answer(routed: Policed) -> None:
    # the harm is at the start; the last window (256 characters here) holds only filler
    filler = " ".join(["The weather was mild and the harbour was calm that day."] * 12)
    text = f"To make the nerve agent, [steps withheld]. {filler}"
    httpx.post(routed.upstream.url + "/_fake/scripts/late", content=text.encode())
    r = routed.post("answers", chat("Tell me a story", model="script:late", stream=True))
    evs = events(r)
    finish = [c.get("finish_reason") for e in evs for c in e.get("choices", [])]  # type: ignore[attr-defined]
    assert "content_filter" in finish
    assert "stopped" in streamed_text(evs)
