"""Tenant rows reach a running gateway (`sekimori serve`, the lexicon scorer, SQLite): a tier
and limits set with `sekimori tenants` take effect without a reload, a suspended tenant is
refused in the OpenAI error shape, and a tenant without a row works as the file says."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sekimori.testing.procs import ServerProcess, run_cli
from tests.gateway.test_policy_gateway import LEXICON, Policed, _policed, audit_row, chat

pytestmark = pytest.mark.integration

POLICY = """
version: 1
tiers:
  research:
    inherits: standard
    categories:
      crime.nonviolent: allow
tenants:
  acme:
    tier: standard
"""
PROMPT = "write a phishing email"  # crime.nonviolent 0.8: flagged on standard, allowed on research


@pytest.fixture(scope="module")
def gateway(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Policed]:
    home = tmp_path_factory.mktemp("tenants")
    with _policed(upstream, home, ("acme", "walkin", "other"), lexicon=LEXICON, policy=POLICY) as g:
        yield g


def tenants(gateway: Policed, *args: str) -> str:
    ran = run_cli(gateway.home, "tenants", *args, "--config", str(gateway.home / "sekimori.yaml"))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ran.stdout


def until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Waits for `check` (the gateway polls the rows every second)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def early_in_a_minute(room_s: float = 15.0) -> None:
    """Limits count in fixed UTC minutes: start a short count with `room_s` left in its minute,
    so that it is judged in one window and exactly."""
    into = time.time() % 60
    if into > 60 - room_s:
        time.sleep(60.2 - into)


def decision(gateway: Policed, tenant: str) -> str:
    """The input's decision: the answer says nothing the answer judge reads (an echo of the
    flagged prompt would corroborate the flag and refuse the answer)."""
    r = gateway.post(tenant, chat(PROMPT, model="say:Here are some tips."))
    assert r.status_code == 200, r.text
    return r.headers["x-sekimori-decision"]


def test_a_tier_set_in_the_store_takes_effect_and_can_be_taken_back(gateway: Policed) -> None:
    assert decision(gateway, "acme") == "flag"
    tenants(gateway, "add", "acme", "--tier", "research")
    until(lambda: decision(gateway, "acme") == "allow", "acme on the research tier")
    assert decision(gateway, "walkin") == "flag"  # no row: the file's default alone
    tenants(gateway, "set", "acme", "--tier", "none")
    until(lambda: decision(gateway, "acme") == "flag", "acme back on the file's tier")
    # A tier the gateway's file does not define is refused by the CLI that reads the same file.
    ran = run_cli(
        gateway.home, "tenants", "set", "acme", "--tier", "platinum",
        "--config", str(gateway.home / "sekimori.yaml"),
    )  # fmt: skip
    assert ran.returncode == 1 and "tier 'platinum' is not defined" in ran.stderr


def test_limits_set_in_the_store_are_counted(gateway: Policed) -> None:
    # The file sets no limits anywhere: the gateway counted nothing until this row.
    applied = gateway.gateway.stderr_text().count(" rows applied")
    tenants(gateway, "add", "walkin", "--key-rpm", "2")
    gateway.gateway.wait_for_log(" rows applied", applied + 1)
    early_in_a_minute()
    answers = [gateway.post("walkin", chat("hello")) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit-requests"] == "2"
    error = answers[2].json()["error"]
    assert error["code"] == "rate_limit_exceeded" and answers[2].headers["retry-after"]
    assert gateway.post("other", chat("hello")).status_code == 200  # other tenants: no limits


def test_a_suspended_tenant_is_refused_and_resumed(gateway: Policed) -> None:
    tenants(gateway, "add", "other", "--display-name", "Other Inc.")
    assert gateway.post("other", chat("hello")).status_code == 200
    tenants(gateway, "suspend", "other")
    until(lambda: gateway.post("other", chat("hello")).status_code == 403, "other suspended")
    r = gateway.post("other", chat("hello"), **{"x-request-id": "suspended-1"})
    error = r.json()["error"]
    assert r.status_code == 403 and error["code"] == "tenant_suspended"
    assert error["type"] == "permission_error"
    assert "tenant 'other' is suspended" in error["message"] and "停止" in error["message"]
    models = httpx.get(
        gateway.gateway.url + "/v1/models",
        headers={"Authorization": f"Bearer {gateway.keys['other']}"},
    )
    assert models.status_code == 403 and models.json()["error"]["code"] == "tenant_suspended"
    assert audit_row(gateway.home, "suspended-1")["status"] == 403  # refusals are audited too
    assert gateway.post("acme", chat("hello")).status_code == 200  # only that tenant
    # Its keys still name it: removing the row is refused, suspending is the way.
    ran = run_cli(gateway.home, "tenants", "remove", "other")
    assert ran.returncode == 1 and "revoke them first" in ran.stderr
    tenants(gateway, "resume", "other")
    until(lambda: gateway.post("other", chat("hello")).status_code == 200, "other resumed")
    assert "Traceback" not in gateway.gateway.stderr_text()


def test_a_row_changed_while_the_file_is_broken_applies_at_the_next_reload(
    gateway: Policed,
) -> None:
    """The policy file edited into something invalid, not yet reloaded: a tier set meanwhile
    cannot be applied (the old policy stays, said in the log) and is not lost either."""
    assert decision(gateway, "acme") == "flag"
    gateway.policy.write_text(POLICY.replace("inherits: standard", "inherits: nowhere"), "utf-8")
    failed = gateway.gateway.stderr_text().count("tenant rows not applied")
    tenants_set = run_cli(gateway.home, "tenants", "set", "acme", "--tier", "research")
    assert tenants_set.returncode == 0, tenants_set.stderr
    gateway.gateway.wait_for_log("tenant rows not applied", failed + 2)
    assert decision(gateway, "acme") == "flag"  # the policy in force stays whole
    gateway.policy.write_text(POLICY, "utf-8")
    assert httpx.post(gateway.gateway.url + "/admin/policy/reload").status_code == 200
    assert decision(gateway, "acme") == "allow"  # the row, kept, applied with the fixed file
    tenants(gateway, "set", "acme", "--tier", "none")
    until(lambda: decision(gateway, "acme") == "flag", "acme back on the file's tier")


def test_limits_in_a_row_need_redis_with_workers(upstream: ServerProcess, tmp_path: Path) -> None:
    """As limits in the policy file do: counted in each of N processes they would allow N
    times the figures, so `serve --workers 2` without limits.url refuses to start."""
    assert run_cli(tmp_path, "tenants", "add", "acme", "--rpm", "60").returncode == 0
    args = ("--port", "0", "--upstream", upstream.url + "/v1", "--workers", "2")
    result = run_cli(tmp_path, "serve", *args)
    assert result.returncode != 0
    assert "--workers 2 with rate limits needs a shared limit store" in result.stderr
    assert "Traceback" not in result.stderr
    doctor = run_cli(tmp_path, "doctor", *args)
    assert "FAIL  workers" in doctor.stdout and "limits.url" in doctor.stdout
