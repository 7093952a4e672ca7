"""Every bad input gets its status code and an OpenAI-shaped error body; nothing hangs."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from sekimori.testing.procs import ServerProcess, create_key, run_cli, start_gateway
from tests.gateway.conftest import Stack, write_config

pytestmark = pytest.mark.integration

CHAT = "/v1/chat/completions"


def _error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return dict(error)


def _post(stack: Stack, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        stack.url + CHAT,
        content=content,
        headers={"content-type": "application/json", **stack.auth, **(headers or {})},
        timeout=30,
    )


def test_malformed_json_is_400(stack: Stack) -> None:
    error = _error(_post(stack, b'{"model": "echo", "messages": ['), 400, "invalid_request")
    assert "not valid JSON" in str(error["message"])


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": 7, "messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "echo"}, "messages"),
        ({"model": "echo", "messages": []}, "messages"),
        ({"model": "echo", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "echo", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        (
            {"model": "echo", "messages": [{"role": "user", "content": [{"type": "text"}]}]},
            "messages[0].content[0].text",
        ),
        (
            {"model": "echo", "messages": [{"role": "user", "content": "x"}], "stream": "yes"},
            "stream",
        ),
        (
            {"model": "echo", "messages": [{"role": "user", "content": "x"}], "temperature": 9},
            "temperature",
        ),
        (
            {"model": "echo", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5},
            "max_tokens",
        ),
    ],
)
def test_schema_violations_are_400_naming_the_field(
    stack: Stack, body: dict[str, object], param: str
) -> None:
    error = _error(_post(stack, orjson.dumps(body)), 400, "invalid_request")
    assert error["param"] == param
    assert param.split("[")[0] in str(error["message"])


def test_a_json_array_body_is_400(stack: Stack) -> None:
    _error(_post(stack, b"[1, 2]"), 400, "invalid_request")


def test_invalid_utf8_is_400(stack: Stack) -> None:
    body = b'{"model": "echo", "messages": [{"role": "user", "content": "\xff\xfe"}]}'
    error = _error(_post(stack, body), 400, "invalid_request")
    assert "UTF-8" in str(error["message"])


def test_body_over_the_limit_is_413_even_without_content_length(stack: Stack) -> None:
    huge = orjson.dumps(
        {"model": "echo", "messages": [{"role": "user", "content": "a" * 10_000_000}]}
    )
    _error(_post(stack, huge), 413, "request_too_large")

    def chunks() -> Iterator[bytes]:  # chunked upload: the limit is enforced while reading
        for i in range(0, len(huge), 65536):
            yield huge[i : i + 65536]

    r = httpx.post(stack.url + CHAT, content=chunks(), headers=stack.auth, timeout=30)
    _error(r, 413, "request_too_large")


def test_100k_messages_is_4xx(stack: Stack) -> None:
    messages = [{"role": "user", "content": ""}] * 100_000
    r = _post(stack, orjson.dumps({"model": "echo", "messages": messages}))
    assert 400 <= r.status_code < 500
    _error(r, r.status_code)
    # the limit below the body limit is the message count
    few = [{"role": "user", "content": "x"}] * 1001
    error = _error(_post(stack, orjson.dumps({"model": "echo", "messages": few})), 400)
    assert error["param"] == "messages"


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "missing API key"),
        ({"Authorization": "Bearer sk-sek-000000000000nope"}, "invalid or revoked"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Bearer"),
    ],
)
def test_missing_or_invalid_key_is_401(
    stack: Stack, headers: dict[str, str], fragment: str
) -> None:
    r = httpx.post(stack.url + CHAT, json={"model": "echo", "messages": []}, headers=headers)
    error = _error(r, 401, "invalid_api_key")
    assert fragment in str(error["message"])


def test_revoked_key_is_401(stack: Stack) -> None:
    key = create_key(stack.home, "leaver")
    body = {"model": "echo", "messages": [{"role": "user", "content": "x"}]}
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.post(stack.url + CHAT, json=body, headers=auth).status_code == 200
    key_id = key[len("sk-sek-") : len("sk-sek-") + 12]
    assert run_cli(stack.home, "keys", "revoke", key_id).returncode == 0
    # The gateway rechecks the key store every 0.5 s; the deadline is generous for loaded machines.
    deadline = time.monotonic() + 20
    while True:
        r = httpx.post(stack.url + CHAT, json=body, headers=auth)
        if r.status_code == 401 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    _error(r, 401, "invalid_api_key")


def test_unknown_route_and_method(stack: Stack) -> None:
    _error(httpx.get(stack.url + "/v1/nothing"), 404, "not_found")
    wrong = httpx.get(stack.url + CHAT)
    _error(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "POST"
    wrong = httpx.delete(stack.url + "/v1/models/echo", headers=stack.auth)
    _error(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "GET"


def test_upstream_timeout_is_504_naming_the_upstream(stack: Stack) -> None:
    body = {"model": "stall", "messages": [{"role": "user", "content": "x"}]}
    error = _error(httpx.post(stack.url + CHAT, json=body, headers=stack.auth, timeout=10), 504)
    assert error["code"] == "upstream_timeout" and "upstream fake" in str(error["message"])


def test_upstream_client_error_passes_through(stack: Stack) -> None:
    body = {"model": "error:429", "messages": [{"role": "user", "content": "x"}]}
    error = _error(httpx.post(stack.url + CHAT, json=body, headers=stack.auth), 429)
    assert "upstream fake" in str(error["message"])


@pytest.fixture(scope="module")
def strict(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A gateway with named models only, one of them on a port where nothing listens."""
    home = tmp_path_factory.mktemp("strict")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    config = write_config(
        home / "c.yaml",
        f"""
upstreams:
  fake: {{url: {upstream.url}, models: [echo]}}
  gone: {{url: "http://127.0.0.1:{dead_port}", models: [ghost]}}
screen: {{name: allow}}
""",
    )
    key = create_key(home, "acme")
    with start_gateway(home, "--config", str(config)) as gateway:
        yield Stack(upstream, gateway, home, key)


def test_unknown_model_is_404(strict: Stack) -> None:
    body = {"model": "nope", "messages": [{"role": "user", "content": "x"}]}
    error = _error(
        httpx.post(strict.url + CHAT, json=body, headers=strict.auth), 404, "model_not_found"
    )
    assert error["param"] == "model"
    ids = [
        m["id"] for m in httpx.get(strict.url + "/v1/models", headers=strict.auth).json()["data"]
    ]
    assert ids == ["echo", "ghost"]


def test_refused_upstream_is_502_naming_it(strict: Stack) -> None:
    body = {"model": "ghost", "messages": [{"role": "user", "content": "x"}]}
    error = _error(httpx.post(strict.url + CHAT, json=body, headers=strict.auth), 502)
    assert error["code"] == "upstream_unavailable"
    assert "upstream gone" in str(error["message"]) and "refused" in str(error["message"])


def test_the_gateway_still_serves_after_all_that(stack: Stack) -> None:
    body = {"model": "echo", "messages": [{"role": "user", "content": "still here"}]}
    r = httpx.post(stack.url + CHAT, json=body, headers=stack.auth)
    assert r.json()["choices"][0]["message"]["content"] == "echo: still here"


def test_config_errors_fail_at_start_naming_file_and_key(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "bad.yaml", "upstreams:\n  x:\n    url: http://h:1\n    read_timeout: -3\n"
    )
    result = run_cli(tmp_path, "serve", "--config", str(config))
    assert result.returncode == 1
    assert f"{config}: upstreams.x.read_timeout" in result.stderr
    assert "Traceback" not in result.stderr
    broken = write_config(tmp_path / "broken.yaml", "server:\n  port: [\n")
    result = run_cli(tmp_path, "serve", "--config", str(broken))
    assert result.returncode == 1 and f"{broken}:3" in result.stderr
    result = run_cli(
        tmp_path, "serve", "--host", "0.0.0.0", "--port", "0", "--insecure-no-auth",
        "--upstream", "http://h:1",
    )  # fmt: skip
    assert result.returncode == 1 and "loopback" in result.stderr


def test_insecure_no_auth_works_on_loopback_and_warns(
    upstream: ServerProcess, tmp_path: Path
) -> None:
    with start_gateway(
        tmp_path, "--upstream", upstream.url, "--insecure-no-auth", "--screen", "allow"
    ) as gateway:
        body = {"model": "echo", "messages": [{"role": "user", "content": "open"}]}
        r = httpx.post(gateway.url + CHAT, json=body)
        assert r.json()["choices"][0]["message"]["content"] == "echo: open"
        assert "AUTHENTICATION IS OFF" in gateway.stderr_text()


def test_unknown_screen_fails_at_start(tmp_path: Path) -> None:
    config = write_config(tmp_path / "s.yaml", "screen: {name: nonesuch}\n")
    result = run_cli(
        tmp_path, "serve", "--port", "0", "--config", str(config), "--upstream", "http://h:1"
    )
    assert result.returncode == 1
    assert "screen.name" in result.stderr and "allow" in result.stderr
