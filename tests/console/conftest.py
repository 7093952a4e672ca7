"""A real gateway with the console on: `sekimori serve` (policy screen, lexicon scorer so that no
encoder is built, a policy file) before the fake upstream, an admin token and an admin account."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sekimori.home import ENV
from sekimori.testing.procs import ServerProcess, create_key, start_fake_upstream, start_gateway

TOKEN = "console-test-token-0123456789"
ADMIN, PASSWORD = "alice", "correct horse battery"
LEXICON = """
phrases:
  "project kestrel": {weapons.bio: 0.95}
  "phish the payroll": {crime.nonviolent: 0.93}
sure_at: 0.9
"""
POLICY = """version: 1
tenants:
  acme:
    tier: standard
    categories:
      crime.nonviolent: flag
    limits:
      per_key: {rpm: 600, tokens_per_day: 1000000}
"""


@dataclass
class ConsoleStack:
    upstream: ServerProcess
    gateway: ServerProcess
    home: Path
    key: str

    @property
    def url(self) -> str:
        return self.gateway.url

    def client(self) -> httpx.Client:
        # Bounds a hang only: a starved gateway (nice 19 behind other jobs) answers seconds late.
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=120)


def add_admin(home: Path, name: str, password: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "sekimori.cli", "admin", "add", name, "--password-stdin"],
        input=password + "\n",
        env={**os.environ, ENV: str(home)},
        check=True,
        capture_output=True,
        text=True,
    )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def log_in(client: httpx.Client, account: str = "", password: str = TOKEN) -> httpx.Response:
    form = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={
            "csrf": csrf_of(form.text),
            "account": account,
            "password": password,
            "next": "/admin",
        },
    )


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleStack]:
    home = tmp_path_factory.mktemp("console")
    (home / "lexicon.yaml").write_text(LEXICON, encoding="utf-8")
    (home / "policy.yaml").write_text(POLICY, encoding="utf-8")
    add_admin(home, ADMIN, PASSWORD)
    with start_fake_upstream() as upstream:
        # timeout_s bounds the lexicon scorer's hang only (no test here is about it): 2 s of
        # queueing and scoring is not a hang on a starved machine, and a timeout changes decisions.
        (home / "sekimori.yaml").write_text(
            f"""upstreams:
  fake: {{url: {upstream.url}}}
screen:
  name: policy
  options: {{scorer: lexicon, lexicon: {home / "lexicon.yaml"}, timeout_s: 60}}
policy_file: {home / "policy.yaml"}
server: {{admin_token: "{TOKEN}"}}
audit: {{flush_interval_ms: 20}}
""",
            encoding="utf-8",
        )
        key = create_key(home, "acme")
        with start_gateway(home, "--config", str(home / "sekimori.yaml")) as gateway:
            yield ConsoleStack(upstream, gateway, home, key)
