"""Real processes for the gateway tests: one fake upstream and one gateway per module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sekimori.testing.procs import ServerProcess, create_key, start_fake_upstream, start_gateway


@dataclass
class Stack:
    upstream: ServerProcess
    gateway: ServerProcess
    home: Path
    key: str

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerProcess]:
    with start_fake_upstream() as server:
        yield server


def ask(url: str, key: str, text: str) -> httpx.Response:
    """One user turn to the `neutral` model through the gateway at ``url``; must be answered."""
    body = {"model": "neutral", "messages": [{"role": "user", "content": text}]}
    r = httpx.post(
        url + "/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    return r


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def gateway_with(upstream: ServerProcess, home: Path, config: str) -> Iterator[Stack]:
    """A gateway started in `home` with the settings YAML `config`, and a key of tenant acme."""
    path = write_config(home / "sekimori.yaml", config)
    key = create_key(home, "acme")
    with start_gateway(home, "--config", str(path)) as gateway:
        yield Stack(upstream, gateway, home, key)


@pytest.fixture(scope="module")
def stack(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A gateway with the keywords test screen in front of the fake upstream."""
    home = tmp_path_factory.mktemp("home")
    with gateway_with(
        upstream,
        home,
        f"""
upstreams:
  fake:
    url: {upstream.url}
    read_timeout: 4
    connect_timeout: 1
server:
  max_body_bytes: 1048576
  max_messages: 1000
screen:
  name: keywords
  window_chars: 64
  stride_chars: 16
  options:
    block: [forbidden-word]
    block_output: ["[REDACTED]"]
    flag: [suspicious-word]
    redact: [Alice Example]
audit:
  flush_interval_ms: 50
tenants:
  keeper: {{audit_text: text}}
""",
    ) as gateway:
        yield gateway
