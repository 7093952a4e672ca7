"""`sekimori serve` with no upstream: the real embedded model behind the real gateway."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sekimori.testing.procs import create_key, start_gateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_serve_without_upstream_answers_with_the_embedded_model(tmp_path: Path) -> None:
    key = create_key(tmp_path, "acme")
    with start_gateway(tmp_path) as gateway:
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
