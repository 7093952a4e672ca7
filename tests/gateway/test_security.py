"""Nothing leaks: upstream error bodies, file modes, admin tokens, audit anchors (issue 17)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import httpx
import pytest

from sekimori.testing.procs import run_cli
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


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_and_databases_are_private(stack: Stack) -> None:
    body = _chat("echo")
    assert httpx.post(stack.url + CHAT, json=body, headers=stack.auth).status_code == 200
    assert _mode(stack.home) == 0o700
    files = [stack.home / n for n in ("keys.db", "audit.db", "audit.db-wal", "audit.db-shm")]
    assert all(f.exists() for f in files)
    assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_loose_modes_are_tightened_with_a_log_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    run_cli(home, "keys", "create", "--tenant", "acme")
    (home / "keys.db").chmod(0o644)
    home.chmod(0o755)
    result = run_cli(home, "keys", "list")
    assert result.returncode == 0, result.stderr
    assert _mode(home) == 0o700
    assert _mode(home / "keys.db") == 0o600
    assert "readable by others (644); set to 600" in result.stderr
    assert "readable by others (755); set to 700" in result.stderr
    assert "アクセス権" in result.stderr
