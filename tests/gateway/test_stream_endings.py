"""Upstream streams that end by closing, without [DONE], or with invalid lines (issue 17)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from sekimori.testing.fake_upstream import _WORDS
from sekimori.testing.procs import ServerProcess, create_key, start_fake_upstream, start_gateway
from tests.gateway.conftest import Stack, write_config

pytestmark = pytest.mark.integration

CHAT = "/v1/chat/completions"
TEXT = " ".join(_WORDS[i % len(_WORDS)] for i in range(12))
CLOSING = ("text:12", "text:12;nodone=1")  # served by the upstream that closes to end


@pytest.fixture(scope="module")
def closing() -> Iterator[ServerProcess]:
    with start_fake_upstream("--close-delimited") as server:
        yield server


@pytest.fixture(scope="module")
def ends(
    upstream: ServerProcess, closing: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("ends")
    models = ", ".join(f'"{m}"' for m in CLOSING)
    config = write_config(
        home / "c.yaml",
        f"""
upstreams:
  plain: {{url: {upstream.url}}}
  closing: {{url: {closing.url}, models: [{models}]}}
screen: {{name: allow}}
""",
    )
    key = create_key(home, "acme")
    with start_gateway(home, "--config", str(config)) as gateway:
        yield Stack(upstream, gateway, home, key)


def _stream(stack: Stack, model: str) -> list[bytes]:
    body = {"model": model, "messages": [{"role": "user", "content": "x"}], "stream": True}
    r = httpx.post(stack.url + CHAT, json=body, headers=stack.auth, timeout=10)
    assert r.status_code == 200, r.text
    assert r.content.endswith(b"\n\n")
    blocks = [b for b in r.content.split(b"\n\n") if b]
    assert all(b.startswith(b"data: ") and b.count(b"\n") == 0 for b in blocks), blocks
    return [b[6:] for b in blocks]


def _answer(events: list[bytes]) -> tuple[str, str | None]:
    text, finish = "", None
    for event in events[:-1]:
        choice = orjson.loads(event)["choices"][0]
        text += choice["delta"].get("content") or ""
        finish = choice["finish_reason"] or finish
    return text, finish


@pytest.mark.parametrize(
    ("model", "why"),
    [
        ("text:12", "the upstream closes the connection to end the answer"),
        ("text:12;nodone=1", "...and sends no [DONE], its last event unterminated"),
    ],
)
def test_the_last_chunk_and_done_arrive_when_the_upstream_closes(
    ends: Stack, model: str, why: str
) -> None:
    events = _stream(ends, model)
    assert events[-1] == b"[DONE]", why
    assert not any(b'"error"' in e for e in events), why
    assert _answer(events) == (TEXT, "stop"), why


def test_the_last_chunk_and_done_arrive_from_a_framed_stream_without_done(ends: Stack) -> None:
    # "text:12;nodone=1" goes to the closing upstream; this spelling goes to the framed one.
    events = _stream(ends, "text:12;chunk=0;nodone=1")
    assert events[-1] == b"[DONE]" and _answer(events) == (TEXT, "stop")


def test_a_close_delimited_json_answer_arrives_whole_and_the_next_one_too(ends: Stack) -> None:
    body = {"model": "text:12", "messages": [{"role": "user", "content": "x"}]}
    for _ in range(2):  # the closed connection is not reused
        r = httpx.post(ends.url + CHAT, json=body, headers=ends.auth, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == TEXT


def test_invalid_stream_lines_are_dropped_with_a_log_line(ends: Stack) -> None:
    events = _stream(ends, "text:12;junk=1")  # every block checked to be one data line above
    assert events[-1] == b"[DONE]"
    assert all(isinstance(orjson.loads(e), dict) for e in events[:-1])
    assert _answer(events) == (TEXT, "stop")
    # 12 junk blocks, two of them SSE comments (valid keep-alives, dropped without a count).
    for _ in range(50):
        if "dropped 10 invalid stream event(s) from upstream plain" in ends.gateway.stderr_text():
            return
        time.sleep(0.05)
    raise AssertionError(ends.gateway.stderr_text()[-2000:])
