"""Nothing leaks: upstream error bodies, file modes, admin tokens, audit anchors (issue 17)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.gateway.conftest import Stack

pytestmark = pytest.mark.integration

CHAT = "/v1/chat/completions"
PASSWORD = "hunter2-zq"
API_KEY = "sk-proj-Q7x9Lm2Kp4Rt8Vw3Yz6Bn1Cd5Fg0Hj"


def _chat(model: str, *, stream: bool = False) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": "x"}], "stream": stream}


def _logged(stack: Stack, needle: str) -> str:
    """The gateway's log line holding `needle`, waiting briefly for it to be written."""
    for _ in range(50):
        lines = [x for x in stack.gateway.stderr_text().splitlines() if needle in x]
        if lines:
            return lines[-1]
        time.sleep(0.05)
    raise AssertionError(f"no log line with {needle!r}")


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        (f"page:500:Internal Server Error\nconnect failed: db password={PASSWORD}", 502, None),
        (f"error:429:Rate limit reached for key {API_KEY}, retry later", 429, "upstream_429"),
        (f"error:400:bad request, Authorization: Bearer {API_KEY}", 400, "upstream_400"),
    ],
)
def test_upstream_error_bodies_never_reach_the_client(
    stack: Stack, model: str, status: int, code: str | None, stream: bool
) -> None:
    rid = f"leak-{status}-{int(stream)}"
    r = httpx.post(
        stack.url + CHAT,
        json=_chat(model, stream=stream),
        headers={**stack.auth, "x-request-id": rid},
        timeout=10,
    )
    assert r.status_code == status, r.text
    assert PASSWORD not in r.text and API_KEY not in r.text and "Q7x9" not in r.text
    error = r.json()["error"]
    assert error["code"] == (code or "upstream_unavailable")
    assert f"HTTP {status if code else 500}" in error["message"] and rid in error["message"]
    assert "ゲートウェイのログ" in error["message"]
    # The operator finds the upstream's words in the log, with the secrets masked.
    line = _logged(stack, rid)
    assert "upstream fake answered HTTP" in line
    assert PASSWORD not in line and API_KEY not in line and "Q7x9" not in line
    assert "<PASSWORD_1>" in line or "<TOKEN>" in line
