"""The gateway as a client sees it: the official openai SDK and raw HTTP against real processes."""

from __future__ import annotations

import time

import httpx
import openai
import orjson
import pytest

from tests.gateway.conftest import Stack

pytestmark = pytest.mark.integration


def _client(stack: Stack, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.url + "/v1", api_key=stack.key, max_retries=0, **kwargs)  # type: ignore[arg-type]


def _chat(model: str = "echo", content: str = "hello there", **extra: object) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def test_sdk_completion_passes_through(stack: Stack) -> None:
    with _client(stack) as client:
        answer = client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "こんにちは world"}]
        )
    assert answer.choices[0].message.content == "echo: こんにちは world"
    assert answer.usage is not None and answer.usage.completion_tokens == 3


def test_sdk_stream_arrives_chunk_by_chunk(stack: Stack) -> None:
    with _client(stack) as client:
        stream = client.chat.completions.create(
            model="text:4;delay=0.3",
            messages=[{"role": "user", "content": "go"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        started = time.monotonic()
        arrivals: list[tuple[float, str]] = []
        usage = None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append((time.monotonic() - started, chunk.choices[0].delta.content))
            usage = chunk.usage or usage
    assert "".join(text for _, text in arrivals) == "the quick brown fox"
    # Forwarded as it arrives: the first word comes long before the last (0.9 s of delays).
    assert arrivals[-1][0] - arrivals[0][0] > 0.6
    assert usage is not None and usage.completion_tokens == 4


def test_models_lists_what_the_upstream_serves(stack: Stack) -> None:
    with _client(stack) as client:
        ids = {m.id for m in client.models.list()}
    assert {"echo", "stall"} <= ids


def test_health_ready_and_metrics(stack: Stack) -> None:
    assert httpx.get(stack.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(stack.url + "/readyz").status_code == 200
    httpx.post(stack.url + "/v1/chat/completions", json=_chat(), headers=stack.auth)
    text = httpx.get(stack.url + "/metrics").text
    assert 'sekimori_requests_total{route="chat",status="200"}' in text
    assert "sekimori_request_duration_seconds_bucket" in text
    assert 'sekimori_decisions_total{stage="input",action="allow"}' in text


def test_request_id_is_echoed(stack: Stack) -> None:
    r = httpx.post(
        stack.url + "/v1/chat/completions",
        json=_chat(),
        headers={**stack.auth, "x-request-id": "trace-123"},
    )
    assert r.headers["x-request-id"] == "trace-123"
    assert r.headers["x-sekimori-decision"] == "allow"


def test_upstream_error_body_names_the_upstream(stack: Stack) -> None:
    with _client(stack) as client, pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(
            model="error:503", messages=[{"role": "user", "content": "x"}]
        )
    assert info.value.status_code == 502
    assert "upstream fake" in str(info.value)


def test_upstream_dropping_mid_stream_ends_the_stream_with_an_error_event(stack: Stack) -> None:
    r = httpx.post(
        stack.url + "/v1/chat/completions", json=_chat("drop:2", stream=True), headers=stack.auth
    )
    assert r.status_code == 200
    events = [line[6:] for line in r.content.split(b"\n") if line.startswith(b"data: ")]
    last = orjson.loads(events[-1])
    assert last["error"]["code"] == "upstream_unavailable"
    assert "upstream fake" in last["error"]["message"]


def test_client_disconnect_cancels_the_upstream_request(stack: Stack) -> None:
    before = httpx.get(stack.upstream.url + "/_fake/stats").json()["disconnects"]
    with httpx.stream(
        "POST",
        stack.url + "/v1/chat/completions",
        json=_chat("stall:1", stream=True),
        headers=stack.auth,
    ) as r:
        for chunk in r.iter_bytes():
            if b'"content"' in chunk:
                break
    # The gateway saw the client leave and closed its upstream connection, which the fake counts.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if httpx.get(stack.upstream.url + "/_fake/stats").json()["disconnects"] > before:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the upstream never saw the gateway disconnect")


def test_client_leaving_a_non_streamed_request_cancels_the_upstream_too(stack: Stack) -> None:
    stats = stack.upstream.url + "/_fake/stats"
    before = httpx.get(stats).json()["disconnects"]
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            stack.url + "/v1/chat/completions", json=_chat("stall"), headers=stack.auth, timeout=0.3
        )
    deadline = time.monotonic() + 1.0  # well inside the gateway's 1.5 s read timeout
    while httpx.get(stats).json()["disconnects"] == before:
        assert time.monotonic() < deadline, "the upstream request outlived its client"
        time.sleep(0.05)
