"""The screening seam end to end, with the keywords test screen in the gateway process."""

from __future__ import annotations

import sqlite3
import time

import httpx
import openai
import orjson
import pytest

from sekimori.testing.procs import run_cli
from tests.gateway.conftest import Stack

pytestmark = pytest.mark.integration

CHAT = "/v1/chat/completions"


def _audit_row(stack: Stack, request_id: str) -> dict[str, object]:
    with sqlite3.connect(stack.home / "audit.db") as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT * FROM audit WHERE client_request_id = ?", (request_id,)
        ).fetchone()
    assert row is not None, f"no audit record for {request_id}"
    return dict(row)


def _audit_row_eventually(stack: Stack, request_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 20  # batched writes; generous for loaded machines
    while True:
        try:
            return _audit_row(stack, request_id)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _events(body: bytes) -> list[dict[str, object]]:
    lines = [line[6:] for line in body.split(b"\n") if line.startswith(b"data: ")]
    return [orjson.loads(line) for line in lines if line != b"[DONE]"]


def _text(events: list[dict[str, object]]) -> str:
    out = []
    for event in events:
        for choice in event.get("choices", []):  # type: ignore[attr-defined]
            out.append(choice["delta"].get("content") or "")
    return "".join(out)


def test_blocked_input_gets_a_normal_completion_with_a_refusal(stack: Stack) -> None:
    client = openai.OpenAI(base_url=stack.url + "/v1", api_key=stack.key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="echo",
        messages=[{"role": "user", "content": "tell me the forbidden-word please"}],
        extra_headers={"x-request-id": "blocked-1"},
    )
    answer = raw.parse()
    assert raw.headers["x-sekimori-decision"] == "block"
    assert raw.headers["x-sekimori-categories"] == "crime.nonviolent"
    assert answer.choices[0].finish_reason == "content_filter"
    assert "can't help" in (answer.choices[0].message.content or "")
    # durable before the response was sent: the row is there at once
    row = _audit_row(stack, "blocked-1")
    assert (row["decision"], row["status"], row["upstream"]) == ("block", 200, "fake")
    # the structured event: which screen decided what, where it stopped
    assert (row["version"], row["blocked_at"], row["held"]) == (2, "input", 0)
    stages = orjson.loads(str(row["stages"]))
    assert [(s["stage"], s["action"], s["categories"]) for s in stages] == [
        ("input", "block", ["crime.nonviolent"])
    ]
    # the upstream never saw it
    last = httpx.get(stack.upstream.url + "/_fake/last").content
    assert b"forbidden-word" not in last


def test_blocked_input_refusal_follows_the_language_and_streams(stack: Stack) -> None:
    body = {
        "model": "echo",
        "stream": True,
        "messages": [{"role": "user", "content": "forbidden-word について教えてください"}],
    }
    r = httpx.post(stack.url + CHAT, json=body, headers=stack.auth)
    events = _events(r.content)
    assert "申し訳ありません" in _text(events)
    assert events[-1]["choices"][0]["finish_reason"] == "content_filter"  # type: ignore[index]
    assert r.content.endswith(b"data: [DONE]\n\n")


def test_flagged_request_is_answered_and_durably_audited(stack: Stack) -> None:
    body = {"model": "echo", "messages": [{"role": "user", "content": "a suspicious-word here"}]}
    r = httpx.post(stack.url + CHAT, json=body, headers={**stack.auth, "x-request-id": "flag-1"})
    assert r.headers["x-sekimori-decision"] == "flag"
    assert r.json()["choices"][0]["message"]["content"] == "echo: a suspicious-word here"
    assert _audit_row(stack, "flag-1")["decision"] == "flag"


def test_redaction_hides_the_text_from_the_upstream_and_restores_the_answer(stack: Stack) -> None:
    body = {"model": "echo", "messages": [{"role": "user", "content": "mail Alice Example today"}]}
    r = httpx.post(stack.url + CHAT, json=body, headers=stack.auth)
    assert r.headers["x-sekimori-decision"] == "redact"
    assert r.json()["choices"][0]["message"]["content"] == "echo: mail Alice Example today"
    seen = orjson.loads(httpx.get(stack.upstream.url + "/_fake/last").content)
    assert seen["messages"][0]["content"] == "mail [REDACTED-0] today"


def test_streamed_redaction_is_restored_across_chunk_boundaries(stack: Stack) -> None:
    body = {
        "model": "echo;chunk=3",
        "stream": True,
        "messages": [{"role": "user", "content": "call Alice Example now"}],
    }
    r = httpx.post(stack.url + CHAT, json=body, headers=stack.auth)
    assert _text(_events(r.content)) == "echo: call Alice Example now"


def test_answer_turning_harmful_mid_stream_ends_with_content_filter(stack: Stack) -> None:
    benign = "This is a long and harmless opening that goes on for a while. " * 3
    script = benign + "Step one: [REDACTED]. " + "More detail follows here. " * 20
    httpx.post(stack.upstream.url + "/_fake/scripts/turns", content=script.encode())
    body = {
        "model": "script:turns;delay=0.005",
        "stream": True,
        "messages": [{"role": "user", "content": "tell me a story"}],
    }
    r = httpx.post(stack.url + CHAT, json=body, headers={**stack.auth, "x-request-id": "turn-1"})
    events = _events(r.content)
    text = _text(events)
    assert events[-1]["choices"][0]["finish_reason"] == "content_filter"  # type: ignore[index]
    assert text.startswith(benign)
    assert len(text) < len(script) - 200  # stopped well before the end
    row = _audit_row_eventually(stack, "turn-1")
    assert row["decision"] == "block" and row["stream"] == 1
    assert row["blocked_at"] == "output"  # cut after the headers: the audit still says where
    stages = {s["stage"]: s["action"] for s in orjson.loads(str(row["stages"]))}
    assert stages == {"input": "allow", "output": "block"}


def test_non_streamed_harmful_answer_is_replaced(stack: Stack) -> None:
    body = {"model": "say:Sure, [REDACTED] is how", "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(stack.url + CHAT, json=body, headers=stack.auth)
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "content_filter"
    assert "[REDACTED]" not in choice["message"]["content"]
    assert r.headers["x-sekimori-decision"] == "block"  # sent after the answer was screened


def test_blocked_header_names_the_stage(stack: Stack) -> None:
    refused = {"model": "echo", "messages": [{"role": "user", "content": "the forbidden-word"}]}
    for stream in (False, True):
        r = httpx.post(stack.url + CHAT, json={**refused, "stream": stream}, headers=stack.auth)
        assert r.headers["x-sekimori-blocked"] == "input", f"stream={stream}"
        assert r.headers["x-sekimori-decision"] == "block"
    cut = {"model": "say:Sure, [REDACTED] is how", "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(stack.url + CHAT, json=cut, headers=stack.auth)
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"
    assert r.headers["x-sekimori-blocked"] == "output"
    # A streamed answer is cut after its headers went out: only its last chunk tells.
    r = httpx.post(stack.url + CHAT, json={**cut, "stream": True}, headers=stack.auth)
    events = _events(r.content)
    assert events[-1]["choices"][0]["finish_reason"] == "content_filter"  # type: ignore[index]
    assert "x-sekimori-blocked" not in r.headers
    for text in ("how do clouds form?", "a suspicious-word here"):  # allowed, flagged
        body = {"model": "echo", "messages": [{"role": "user", "content": text}]}
        r = httpx.post(stack.url + CHAT, json=body, headers=stack.auth)
        assert r.status_code == 200 and "x-sekimori-blocked" not in r.headers


def test_audit_records_counts_and_keeps_no_text_by_default(stack: Stack) -> None:
    r = httpx.post(
        stack.url + CHAT,
        json={"model": "echo", "messages": [{"role": "user", "content": "count these words"}]},
        headers={**stack.auth, "x-request-id": "plain-1"},
    )
    assert r.status_code == 200
    row = _audit_row_eventually(stack, "plain-1")
    assert row["tenant"] == "acme" and row["model"] == "echo" and row["status"] == 200
    assert (row["prompt_tokens"], row["completion_tokens"]) == (3, 4)
    assert row["prompt"] is None and row["answer"] is None and row["text_mode"] == "none"
    assert float(row["total_ms"]) >= float(row["upstream_ms"]) > 0  # type: ignore[arg-type]


def test_a_tenant_can_keep_its_text(stack: Stack) -> None:
    from sekimori.testing.procs import create_key

    key = create_key(stack.home, "keeper")
    httpx.post(
        stack.url + CHAT,
        json={"model": "echo", "messages": [{"role": "user", "content": "keep me"}]},
        headers={"Authorization": f"Bearer {key}", "x-request-id": "keep-1"},
    )
    row = _audit_row_eventually(stack, "keep-1")
    assert row["text_mode"] == "text" and "keep me" in str(row["prompt"])
    assert row["answer"] == "echo: keep me"


def test_audit_cli_tail_and_verify(stack: Stack) -> None:
    _audit_row_eventually(stack, "plain-1")
    tail = run_cli(stack.home, "audit", "tail", "-n", "3", "--json")
    assert tail.returncode == 0
    assert len(tail.stdout.strip().splitlines()) == 3
    verify = run_cli(stack.home, "audit", "verify")
    assert verify.returncode == 0 and "chain intact" in verify.stdout
