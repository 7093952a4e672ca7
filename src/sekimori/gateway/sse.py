"""Splitting an OpenAI server-sent-event stream into events, and building the events we add."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"


@dataclass(slots=True)
class Event:
    raw: bytes  # the event to forward: one `data:` line and the blank line that ends it
    data: dict[str, Any]  # its parsed JSON object ({} for [DONE])
    done: bool = False


class EventSplitter:
    """Feeds raw upstream bytes, returns complete events; keeps the incomplete rest.

    Only `data:` events holding a JSON object (and `data: [DONE]`) come out; anything else is
    dropped and counted in `dropped` (SSE comments, which keep a connection alive, uncounted).
    An event's other lines (`event:`, `id:`) are dropped too: OpenAI streams carry none.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self.dropped = 0

    def feed(self, chunk: bytes) -> list[Event]:
        buffer = self._buffer + chunk
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n")
        *complete, self._buffer = buffer.split(b"\n\n")
        events = []
        for block in complete:
            event = self._parse(block)
            if event is not None:
                events.append(event)
        return events

    def end(self) -> list[Event]:
        """The stream ended: its last event, if one was left without the blank line after it."""
        block, self._buffer = self._buffer.strip(b"\n"), b""
        event = self._parse(block) if block else None
        return [] if event is None else [event]

    def _parse(self, block: bytes) -> Event | None:
        if not block:
            return None
        lines = block.split(b"\n")
        data_line = None
        for line in lines:
            if line.startswith(b"data:"):
                data_line = line[5:].strip()
        if data_line == b"[DONE]":
            return Event(DONE, {}, done=True)
        parsed: Any = None
        if data_line:
            try:
                parsed = orjson.loads(data_line)
            except orjson.JSONDecodeError:
                parsed = None
        if data_line is None or not isinstance(parsed, dict):
            if not all(line.startswith(b":") for line in lines):
                self.dropped += 1
            return None
        if len(lines) == 1:
            return Event(block + b"\n\n", parsed)
        return Event(b"data: " + data_line + b"\n\n", parsed)


def encode(data: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


def index_of(item: Any, position: int) -> int:
    """A choice's or tool call's `index`, or its position when it has no integer one."""
    index = item.get("index", position) if isinstance(item, dict) else position
    return index if isinstance(index, int) and not isinstance(index, bool) else position


def finished_choices(data: dict[str, Any]) -> list[int]:
    """The indexes of the choices this chunk finishes (those with a finish_reason)."""
    choices = data.get("choices")
    if not isinstance(choices, list):
        return []
    return [
        index_of(choice, position)
        for position, choice in enumerate(choices)
        if isinstance(choice, dict) and isinstance(choice.get("finish_reason"), str)
    ]


def chunk_event(
    ident: str,
    created: int,
    model: str,
    delta: dict[str, Any],
    finish: str | None,
    index: int = 0,
) -> bytes:
    return encode(
        {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
        }
    )
