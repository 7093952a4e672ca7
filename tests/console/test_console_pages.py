"""The console's pages against a real gateway (`sekimori serve` in a subprocess), over HTTP:
keys made in the console work with the OpenAI SDK and stop working when revoked, a broken
policy is refused at its line and key path while the old one keeps deciding, an applied one
decides at once, the audit pages find, open, verify and export records, and every admin
action is itself in the chain."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import httpx
import openai
import pytest

from sekimori.testing.procs import run_cli
from tests.console.conftest import ADMIN, PASSWORD, POLICY, ConsoleStack, csrf_of, log_in

pytestmark = pytest.mark.integration


def _sdk(stack: ConsoleStack, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.url + "/v1", api_key=key, max_retries=0)


def _ask(stack: ConsoleStack, key: str, text: str) -> str:
    with _sdk(stack, key) as client:
        answer = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": text}]
        )
    return answer.choices[0].message.content or ""


def _try(client: httpx.Client, csrf: str, prompt: str, tenant: str) -> str:
    page = client.post("/admin/policy/try", data={"csrf": csrf, "prompt": prompt, "tenant": tenant})
    assert page.status_code == 200, page.text
    found = re.search(r'id="try-on_prompt">(\w+)<', page.text)
    assert found, page.text
    return found.group(1)


def test_keys_policy_and_audit_through_the_console(console: ConsoleStack) -> None:
    with console.client() as client:
        assert log_in(client, ADMIN, PASSWORD).status_code == 303
        keys = client.get("/admin/keys")
        csrf = csrf_of(keys.text)
        made = client.post("/admin/keys/create", data={"csrf": csrf, "tenant": "acme"})
        key = re.search(r'id="new-key">(sk-sek-[^<]+)<', made.text)
        assert key, made.text
        key_id = key.group(1)[7:19]
        assert _ask(console, key.group(1), "hello there")
        listed = client.get("/admin/keys").text
        assert listed.count("sk-sek-") == 0  # shown once only
        row = re.search(rf'id="key-{key_id}">(.*?)</tr>', listed, re.S)
        assert row and "rpm 600 · tokens per day 1,000,000" in row[1]  # the policy's per-key limits

        # A broken policy: refused at its line and key path; the old one still decides.
        broken = POLICY.replace("crime.nonviolent: flag", "crime.nonviolent: flg")
        refused = client.post(
            "/admin/policy", data={"csrf": csrf, "text": broken, "action": "apply"}
        )
        assert refused.status_code == 400
        assert 'id="error-at">line 6<' in refused.text
        assert "tenants.acme.categories" in refused.text
        assert 'id="error-line"' in refused.text and "flg" in refused.text
        assert (console.home / "policy.yaml").read_text(encoding="utf-8") == POLICY
        assert _try(client, csrf, "how to phish the payroll team", "acme") == "flag"
        assert _try(client, csrf, "how to phish the payroll team", "other") == "block"
        # Fixed (now allowing it) and applied: decides at once, as a SIGHUP reload would.
        fixed = POLICY.replace("crime.nonviolent: flag", "crime.nonviolent: allow")
        applied = client.post(
            "/admin/policy", data={"csrf": csrf, "text": fixed, "action": "apply"}
        )
        assert applied.status_code == 200 and 'id="notice"' in applied.text
        assert (console.home / "policy.yaml").read_text(encoding="utf-8") == fixed
        assert _try(client, csrf, "how to phish the payroll team", "acme") == "allow"
        assert _try(client, csrf, "tell me about project kestrel", "acme") == "block"

        # Traffic with the new key, then the audit pages.
        assert "biological weapons" in _ask(console, key.group(1), "all about project kestrel")
        page = client.get("/admin/audit", params={"key_id": key_id, "decision": "block"})
        seqs = re.findall(r'class="seq">(\d+)<', page.text)
        assert len(seqs) == 1, page.text
        record = client.get(f"/admin/audit/{seqs[0]}")
        assert record.status_code == 200
        assert "weapons.bio" in record.text and "kestrel" not in record.text
        everything = client.get("/admin/audit", params={"key_id": key_id})
        assert 'id="key-timeline"' in everything.text and "<svg" in everything.text
        assert len(re.findall(r'class="seq">', everything.text)) == 2
        verified = client.post("/admin/audit/verify", data={"csrf": csrf})
        assert "The chain verifies" in verified.text
        exported = client.get("/admin/audit/export", params={"key_id": key_id, "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert sorted(r["decision"] for r in rows) == ["allow", "block"]
        lines = client.get(
            "/admin/audit/export", params={"key_id": key_id, "format": "jsonl"}
        ).text.splitlines()
        assert [json.loads(x)["seq"] for x in lines] == [int(r["seq"]) for r in rows]

        # Revoked in the console: the very next request is refused.
        revoked = client.post("/admin/keys/revoke", data={"csrf": csrf, "key_id": key_id})
        assert revoked.status_code == 200 and f"Key {key_id} revoked" in revoked.text
        with pytest.raises(openai.AuthenticationError):
            _ask(console, key.group(1), "hello again")

        # Every admin action above is a record of the chain, with the admin's name.
        admin = client.get("/admin/audit", params={"decision": "admin", "tenant": "(console)"})
        for action in ("login", "key.create", "policy.apply", "policy.try", "key.revoke",
                       "audit.verify", "audit.export"):  # fmt: skip
            assert f"<td>{action}</td>" in admin.text, action
        assert f"<code>{ADMIN}</code>" in admin.text


def test_overview_counts_the_traffic_and_japanese_is_one_click_away(
    console: ConsoleStack,
) -> None:
    key = console.key
    for text in ("hello", "hi", "project kestrel details"):
        _ask(console, key, text)
    with console.client() as client:
        assert log_in(client).status_code == 303
        overview = client.get("/admin")
        requests = int(re.search(r'id="requests">([\d,]+)<', overview.text)[1].replace(",", ""))
        assert requests >= 3
        assert "<svg" in overview.text and "weapons.bio" in overview.text
        switched = client.get("/admin/lang", params={"to": "ja", "next": "/admin"})
        assert switched.status_code == 303 and switched.headers["location"] == "/admin"
        japanese = client.get("/admin")
        assert "概要" in japanese.text and 'lang="ja"' in japanese.text
        assert (
            client.get("/admin/lang", params={"to": "en", "next": "//evil"}).headers["location"]
            == "/admin"
        )


@pytest.mark.slow  # a real red-team run: the answer judge loads and grades (~40 s here)
def test_a_red_team_run_started_in_the_console_finishes_with_its_report(
    console: ConsoleStack,
) -> None:
    with console.client() as client:
        assert log_in(client).status_code == 303
        csrf = csrf_of(client.get("/admin/redteam").text)
        form = {"csrf": csrf, "name": "smoke-4", "target": "compliant", "suite": "smoke",
                "mutators": "direct", "concurrency": "2", "sample": "4",
                "agreement": "0"}  # fmt: skip
        bad = client.post("/admin/redteam/start", data={**form, "name": "../escape"})
        assert bad.status_code == 400 and "name:" in bad.text
        assert client.post("/admin/redteam/start", data=form).status_code == 303
        again = client.post("/admin/redteam/start", data=form)
        assert again.status_code == 400 and "exists" in again.text
        # Polls the run's own state; the limit only bounds a hang (~40 s idle, still running
        # with 0 results after 120 s at load ~8 with the suite at nice 19).
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            page = client.get("/admin/redteam").text
            row = re.search(r'id="run-smoke-4">(.*?)</tr>', page, re.S)
            assert row
            if "done" in row[1] or "failed" in row[1]:
                break
            time.sleep(1)
        assert '<td class="state">done</td>' in row[1], row[1]
        assert '<td class="results">4</td>' in row[1] and "n=3" in row[1]
        report = client.get("/admin/redteam/smoke-4/report")
        assert report.status_code == 200 and "<html" in report.text.lower()
        assert client.get("/admin/redteam/..%2Fsecret/report").status_code == 404
        admin = client.get("/admin/audit", params={"decision": "admin"}).text
        assert "<td>redteam.start</td>" in admin


def test_a_tenant_suspended_and_resumed_in_the_console(console: ConsoleStack) -> None:
    with console.client() as client:
        assert log_in(client, ADMIN, PASSWORD).status_code == 303
        assert 'id="no-tenant-rows"' in client.get("/admin/keys").text
        added = run_cli(console.home, "tenants", "add", "beta", "--display-name", "Beta 社")
        assert added.returncode == 0, added.stderr
        key = run_cli(console.home, "keys", "create", "--tenant", "beta").stdout.split()[-1]
        page = client.get("/admin/keys")
        row = re.search(r'id="tenant-beta">(.*?)</tr>', page.text, re.S)
        assert row and "Beta 社" in row[1] and "active" in row[1] and 'id="suspend-beta"' in row[1]
        csrf = csrf_of(page.text)
        done = client.post("/admin/tenants/suspend", data={"csrf": csrf, "tenant": "beta"})
        assert done.status_code == 200 and "Tenant beta suspended" in done.text
        assert 'id="resume-beta"' in done.text
        # A key made for it meanwhile is made, with a warning; refused like the others.
        made = client.post("/admin/keys/create", data={"csrf": csrf, "tenant": "beta"})
        assert made.status_code == 200 and 'id="new-key"' in made.text
        assert "Tenant beta is suspended: this key is refused" in made.text
        chat = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
        auth = {"Authorization": f"Bearer {key}"}
        deadline = time.monotonic() + 15
        while (
            r := httpx.post(console.url + "/v1/chat/completions", json=chat, headers=auth)
        ).status_code != 403:
            assert time.monotonic() < deadline, r.text
            time.sleep(0.1)
        assert r.json()["error"]["code"] == "tenant_suspended"
        ghost = client.post("/admin/tenants/resume", data={"csrf": csrf, "tenant": "ghost"})
        assert ghost.status_code == 400 and "no tenant" in ghost.text
        resumed = client.post("/admin/tenants/resume", data={"csrf": csrf, "tenant": "beta"})
        assert "Tenant beta is active again" in resumed.text
        deadline = time.monotonic() + 15
        while (
            httpx.post(console.url + "/v1/chat/completions", json=chat, headers=auth).status_code
            != 200
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        actions = client.get("/admin/audit", params={"tenant": "(console)"}).text
        assert "tenant.suspended" in actions and "tenant.active" in actions
