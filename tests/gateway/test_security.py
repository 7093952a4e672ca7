"""Nothing leaks: upstream error bodies, file modes, admin tokens, audit anchors (issue 17)."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import orjson
import pytest

from sekimori.gateway.errors import scrub
from sekimori.settings import load_settings
from sekimori.testing.procs import ServerProcess, create_key, run_cli, start_gateway
from tests.gateway.conftest import Stack, write_config

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
    # A rate limit's Retry-After (whole seconds) is the one thing passed on.
    assert r.headers.get("retry-after") == ("7" if status == 429 else None)
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


ADMIN_TOKEN = "adm-tökén-Секрет-管理"  # non-ASCII on purpose: it must compare as bytes


@pytest.fixture(scope="module")
def admin(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A plain proxy whose admin token comes from the environment, auditing text as hashes."""
    home = tmp_path_factory.mktemp("admin")
    config = write_config(
        home / "c.yaml",
        f"upstreams: {{fake: {{url: {upstream.url}}}}}\nscreen: {{name: allow}}\n"
        "audit: {text: hash, flush_interval_ms: 20}\n",
    )
    key = create_key(home, "acme")
    env = {"SEKIMORI_ADMIN_TOKEN": ADMIN_TOKEN}
    with start_gateway(home, "--config", str(config), env=env) as gateway:
        yield Stack(upstream, gateway, home, key)


def _json_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        (None, 401, "invalid_admin_token"),
        (b"", 401, "invalid_admin_token"),
        (b"Bearer", 401, "invalid_admin_token"),
        (b"Basic abc", 401, "invalid_admin_token"),
        (b"Bearer wrong", 403, "forbidden"),
        ("Bearer tökén-管理".encode(), 403, "forbidden"),
        (b"Bearer \xff\xfe\x80", 403, "forbidden"),
        (b"Bearer " + b"x" * 60_000, 403, "forbidden"),
        (b"Bearer " + ADMIN_TOKEN.encode(), 409, "not_reloadable"),  # passed: nothing to reload
    ],
)
def test_any_admin_token_gets_a_clean_json_answer(
    admin: Stack, header: bytes | None, status: int, code: str
) -> None:
    headers = {} if header is None else {"authorization": header}
    r = httpx.post(admin.url + "/admin/policy/reload", headers=headers, timeout=10)
    _json_error(r, status, code)


@pytest.mark.parametrize(
    "header", [b"Bearer \xff\xfe", "Bearer sk-sek-ключ".encode(), b"Bearer " + b"k" * 60_000]
)
def test_any_api_key_gets_a_clean_json_401(admin: Stack, header: bytes) -> None:
    r = httpx.get(admin.url + "/v1/models", headers={"authorization": header}, timeout=10)
    _json_error(r, 401, "invalid_api_key")


def test_admin_token_is_a_secret_in_settings(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"SEKIMORI_HOME": str(tmp_path), "SEKIMORI_ADMIN_TOKEN": "t0k"}
    )
    token = settings.server.admin_token
    assert token is not None and token.get_secret_value() == "t0k"
    assert "t0k" not in repr(settings) and "t0k" not in str(settings.model_dump())


def test_models_retrieve_with_the_openai_sdk(stack: Stack) -> None:
    client = openai.OpenAI(base_url=stack.url + "/v1", api_key=stack.key, max_retries=0)
    model = client.models.retrieve("echo")
    assert (model.id, model.object, model.owned_by) == ("echo", "model", "sekimori:fake")
    assert client.models.retrieve("text:16").id == "text:16"
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("no-such-model")
    assert info.value.body["code"] == "model_not_found"  # type: ignore[index]
    r = httpx.get(stack.url + "/v1/models/echo")
    _json_error(r, 401, "invalid_api_key")


def _audit_rows(home: Path, client_id: str, n: int) -> list[dict[str, object]]:
    for _ in range(100):
        with sqlite3.connect(home / "audit.db") as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT * FROM audit WHERE client_request_id = ?", (client_id,)
            ).fetchall()
        if len(rows) >= n:
            return [dict(r) for r in rows]
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} audit records for {client_id}")


def test_audit_keeps_our_id_and_a_keyed_hash_of_the_prompt(admin: Stack) -> None:
    body = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}
    headers = {**admin.auth, "x-request-id": "same-id"}
    for _ in range(2):  # a client may reuse its id: each request still gets its own
        r = httpx.post(admin.url + CHAT, json=body, headers=headers)
        assert r.status_code == 200 and r.headers["x-request-id"] == "same-id"
    rows = _audit_rows(admin.home, "same-id", 2)
    ids = {row["request_id"] for row in rows}
    assert len(ids) == 2 and "same-id" not in ids
    row = rows[0]
    key_file = admin.home / "audit.key"
    assert _mode(key_file) == 0o600
    key = bytes.fromhex(key_file.read_text().strip())
    prompt = orjson.dumps([["user", "hi"]]).decode()
    assert row["text_mode"] == "hmac"
    assert row["prompt"] == hmac.new(key, prompt.encode(), hashlib.sha256).hexdigest()
    assert row["prompt"] != hashlib.sha256(prompt.encode()).hexdigest()
    assert row["answer"] == hmac.new(key, b"echo: hi", hashlib.sha256).hexdigest()
    # Without x-request-id, the id echoed is the gateway's own, the one audited.
    r = httpx.post(admin.url + CHAT, json=body, headers=admin.auth)
    assert r.headers["x-request-id"] not in ("", "same-id")
    verify = run_cli(admin.home, "audit", "verify")
    assert verify.returncode == 0, verify.stdout


def test_scrub_masks_credentials_and_personal_data() -> None:
    page = (
        f"DB error: password={PASSWORD}\nkey {API_KEY} header Authorization: Bearer abc.def.ghi"
        " aws AKIAIOSFODNN7EXAMPLE mail taro@example.jp"
    )
    line = scrub(page.encode())
    for secret in (PASSWORD, API_KEY, "abc.def.ghi", "AKIAIOSFODNN7EXAMPLE", "taro@example.jp"):
        assert secret not in line
    assert "\n" not in line and line.startswith("DB error: ")
    assert len(scrub("x" * 50_000)) == 2000
