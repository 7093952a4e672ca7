"""Every part of the exchange is screened: the wire module alone, then the real gateway.

The gateway runs the `policy` screen with the `lexicon` scorer in front of the fake upstream, so
a phrase is harmful wherever it is put: each request part and each answer part (other choices,
tool-call arguments streamed or not, reasoning) gets a case that the gateway used to let through.
"""

from __future__ import annotations

import base64
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sekimori.gateway.parts import (
    DATA_URL_BYTES,
    ChoiceText,
    data_url_text,
    delta_pieces,
    message_pieces,
    request_parts,
    write_back,
)
from sekimori.screen import Part
from sekimori.testing.procs import ServerProcess, create_key, start_gateway
from sekimori.types import Message
from tests.gateway.conftest import write_config

pytestmark = pytest.mark.integration

HARMFUL = "nightshade protocol"  # the lexicon's harmful phrase (weapons.chem)
TOOL = "nightshade-recipe"  # the same, as an identifier (a tool or participant name)
EMAIL = "bob.tanaka@example.com"
LEXICON = f"""
phrases:
  "{HARMFUL}": {{weapons.chem: 0.95}}
  "{TOOL}": {{weapons.chem: 0.95}}
"""
POLICY = """
version: 1
tenants:
  acme:
    pii: {email: redact}
"""


def _b64_url(text: str, media: str = "text/plain") -> str:
    return f"data:{media};base64," + base64.b64encode(text.encode()).decode()


# -- the wire module alone
def _request() -> dict[str, Any]:
    return {
        "model": "m",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "name": "alice", "content": [
                {"type": "text", "text": "look at this"},
                {"type": "file", "file": {"file_data": _b64_url("notes: hello")}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ]},
            {"role": "assistant", "content": None, "reasoning_content": "thinking", "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "lookup", "arguments": '{"q": "x"}'}},
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": "result text"},
        ],
        "tools": [{"type": "function", "function": {
            "name": "lookup", "description": "Looks things up",
            "parameters": {"type": "object", "properties": {"q": {"description": "query"}}},
        }}],
        "functions": [{"name": "legacy", "description": "an old-style function"}],
    }  # fmt: skip


def test_a_request_becomes_every_part_with_its_kind_and_locator() -> None:
    found = {(p.kind, p.locator): p.content for p in request_parts(_request())}
    assert found[("system", ("messages", 0, "content"))] == "be brief"
    assert found[("user", ("messages", 1, "content", 0, "text"))] == "look at this"
    assert found[("name", ("messages", 1, "name"))] == "alice"
    assert found[("data_url", ("messages", 1, "content", 1, "file", "file_data"))] == "notes: hello"
    assert found[("assistant_history", ("messages", 2, "reasoning_content"))] == "thinking"
    call = ("messages", 2, "tool_calls", 0, "function")
    assert found[("tool_call_arguments", (*call, "arguments"))] == '{"q": "x"}'
    assert found[("name", (*call, "name"))] == "lookup"
    assert found[("tool_result", ("messages", 3, "content"))] == "result text"
    tool = ("tools", 0, "function")
    assert found[("tool_description", (*tool, "description"))] == "Looks things up"
    assert "query" in found[("tool_description", (*tool, "parameters"))]
    assert found[("tool_description", ("functions", 0, "description"))] == "an old-style function"
    # The image is skipped: no part for it, and no crash.
    assert not any(loc[:4] == ("messages", 1, "content", 2) for _, loc in found)


def test_rewrites_go_back_where_each_part_came_from() -> None:
    body = _request()
    parts = request_parts(body)
    rewritten = [Message(p.role, p.content.upper()) for p in parts]
    write_back(body, parts, rewritten)
    assert body["messages"][3]["content"] == "RESULT TEXT"
    assert body["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"Q": "X"}'
    assert body["messages"][1]["content"][0]["text"] == "LOOK AT THIS"
    file_data = body["messages"][1]["content"][1]["file"]["file_data"]
    assert file_data == _b64_url("NOTES: HELLO")
    # Names are identifiers the client matches on; a schema is not text to rewrite.
    assert body["messages"][1]["name"] == "alice"
    assert body["tools"][0]["function"]["name"] == "lookup"
    assert body["tools"][0]["function"]["parameters"]["type"] == "object"
    assert body["tools"][0]["function"]["description"] == "LOOKS THINGS UP"


@pytest.mark.parametrize(
    ("url", "text", "whole"),
    [
        (_b64_url("plain text"), "plain text", True),
        (_b64_url('{"a": "日本語"}', "application/json"), '{"a": "日本語"}', True),
        ("data:," + urllib.parse.quote("percent encoded"), "percent encoded", True),
        ("data:text/plain;charset=utf-8;base64," + base64.b64encode(b"x y").decode(), "x y", True),
        (_b64_url("a note", "application/octet-stream"), "a note", True),  # sniffed: UTF-8
    ],
)
def test_text_in_data_urls_is_decoded(url: str, text: str, whole: bool) -> None:
    data = data_url_text(url)
    assert data is not None and (data.text, data.whole) == (text, whole)


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==",
        "data:audio/wav;base64,UklGRiQAAABXQVZF",
        "data:application/pdf;base64," + base64.b64encode(bytes(range(256)) * 4).decode(),
        "data:text/plain;base64,!!!not base64",
        "data:no comma at all",
        "https://example.com/a.png",
    ],
)
def test_media_binary_and_malformed_data_urls_are_skipped_without_a_crash(url: str) -> None:
    data = data_url_text(url)
    assert data is None or data.text == ""  # nothing a text screen could read


def test_a_long_data_url_is_screened_by_its_head_and_not_rewritten() -> None:
    text = "word " * (DATA_URL_BYTES // 2)
    data = data_url_text(_b64_url(text))
    assert data is not None and not data.whole
    assert len(data.text.encode()) <= DATA_URL_BYTES and text.startswith(data.text)
    body: dict[str, Any] = {"messages": [{"role": "user", "content": [
        {"type": "file", "file": {"file_data": _b64_url(text)}},
    ]}]}  # fmt: skip
    parts = request_parts(body)
    write_back(body, parts, [Message("user", "changed")])
    assert body["messages"][0]["content"][0]["file"]["file_data"] == _b64_url(text)


def test_an_answer_becomes_texts_per_choice_and_tool_call() -> None:
    answer = {"choices": [
        {"index": 0, "message": {"role": "assistant", "content": "zero"}},
        {"index": 1, "message": {"role": "assistant", "content": None, "reasoning": "hmm",
                                 "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}},
        {"index": 2, "message": {"role": "assistant", "refusal": "no", "content": [
            {"type": "text", "text": "part a"}, {"type": "image_url"},
            {"type": "text", "text": "b"}]}},
    ]}  # fmt: skip
    pieces = message_pieces(answer)
    assert [(p.choice, p.field, p.text) for p in pieces] == [
        (0, "content", "zero"),
        (1, "reasoning", "hmm"),
        (1, "tool_name", "f"),
        (1, "tool_arguments", "{}"),
        (2, "content", "part a"),
        (2, "content", "b"),
        (2, "refusal", "no"),
    ]
    assert pieces[-2].locator == ("choices", 2, "message", "content", 2, "text")
    # Streamed: arguments accumulate per choice and tool-call index across deltas.
    texts = {0: ChoiceText(0), 1: ChoiceText(1)}
    for chunk in (
        {"choices": [{"index": 1, "delta": {"tool_calls": [
            {"index": 0, "function": {"name": "send", "arguments": ""}}]}}]},
        {"choices": [{"index": 0, "delta": {"content": "night"}}]},
        {"choices": [{"index": 1, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": '{"x": "night'}}]}}]},
        {"choices": [{"index": 0, "delta": {"content": "shade"}}]},
        {"choices": [{"index": 1, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": 'shade"}'}}]}}]},
    ):  # fmt: skip
        for piece in delta_pieces(chunk):
            texts[piece.choice].add(piece, piece.text)
    assert texts[0].text == "nightshade"
    assert texts[1].text == 'send {"x": "nightshade"}'


# -- the real gateway
@dataclass
class Gateway:
    upstream: ServerProcess
    gateway: ServerProcess
    home: Path
    key: str

    def post(self, tenant: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.key}", **headers}
        url = self.gateway.url + "/v1/chat/completions"
        return httpx.post(url, json=body, headers=auth, timeout=30)

    def upstream_requests(self) -> int:
        return int(httpx.get(self.upstream.url + "/_fake/stats").json()["requests"])

    def upstream_last(self) -> dict[str, Any]:
        last: dict[str, Any] = orjson.loads(httpx.get(self.upstream.url + "/_fake/last").content)
        return last


@contextmanager
def _serve(upstream: ServerProcess, home: Path, screen: str = "") -> Iterator[Gateway]:
    """`sekimori serve` with the policy screen and the lexicon scorer; tenant acme redacts email."""
    lexicon = write_config(home / "lexicon.yaml", LEXICON)
    write_config(home / "policy.yaml", POLICY)
    config = write_config(
        home / "sekimori.yaml",
        f"""
upstreams:
  fake: {{url: {upstream.url}}}
screen:
  name: policy
  window_chars: 256
  stride_chars: 64{screen}
  options: {{scorer: lexicon, lexicon: {lexicon}, timeout_s: 2}}
audit: {{flush_interval_ms: 20}}
policy_file: policy.yaml
""",
    )
    key = create_key(home, "acme")
    with start_gateway(home, "--config", str(config)) as gateway:
        yield Gateway(upstream, gateway, home, key)


@pytest.fixture(scope="module")
def gw(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with _serve(upstream, tmp_path_factory.mktemp("parts")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def held(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """The same with hold-back: no more than 8 unscreened characters of a choice go out."""
    with _serve(upstream, tmp_path_factory.mktemp("held"), "\n  hold_chars: 8") as gateway:
        yield gateway


def events(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    lines = [line[6:] for line in r.content.split(b"\n") if line.startswith(b"data: ")]
    return [orjson.loads(line) for line in lines if line != b"[DONE]"]


def audit_row(home: Path, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        with sqlite3.connect(home / "audit.db") as db:
            db.row_factory = sqlite3.Row
            row = db.execute(
                "SELECT * FROM audit WHERE client_request_id = ?", (request_id,)
            ).fetchone()
        if row is not None:
            return dict(row)
        assert time.monotonic() < deadline, f"no audit record for {request_id}"
        time.sleep(0.05)


def _user(text: str = "What should I do next?") -> dict[str, Any]:
    return {"role": "user", "content": text}


def _call(name: str, arguments: str) -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


_HARMFUL_REQUESTS: dict[str, Callable[[], dict[str, Any]]] = {
    "assistant history": lambda: {"messages": [
        _user("hi"), {"role": "assistant", "content": f"Here is the {HARMFUL}."}, _user()]},
    "tool result": lambda: {"messages": [
        _user(), {"role": "assistant", "content": None, "tool_calls": [_call("get", "{}")]},
        {"role": "tool", "tool_call_id": "call_1", "content": f"The {HARMFUL}, step one"}]},
    "legacy function result": lambda: {"messages": [
        _user(), {"role": "function", "name": "get", "content": f"The {HARMFUL}"}]},
    "tool-call arguments": lambda: {"messages": [
        _user(), {"role": "assistant", "content": None,
                  "tool_calls": [_call("get", f'{{"topic": "{HARMFUL}"}}')]},
        {"role": "tool", "tool_call_id": "call_1", "content": "done"}]},
    "tool description": lambda: {"messages": [_user()], "tools": [{"type": "function",
        "function": {"name": "helper", "description": f"Explains the {HARMFUL} in full."}}]},
    "tool name": lambda: {"messages": [_user()], "tools": [{"type": "function",
        "function": {"name": TOOL, "description": "A helper."}}]},
    "legacy function description": lambda: {"messages": [_user()], "functions": [
        {"name": "helper", "description": f"Explains the {HARMFUL}."}]},
    "name field": lambda: {"messages": [{"role": "user", "name": TOOL, "content": "hello"}]},
    "system": lambda: {"messages": [
        {"role": "system", "content": f"Always explain the {HARMFUL}."}, _user()]},
    "data url in a file part": lambda: {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Summarise the attached file."},
        {"type": "file", "file": {"filename": "a.txt",
                                  "file_data": _b64_url(f"Chapter 1: the {HARMFUL}")}}]}]},
}  # fmt: skip


@pytest.mark.parametrize("where", list(_HARMFUL_REQUESTS))
def test_a_harmful_phrase_in_any_request_part_is_blocked(gw: Gateway, where: str) -> None:
    before = gw.upstream_requests()
    body = {"model": "echo", **_HARMFUL_REQUESTS[where]()}
    r = gw.post("acme", body)
    assert r.status_code == 200, r.text
    assert r.headers["x-sekimori-decision"] == "block", where
    assert r.headers["x-sekimori-blocked"] == "input"
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"
    assert gw.upstream_requests() == before  # never sent


def test_an_image_data_url_is_forwarded_and_does_not_crash(gw: Gateway) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    text = {"type": "text", "text": "What is in this picture?"}
    body = {"model": "echo", "messages": [{"role": "user", "content": [text, image]}]}
    r = gw.post("acme", body)
    assert r.status_code == 200 and r.headers["x-sekimori-decision"] == "allow"


def test_personal_data_is_redacted_in_tool_results_and_files_and_restored(gw: Gateway) -> None:
    body = {"model": "echo", "messages": [
        {"role": "assistant", "content": None, "tool_calls": [_call("crm", '{"id": 7}')]},
        {"role": "tool", "tool_call_id": "call_1", "content": f"Customer email: {EMAIL}"},
        {"role": "user", "content": [
            {"type": "file", "file": {"file_data": _b64_url(f"cc: {EMAIL}")}},
            {"type": "text", "text": f"Draft a reply to {EMAIL}"}]},
    ]}  # fmt: skip
    r = gw.post("acme", body)
    assert r.status_code == 200, r.text
    sent = gw.upstream_last()
    assert EMAIL not in orjson.dumps(sent).decode()
    messages: Any = sent["messages"]
    assert "<EMAIL_1>" in messages[1]["content"]
    file_text = data_url_text(messages[2]["content"][0]["file"]["file_data"])
    assert file_text is not None and file_text.text == "cc: <EMAIL_1>"
    # The echo answer carries the placeholder back; the client gets the original.
    assert r.json()["choices"][0]["message"]["content"] == f"echo: Draft a reply to {EMAIL}"


def _script(gw: Gateway, name: str, choices: list[dict[str, Any]]) -> str:
    url = f"{gw.upstream.url}/_fake/scripts/{name}"
    httpx.post(url, content=orjson.dumps(choices)).raise_for_status()
    return f"choices:{name}"


def _ask(model: str, *, stream: bool) -> dict[str, Any]:
    return {"model": model, "stream": stream, "messages": [_user()]}


_HARMFUL_ANSWERS: dict[str, list[dict[str, Any]]] = {
    "second choice": [
        {"content": "A calm and ordinary answer."},
        {"content": f"Sure. The {HARMFUL} goes like this."},
    ],
    "tool-call arguments": [
        {"content": None, "tool_calls": [
            {"name": "write_file", "arguments": f'{{"text": "the {HARMFUL}, in full"}}'}]},
    ],
    "reasoning": [
        {"content": "Here is a summary.", "reasoning_content": f"I will explain the {HARMFUL}."},
    ],
}  # fmt: skip


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("where", list(_HARMFUL_ANSWERS))
def test_a_harmful_phrase_in_any_answer_part_is_blocked(
    gw: Gateway, where: str, stream: bool
) -> None:
    name = f"{where.replace(' ', '-')}-{stream}"
    model = _script(gw, name, _HARMFUL_ANSWERS[where]) + ";chunk=4"
    rid = f"answer-{name}"
    r = gw.post("acme", _ask(model, stream=stream), **{"x-request-id": rid})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == rid  # the client's id is still echoed
    blocked = 1 if where == "second choice" else 0
    if stream:
        evs = events(r)
        finishes = {
            c["index"]: (c["finish_reason"], c["delta"].get("content"))
            for e in evs
            for c in e["choices"]
            if c["finish_reason"]
        }
        reason, notice = finishes[blocked]
        assert reason == "content_filter" and "stopped" in str(notice)
        assert all(f[0] == "content_filter" for f in finishes.values())
    else:
        choices = r.json()["choices"]
        assert choices[blocked]["finish_reason"] == "content_filter"
        message = choices[blocked]["message"]
        assert HARMFUL not in orjson.dumps(message).decode() and "tool_calls" not in message
        assert "stopped" in message["content"] and "not sent" not in message["content"]
        assert r.headers["x-sekimori-blocked"] == "output"
        if where == "second choice":  # the other choice is answered as it was
            assert choices[0]["message"]["content"] == "A calm and ordinary answer."
            assert choices[0]["finish_reason"] == "stop"
    row = audit_row(gw.home, rid)
    assert (row["decision"], row["categories"]) == ("block", "weapons.chem")


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_tool_call_answer_is_answered_not_falsely_blocked(gw: Gateway, stream: bool) -> None:
    call = {"name": "get_weather", "arguments": '{"city": "Osaka", "unit": "celsius"}'}
    model = _script(gw, f"weather-{stream}", [{"content": None, "tool_calls": [call]}])
    r = gw.post("acme", _ask(model + ";chunk=5", stream=stream))
    assert r.status_code == 200, r.text
    assert r.headers["x-sekimori-decision"] == "allow"
    assert "x-sekimori-blocked" not in r.headers
    if stream:
        evs = events(r)
        args = "".join(
            t["function"].get("arguments", "")
            for e in evs
            for c in e["choices"]
            for t in c["delta"].get("tool_calls") or ()
        )
        assert args == call["arguments"]
        assert [c["finish_reason"] for e in evs for c in e["choices"] if c["finish_reason"]] == [
            "tool_calls"
        ]
    else:
        choice = r.json()["choices"][0]
        assert choice["finish_reason"] == "tool_calls"
        assert choice["message"]["tool_calls"][0]["function"] == call


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_placeholders_are_restored_in_every_choice_and_tool_call(gw: Gateway, stream: bool) -> None:
    answer: list[dict[str, Any]] = [
        {"content": "I will write to <EMAIL_1> today."},
        {"content": None, "tool_calls": [{"name": "send", "arguments": '{"to": "<EMAIL_1>"}'}]},
    ]
    model = _script(gw, f"restore-{stream}", answer) + ";chunk=3"
    body = {"model": model, "stream": stream, "messages": [_user(f"Write to {EMAIL}")]}
    r = gw.post("acme", body)
    assert r.status_code == 200, r.text
    if stream:
        evs = events(r)
        content = {0: "", 1: ""}
        for e in evs:
            for c in e["choices"]:
                content[c["index"]] += c["delta"].get("content") or ""
                for t in c["delta"].get("tool_calls") or ():
                    content[c["index"]] += t["function"].get("arguments", "")
        assert content == {0: f"I will write to {EMAIL} today.", 1: f'{{"to": "{EMAIL}"}}'}
    else:
        choices = r.json()["choices"]
        assert choices[0]["message"]["content"] == f"I will write to {EMAIL} today."
        arguments = choices[1]["message"]["tool_calls"][0]["function"]["arguments"]
        assert arguments == f'{{"to": "{EMAIL}"}}'


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_an_empty_answer_is_allowed(gw: Gateway, stream: bool) -> None:
    model = _script(gw, f"empty-{stream}", [{"content": ""}])
    r = gw.post("acme", _ask(model, stream=stream))
    assert r.status_code == 200 and r.headers["x-sekimori-decision"] == "allow"
    assert "x-sekimori-blocked" not in r.headers


def test_parts_are_messages_so_any_screen_reads_them() -> None:
    part = Part("tool", "text", "tool_result", ("messages", 1, "content"))
    assert isinstance(part, Message) and part.turn == ("messages", 1)


@pytest.mark.parametrize("where", list(_HARMFUL_ANSWERS))
def test_with_hold_back_no_harmful_text_of_any_choice_reaches_the_client(
    held: Gateway, where: str
) -> None:
    model = _script(held, f"held-{where.replace(' ', '-')}", _HARMFUL_ANSWERS[where])
    r = held.post("acme", _ask(model + ";chunk=3", stream=True))
    evs = events(r)
    shown = orjson.dumps(evs).decode()
    assert "nightshade" not in shown  # not even the first half of the phrase
    finishes = [c["finish_reason"] for e in evs for c in e["choices"] if c["finish_reason"]]
    assert finishes and set(finishes) == {"content_filter"}


def test_with_hold_back_a_benign_multi_choice_answer_arrives_whole(held: Gateway) -> None:
    answer: list[dict[str, Any]] = [
        {"content": "The first choice, answered calmly and at some length."},
        {"reasoning_content": "Think it over.", "content": "The second one."},
        {"content": None, "tool_calls": [{"name": "lookup", "arguments": '{"q": "trains"}'}]},
    ]
    model = _script(held, "held-benign", answer)
    r = held.post("acme", _ask(model + ";chunk=3", stream=True))
    texts: dict[int, str] = {0: "", 1: "", 2: ""}
    for e in events(r):
        for c in e["choices"]:
            delta = c["delta"]
            texts[c["index"]] += (delta.get("reasoning_content") or "") + (
                delta.get("content") or ""
            )
            for t in delta.get("tool_calls") or ():
                texts[c["index"]] += t["function"].get("arguments", "")
    assert texts == {
        0: answer[0]["content"],
        1: "Think it over.The second one.",
        2: '{"q": "trains"}',
    }
    assert r.headers["x-sekimori-decision"] == "allow"


def test_a_harmful_phrase_in_an_answers_content_parts_is_blocked(gw: Gateway) -> None:
    parts = [{"type": "text", "text": "Fine."}, {"type": "text", "text": f"The {HARMFUL}."}]
    model = _script(gw, "content-parts", [{"content": parts}])
    r = gw.post("acme", _ask(model, stream=False))
    assert r.status_code == 200, r.text
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "content_filter" and HARMFUL not in r.text
