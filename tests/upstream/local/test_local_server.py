"""The real `python -m sekimori.upstream.local` process, called with httpx and the openai SDK."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import openai
import pytest

pytestmark = pytest.mark.integration

CAPITAL = [{"role": "user", "content": "What is the capital of France?"}]


def chat(url: str, **body: Any) -> httpx.Response:
    payload = {"model": "local", "messages": CAPITAL, "temperature": 0, "max_tokens": 12, **body}
    return httpx.post(f"{url}/v1/chat/completions", json=payload, timeout=120)


def health(url: str) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{url}/healthz", timeout=5).json()
    return data


def test_models_lists_local(server_url: str) -> None:
    models = httpx.get(f"{server_url}/v1/models", timeout=5).json()
    assert models["object"] == "list"
    assert "local" in [m["id"] for m in models["data"]]


def test_greedy_answer_is_coherent_and_deterministic(server_url: str) -> None:
    first, second = chat(server_url), chat(server_url)
    assert first.status_code == second.status_code == 200
    answer = first.json()["choices"][0]["message"]["content"]
    assert "Paris" in answer
    assert answer == second.json()["choices"][0]["message"]["content"]
    usage = first.json()["usage"]
    assert usage["prompt_tokens"] > 10
    assert 0 < usage["completion_tokens"] <= 12
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_max_tokens_is_honoured(server_url: str) -> None:
    response = chat(server_url, max_tokens=3)
    body = response.json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3


def test_stop_sequence_ends_the_answer(server_url: str) -> None:
    body = chat(server_url, stop=["Paris"]).json()
    assert "Paris" not in body["choices"][0]["message"]["content"]
    assert body["choices"][0]["finish_reason"] == "stop"


def test_openai_sdk_json_and_stream_agree(server_url: str) -> None:
    client = openai.OpenAI(base_url=f"{server_url}/v1", api_key="unused", max_retries=0)
    whole = client.chat.completions.create(
        model="local",
        messages=CAPITAL,
        temperature=0,
        max_tokens=10,  # type: ignore[arg-type]
    )
    stream = client.chat.completions.create(
        model="local",
        messages=CAPITAL,  # type: ignore[arg-type]
        temperature=0,
        max_tokens=10,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert whole.choices[0].message.content
    assert streamed == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]


def test_stream_is_sse_ending_with_done(server_url: str) -> None:
    payload = {
        "model": "local",
        "messages": CAPITAL,
        "temperature": 0,
        "max_tokens": 4,
        "stream": True,
    }
    with httpx.stream("POST", f"{server_url}/v1/chat/completions", json=payload, timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    first = json.loads(events[0][6:])
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"]["role"] == "assistant"


def test_japanese_prompt_gets_valid_utf8(server_url: str) -> None:
    messages = [{"role": "user", "content": "日本の首都はどこですか？"}]
    body = chat(server_url, messages=messages, max_tokens=8).json()
    assert "\ufffd" not in body["choices"][0]["message"]["content"]


def assert_openai_error(response: httpx.Response, status: int, param: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    if param is not None:
        assert error["param"] == param


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
        ({"temperature": 5}, "temperature"),
        ({"max_tokens": "5"}, "max_tokens"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 2}, "n"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ],
)
def test_schema_violations_are_400_naming_the_field(
    server_url: str, body: dict[str, Any], param: str
) -> None:
    assert_openai_error(chat(server_url, **body), 400, param)


def test_malformed_json_and_bad_utf8_are_400(server_url: str) -> None:
    url = f"{server_url}/v1/chat/completions"
    assert_openai_error(httpx.post(url, content=b'{"model": ', timeout=5), 400)
    assert_openai_error(httpx.post(url, content=b'{"model": "\xff"}', timeout=5), 400)
    assert_openai_error(httpx.post(url, content=b"[1, 2]", timeout=5), 400)


def test_unknown_model_is_404(server_url: str) -> None:
    assert_openai_error(chat(server_url, model="gpt-9"), 404, "model")


def test_too_long_for_the_context_is_400(server_url: str) -> None:
    response = chat(server_url, max_tokens=100_000)
    assert_openai_error(response, 400, "messages")
    assert response.json()["error"]["code"] == "context_length_exceeded"


def test_oversized_body_is_413(server_url: str) -> None:
    huge = {"model": "local", "messages": [{"role": "user", "content": "a" * (9 * 1024 * 1024)}]}
    response = httpx.post(f"{server_url}/v1/chat/completions", json=huge, timeout=30)
    assert_openai_error(response, 413)


def test_wrong_method_and_path(server_url: str) -> None:
    assert_openai_error(httpx.get(f"{server_url}/v1/chat/completions", timeout=5), 405)
    assert_openai_error(httpx.get(f"{server_url}/v1/nothing", timeout=5), 404)


def wait_for(condition: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


COUNT = [{"role": "user", "content": "Count from 1 to 500, separated by commas."}]


@pytest.mark.slow
def test_stream_disconnect_cancels_the_generation(server_url: str) -> None:
    before = health(server_url)["cancelled"]
    payload = {
        "model": "local",
        "messages": COUNT,
        "temperature": 0,
        "max_tokens": 2000,
        "stream": True,
    }
    with httpx.stream("POST", f"{server_url}/v1/chat/completions", json=payload, timeout=60) as r:
        lines = r.iter_lines()
        received = [next(lines) for _ in range(6)]
    assert any('"content"' in line for line in received)
    assert wait_for(lambda: health(server_url)["cancelled"] > before)
    assert wait_for(lambda: health(server_url)["running"] == 0)


@pytest.mark.slow
def test_non_stream_disconnect_cancels_the_generation(server_url: str) -> None:
    before = health(server_url)["cancelled"]
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{server_url}/v1/chat/completions",
            json={"model": "local", "messages": COUNT, "temperature": 0, "max_tokens": 2000},
            timeout=httpx.Timeout(5.0, read=1.0),
        )
    assert wait_for(lambda: health(server_url)["cancelled"] > before)
    assert wait_for(lambda: health(server_url)["running"] == 0)
    # The server is free again: a short request is answered at once.
    assert chat(server_url, max_tokens=2).status_code == 200
