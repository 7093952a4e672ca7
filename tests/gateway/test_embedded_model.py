"""`sekimori serve` with no upstream: the real embedded model behind the real gateway."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from sekimori.testing.procs import ServerProcess, create_key, start_gateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_serve_without_upstream_answers_with_the_embedded_model(tmp_path: Path) -> None:
    key = create_key(tmp_path, "acme")
    with start_gateway(tmp_path) as gateway:
        child = _child_url(gateway)
        headers = {"Authorization": f"Bearer {key}"}
        models = httpx.get(gateway.url + "/v1/models", headers=headers, timeout=10).json()
        assert "local" in [m["id"] for m in models["data"]]
        body = {
            "model": "local",
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 8,
            "temperature": 0,
        }
        first = httpx.post(
            gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=120
        )
        second = httpx.post(
            gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=120
        )
    assert first.status_code == 200, first.text
    answer = first.json()["choices"][0]["message"]["content"]
    assert answer.strip()
    assert answer == second.json()["choices"][0]["message"]["content"]  # greedy: deterministic
    _assert_gone(child)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_embedded_model_stops_with_the_gateway(tmp_path: Path, sig: int) -> None:
    with start_gateway(tmp_path) as gateway:
        child = _child_url(gateway)
        assert httpx.get(child + "/healthz", timeout=5).status_code == 200
        gateway.stop(sig)
        _assert_gone(child)


def _child_url(gateway: ServerProcess) -> str:
    found = re.search(r"on (http://127\.0\.0\.1:\d+)", gateway.stderr_text())
    assert found, gateway.stderr_text()
    return found.group(1)


def _assert_gone(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/healthz", timeout=1)
        except httpx.TransportError:
            return
        time.sleep(0.1)
    pytest.fail(f"the embedded model at {url} outlived the gateway")
