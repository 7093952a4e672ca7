"""The chat handler in process, with a scripted upstream: stream edges that a real upstream
cannot be made to produce on cue (a placeholder cut inside tool-call arguments of one choice
while another choice streams, the last text arriving in the finishing chunk, a stream that
never finishes)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import orjson

from sekimori.audit.record import AuditRecord
from sekimori.gateway.chat import ChatHandler, Exchange, RequestIds
from sekimori.gateway.keys import Principal
from sekimori.gateway.metrics import Metrics
from sekimori.gateway.parse import parse_chat
from sekimori.screen import (
    InputResult,
    KeywordScreen,
    OutputResult,
    OutputWindow,
    ScreenContext,
)
from sekimori.settings import load_settings

NAME = "Alice Example"  # redacted to [REDACTED-0] by the keyword screen, restored in the answer


class _Response:
    status = 200
    headers = ()

    def __init__(self, events: list[bytes], pause: float = 0.0) -> None:
        self.events = events
        self.pause = pause  # between events: lets each window's screen finish, as a model's pace

    async def chunks(self) -> AsyncIterator[bytes]:
        for event in self.events:
            if self.pause:
                await asyncio.sleep(self.pause)
            yield event

    async def read(self) -> bytes:
        return b"".join(self.events)

    async def close(self) -> None:
        return None


class _Upstream:
    name = "scripted"

    def __init__(self, events: list[bytes], pause: float = 0.0) -> None:
        self.events = events
        self.pause = pause
        self.bodies: list[bytes] = []

    async def post(self, path: str, body: bytes, *, stream: bool) -> _Response:
        self.bodies.append(body)
        return _Response(self.events, self.pause)


class _Recorder:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def record(self, record: AuditRecord, *, durable: bool = False) -> None:
        self.records.append(record)


def _event(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": index, "delta": delta, "finish_reason": finish}
    return b"data: " + orjson.dumps({"id": "c", "choices": [choice]}) + b"\n\n"


def _args(index: int, k: int, text: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": k, "function": {"arguments": text}}]}


class _RiskScreen(KeywordScreen):
    """The keyword screen, saying whether the prompt's risk is low and counting the windows."""

    def __init__(self, *, low_risk: bool) -> None:
        super().__init__(block_output=("forbidden",), redact=(NAME,))
        self.low_risk = low_risk
        self.windows: list[OutputWindow] = []

    async def screen_input(self, context: ScreenContext, messages: Any) -> InputResult:
        result = await super().screen_input(context, messages)
        return dataclasses.replace(result, low_risk=self.low_risk)

    async def screen_output(self, context: ScreenContext, window: OutputWindow) -> OutputResult:
        self.windows.append(window)
        return await super().screen_output(context, window)


def _run(
    tmp_path: Path,
    events: list[bytes],
    text: str,
    screen: KeywordScreen | None = None,
    pause: float = 0.0,
) -> tuple[list[dict[str, Any]], Exchange]:
    settings = load_settings(
        overrides={
            "home": str(tmp_path),
            "screen": {"name": "keywords", "window_chars": 64, "stride_chars": 16},
        }
    )
    screen = screen or KeywordScreen(block_output=("forbidden",), redact=(NAME,))
    handler = ChatHandler(settings, screen, _Recorder(), Metrics(), audit_key=bytes(32))
    body = orjson.dumps(
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": text}]}
    )
    ex = Exchange(
        Principal("acme", "k1"), parse_chat(body, max_messages=10), RequestIds("r1"), time.time()
    )
    upstream = _Upstream(events, pause)
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        await asyncio.Event().wait()  # the client never leaves
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(handler.handle(ex, upstream, body, receive, send))
    assert NAME not in upstream.bodies[0].decode()  # redacted before it left
    stream = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    lines = [line[6:] for line in stream.split(b"\n") if line.startswith(b"data: ")]
    return [orjson.loads(line) for line in lines if line != b"[DONE]"], ex


def _texts(evs: list[dict[str, Any]]) -> dict[int, str]:
    out: dict[int, str] = {}
    for e in evs:
        for c in e["choices"]:
            delta = c["delta"]
            text = delta.get("content") or ""
            for call in delta.get("tool_calls") or ():
                text += call["function"].get("arguments", "")
            out[c["index"]] = out.get(c["index"], "") + text
    return out


def test_placeholders_cut_across_deltas_are_restored_per_choice_and_tool_call(
    tmp_path: Path,
) -> None:
    events = [
        _event(0, {"role": "assistant", "content": "Dear [RED"}),
        _event(1, {"tool_calls": [{"index": 0, "function": {"name": "send", "arguments": ""}}]}),
        _event(1, _args(1, 0, '{"to": "[REDAC')),
        _event(0, {"content": "ACTED-0], hello"}),
        _event(1, _args(1, 0, 'TED-0]"}')),
        # The last text comes in the finishing chunk, a placeholder's start with it.
        _event(0, {"content": " from [REDACTED-"}, None),
        _event(0, {"content": "0]"}, "stop"),
        _event(1, {}, "tool_calls"),
        # A finishing chunk whose text ends like a placeholder's start: released with it.
        _event(2, {"content": "P.S. [REDACT"}, "stop"),
        b"data: [DONE]\n\n",
    ]
    evs, ex = _run(tmp_path, events, f"Write to {NAME}")
    assert _texts(evs) == {
        0: f"Dear {NAME}, hello from {NAME}",
        1: f'{{"to": "{NAME}"}}',
        2: "P.S. [REDACT",
    }
    finished = [(c["index"], c["finish_reason"]) for e in evs for c in e["choices"]]
    assert [f for f in finished if f[1]] == [(0, "stop"), (1, "tool_calls"), (2, "stop")]
    # Each choice finishes after its last text.
    last_text = max(
        i for i, e in enumerate(evs) if e["choices"][0]["index"] == 0 and _texts([e])[0]
    )
    stop = next(i for i, e in enumerate(evs) if e["choices"][0]["finish_reason"] == "stop")
    assert last_text <= stop
    texts = [f"Dear {NAME}, hello from {NAME}", f'send {{"to": "{NAME}"}}', "P.S. [REDACT"]
    assert ex.answer == ["\n\n".join(texts)]  # audited: every choice, in order


def test_a_stream_that_never_finishes_still_gets_its_held_tails(tmp_path: Path) -> None:
    events = [
        _event(0, {"content": "To [REDACTED"}),
        _event(1, _args(1, 0, '{"to": "[REDACTED')),
    ]
    evs, _ = _run(tmp_path, events, f"Write to {NAME}")
    # A tail that is only the start of a placeholder goes out as it came.
    assert _texts(evs) == {0: "To [REDACTED", 1: '{"to": "[REDACTED'}


def test_a_block_in_one_choice_ends_every_choice(tmp_path: Path) -> None:
    events = [
        _event(0, {"content": "A calm answer that goes on for a while."}),
        _event(1, {"content": "Something forbidden follows."}),
        _event(0, {"content": " More calm text."}, "stop"),
        _event(1, {}, "stop"),
        b"data: [DONE]\n\n",
    ]
    evs, ex = _run(tmp_path, events, "hello")
    finishes = {
        c["index"]: c["finish_reason"] for e in evs for c in e["choices"] if c["finish_reason"]
    }
    assert finishes == {0: "content_filter", 1: "content_filter"}
    assert ex.decision.action.value == "block"


def _words(count: int, marker_at: int | None = None) -> list[bytes]:
    words = [f"word{i:03d} " for i in range(count)]  # 8 characters each
    if marker_at is not None:
        words[marker_at] = "forbidden "
    return [
        _event(0, {"role": "assistant", "content": words[0]}),
        *(_event(0, {"content": w}) for w in words[1:]),
        _event(0, {}, "stop"),
        b"data: [DONE]\n\n",
    ]


def test_a_low_risk_prompt_is_judged_once_a_window_not_every_stride(tmp_path: Path) -> None:
    counts = {}
    for low in (False, True):
        screen = _RiskScreen(low_risk=low)
        evs, _ = _run(tmp_path / str(low), _words(40), "Tell me a story", screen, pause=0.002)
        assert "word039" in _texts(evs)[0]
        assert screen.windows[-1].final
        counts[low] = len(screen.windows)
        ends = [w.offset + len(w.text) for w in screen.windows]
        # the windows judged while streaming leave no gap: a cut is at most one window late
        assert all(w.offset <= end for w, end in zip(screen.windows[1:], ends, strict=False))
        # the opening is judged after one stride (16 characters) either way
        assert ends[0] == 16
        if low:  # then once a window (64 characters), not every stride
            streamed = ends[:-1]
            assert all(b - a >= 64 for a, b in itertools.pairwise(streamed))
    assert counts[True] < counts[False]


def test_a_low_risk_prompts_answer_is_still_cut(tmp_path: Path) -> None:
    screen = _RiskScreen(low_risk=True)
    evs, ex = _run(tmp_path, _words(60, marker_at=20), "Tell me", screen, pause=0.002)
    shown = _texts(evs)[0]
    assert "word059" not in shown
    assert ex.decision.action.value == "block"
    # judged within one window of the marker at character 160 (8 characters a word)
    first = next(w for w in screen.windows if "forbidden" in w.text)
    assert first.offset + len(first.text) - 160 <= 64 + 8
