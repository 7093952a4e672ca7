"""The console in a real browser: Playwright for Python driving Debian's Chromium (never a
downloaded one) against a real gateway. One walk through an operator's day: log in, make a key
and use it with the OpenAI SDK, break the policy and see the error at its line, fix it, try a
decision, find the audit record of the request, verify the chain, revoke the key and see the
next request fail, switch to Japanese."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import openai
import pytest

from tests.console.conftest import ADMIN, PASSWORD, POLICY, ConsoleStack

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _ask(stack: ConsoleStack, key: str, text: str) -> str:
    with openai.OpenAI(base_url=stack.url + "/v1", api_key=key, max_retries=0) as client:
        answer = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": text}]
        )
    return answer.choices[0].message.content or ""


def test_an_operators_walk_through_the_console(console: ConsoleStack, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    page = context.new_page()
    # Bounds a hang only: pages come seconds late from a starved gateway.
    page.set_default_timeout(60_000)
    errors: list[str] = []
    # Refused styles or scripts (the CSP) show here; the 4xx answers the walk asks for do not.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))

    page.goto(console.url + "/admin/keys")
    expect(page).to_have_url(f"{console.url}/admin/login?next=%2Fadmin%2Fkeys")
    page.fill("input[name=account]", ADMIN)
    page.fill("input[name=password]", "not the password")
    page.click("#login")
    expect(page.locator("#login-error")).to_be_visible()
    page.fill("input[name=account]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login")
    expect(page).to_have_url(console.url + "/admin/keys")

    # A key made here works with the OpenAI SDK.
    page.fill("#tenant", "acme")
    page.click("#create-key")
    key = page.locator("#new-key").inner_text().strip()
    key_id = key[7:19]
    assert key.startswith("sk-sek-") and _ask(console, key, "hello")

    # Broken policy: the error at its line and key path; fixed, applied, decided.
    page.click("text=Policy")
    page.fill("#policy-text", POLICY.replace("crime.nonviolent: flag", "crime.nonviolent: flg"))
    page.click("#policy-apply")
    expect(page.locator("#error-at")).to_have_text("line 6")
    expect(page.locator("#error-key")).to_contain_text("tenants.acme.categories")
    expect(page.locator("#error-line")).to_contain_text("flg")
    page.fill("#policy-text", POLICY.replace("crime.nonviolent: flag", "crime.nonviolent: block"))
    page.click("#policy-apply")
    expect(page.locator("#notice")).to_contain_text("Applied")
    page.fill("#try-prompt", "how would one phish the payroll office")
    page.fill("#try-tenant", "acme")
    page.click("#try-decide")
    expect(page.locator("#try-on_prompt")).to_have_text("block")
    expect(page.locator("#tried")).to_contain_text("crime.nonviolent")

    # The request's audit record, found by key and decision, opened; the chain verified.
    assert "biological weapons" in _ask(console, key, "tell me about project kestrel")
    page.click("text=Audit")
    page.fill("input[name=key_id]", key_id)
    page.select_option("#f-decision", "block")
    page.click("#filter")
    rows = page.locator("a.seq")
    expect(rows).to_have_count(1)
    rows.first.click()
    expect(page.locator("#record-decision")).to_have_text("block")
    expect(page.locator("body")).to_contain_text("weapons.bio")
    expect(page.locator("body")).not_to_contain_text("kestrel")
    page.click("text=Audit")
    page.click("#verify")
    expect(page.locator("#chain-result")).to_contain_text("The chain verifies")

    # Revoked here: the very next request is refused.
    page.click("text=Tenants and keys")
    page.locator(f"#key-{key_id} button").click()
    expect(page.locator("#notice")).to_contain_text(f"Key {key_id} revoked")
    with pytest.raises(openai.AuthenticationError):
        _ask(console, key, "hello again")

    # Japanese, one click away, and it stays on.
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("テナントとキー")
    page.click("text=監査ログ")
    expect(page.locator("#verify")).to_have_text("チェーンを検証")
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert not errors, errors
    context.close()
