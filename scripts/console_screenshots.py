"""Screenshots of every console page in English and Japanese -> docs/console/*.png.

    .venv/bin/python scripts/console_screenshots.py

Starts the fake upstream and the real gateway (policy screen with the lexicon scorer, a policy
file, an admin token) in a scratch data directory holding a synthetic day of audit history
(`sekimori.testing.audit_history`, model `synthetic`), sends a few real requests through it,
then drives Debian's Chromium with Playwright at a laptop's 1366x768 and saves one PNG a page
and language. Look at each before committing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import openai
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.home import AUDIT_DB
from sekimori.store.sqlite_keys import SqliteKeyStore
from sekimori.testing.audit_history import history
from sekimori.testing.procs import start_fake_upstream, start_gateway

OUT = Path(__file__).resolve().parent.parent / "docs" / "console"
TOKEN = "screenshot-token-0123456789"
LEXICON = 'phrases:\n  "project kestrel": {weapons.bio: 0.95}\n  "phish the payroll": ' \
    "{crime.nonviolent: 0.93}\nsure_at: 0.9\n"  # fmt: skip
POLICY = """version: 1
tenants:
  acme:
    tier: standard
    categories:
      crime.nonviolent: flag
  kaisha-jp:
    tier: enterprise
"""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _shoot(page: Page, name: str, lang: str) -> None:
    for attempt in range(3):  # Chromium now and then fails a capture on a loaded machine
        try:
            page.screenshot(path=str(OUT / f"{name}-{lang}.png"), full_page=False)
            return
        except PlaywrightError:
            if attempt == 2:
                raise
            time.sleep(1)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sekimori-shots-") as scratch:
        home = Path(scratch)
        (home / "lexicon.yaml").write_text(LEXICON, encoding="utf-8")
        (home / "policy.yaml").write_text(POLICY, encoding="utf-8")
        keys = SqliteKeyStore(home / "keys.db")
        made = [keys.create(t) for t in ("acme", "acme", "kaisha-jp", "research", "support")]
        keys.close()
        store = SqliteAuditStore(home / AUDIT_DB)
        pairs = [(k.info.tenant, k.info.key_id) for k in made]
        store.append(list(history(6000, pairs, time.time() - 600, days=1.0)))
        store.close()
        with start_fake_upstream() as upstream:
            (home / "sekimori.yaml").write_text(
                f"upstreams:\n  fake: {{url: {upstream.url}}}\nscreen:\n  name: policy\n"
                f"  options: {{scorer: lexicon, lexicon: {home / 'lexicon.yaml'}}}\n"
                f"policy_file: {home / 'policy.yaml'}\nserver: {{admin_token: {TOKEN}}}\n",
                encoding="utf-8",
            )
            with start_gateway(home, "--config", str(home / "sekimori.yaml")) as gateway:
                client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=made[0].key)
                for text in ("hello", "tell me about project kestrel", "summarise this memo"):
                    client.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": text}]
                    )
                client.close()
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                    for lang in ("en", "ja"):
                        context = browser.new_context(viewport={"width": 1366, "height": 768})
                        page = context.new_page()
                        page.goto(gateway.url + "/admin/login")
                        if lang == "ja":
                            page.click("#lang-switch")
                        _shoot(page, "login", lang)
                        page.fill("input[name=password]", TOKEN)
                        page.click("#login")
                        _shoot(page, "overview", lang)
                        page.goto(gateway.url + "/admin/keys")
                        page.fill("#tenant", "support")
                        page.click("#create-key")
                        _shoot(page, "keys", lang)
                        page.goto(gateway.url + "/admin/policy")
                        page.fill("#try-prompt", "how would one phish the payroll office")
                        page.fill("#try-tenant", "acme")
                        page.click("#try-decide")
                        _shoot(page, "policy-try", lang)
                        page.fill("#policy-text", POLICY.replace("flag", "flg"))
                        page.click("#policy-check")
                        _shoot(page, "policy-error", lang)
                        page.goto(gateway.url + "/admin/audit?decision=block")
                        _shoot(page, "audit", lang)
                        page.locator("a.seq").first.click()
                        _shoot(page, "record", lang)
                        page.goto(gateway.url + "/admin/audit")
                        page.click("#verify")
                        _shoot(page, "verify", lang)
                        page.goto(gateway.url + "/admin/redteam")
                        if lang == "en":  # one small run of the measuring device, shown done
                            page.fill("#run-name", "smoke-sample")
                            page.fill("#run-sample", "6")
                            page.fill("input[name=agreement]", "0")
                            page.click("#run-start")
                            done = page.locator("#run-smoke-sample .state")
                            done.filter(has_text="done").wait_for(timeout=180_000)
                        _shoot(page, "redteam", lang)
                        page.goto(gateway.url + "/admin/watch")
                        _shoot(page, "watch", lang)
                        context.close()
                    browser.close()
    for png in sorted(OUT.glob("*.png")):
        print(f"{png.name}: {png.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
