"""The fake upstream is a real server process: each behaviour is checked over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from sekimori.testing.fake_upstream import parse_behaviour
from sekimori.testing.procs import ServerProcess, start_fake_upstream

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    script = tmp_path_factory.mktemp("scripts") / "turn.txt"
    script.write_text("Sure. Step one is [REDACTED].", encoding="utf-8")
    with start_fake_upstream("--script", f"turn={script}") as server:
        yield server


def _chat(model: str, **extra: object) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": "hello there"}], **extra}


def _sse_contents(body: bytes) -> list[str]:
    out = []
    for line in body.split(b"\n"):
        if line.startswith(b"data: ") and line != b"data: [DONE]":
            for choice in orjson.loads(line[6:])["choices"]:
                out.append(choice["delta"].get("content", ""))
    return out


def test_model_name_and_headers_choose_the_behaviour() -> None:
    b = parse_behaviour("drop:3;delay=0.5;chunk=2", {})
    assert (b.mode, b.arg, b.delay, b.chunk, b.first) == ("drop", "3", 0.5, 2, 0.0)
    b = parse_behaviour("echo", {b"x-fake-mode": b"error:429", b"x-fake-first-byte": b"0.25"})
    assert (b.mode, b.arg, b.first) == ("error", "429", 0.25)


def test_echo_answers_the_last_user_message(upstream: ServerProcess) -> None:
    r = httpx.post(upstream.url + "/v1/chat/completions", json=_chat("echo"))
    assert r.status_code == 200
    body = r.json()
    assert body["choices"][0]["message"]["content"] == "echo: hello there"
    assert body["usage"]["prompt_tokens"] == 2


def test_stream_sends_chunks_then_done(upstream: ServerProcess) -> None:
    r = httpx.post(upstream.url + "/v1/chat/completions", json=_chat("text:5", stream=True))
    assert r.headers["content-type"] == "text/event-stream"
    assert r.content.endswith(b"data: [DONE]\n\n")
    assert "".join(_sse_contents(r.content)) == "the quick brown fox jumps"


def test_scripts_from_file_and_endpoint_stream_in_fixed_chunks(upstream: ServerProcess) -> None:
    r = httpx.post(
        upstream.url + "/v1/chat/completions", json=_chat("script:turn;chunk=4", stream=True)
    )
    pieces = [p for p in _sse_contents(r.content) if p]
    assert "".join(pieces) == "Sure. Step one is [REDACTED]."
    assert all(len(p) <= 4 for p in pieces)
    httpx.post(upstream.url + "/_fake/scripts/ja", content="こんにちは".encode())
    r = httpx.post(upstream.url + "/v1/chat/completions", json=_chat("script:ja"))
    assert r.json()["choices"][0]["message"]["content"] == "こんにちは"


def test_error_mode_returns_the_status_in_openai_shape(upstream: ServerProcess) -> None:
    r = httpx.post(upstream.url + "/v1/chat/completions", json=_chat("error:503"))
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "fake_error"


def test_drop_truncates_json_and_stream(upstream: ServerProcess) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(upstream.url + "/v1/chat/completions", json=_chat("drop"))
    got: list[bytes] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST", upstream.url + "/v1/chat/completions", json=_chat("drop:2", stream=True)
        ) as r,
    ):
        got.extend(r.iter_bytes())
    assert len(_sse_contents(b"".join(got))) == 3  # role chunk + 2 content chunks


def test_stall_hangs_until_the_client_gives_up(upstream: ServerProcess) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(upstream.url + "/v1/chat/completions", json=_chat("stall"), timeout=0.3)
    # the server is still healthy afterwards
    assert httpx.get(upstream.url + "/healthz").status_code == 200


def test_auth_mode_reports_the_bearer_it_received(upstream: ServerProcess) -> None:
    r = httpx.post(
        upstream.url + "/v1/chat/completions",
        json=_chat("auth"),
        headers={"Authorization": "Bearer k1"},
    )
    assert r.json()["choices"][0]["message"]["content"] == "Bearer k1"
