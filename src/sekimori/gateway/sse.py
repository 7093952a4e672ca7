"""Splitting an OpenAI server-sent-event stream into events, and building the events we add."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"


@dataclass(slots=True)
class Event:
    raw: bytes  # the event as received, with its terminating blank line
    data: dict[str, Any] | None  # the parsed JSON of a `data:` line; None for [DONE] and others
    done: bool = False


class EventSplitter:
    """Feeds raw upstream bytes, returns complete events; keeps the incomplete rest."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[Event]:
        buffer = self._buffer + chunk
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n")
        *complete, self._buffer = buffer.split(b"\n\n")
        events = []
        for block in complete:
            if not block:
                continue
            data_line = None
            for line in block.split(b"\n"):
                if line.startswith(b"data:"):
                    data_line = line[5:].strip()
            if data_line == b"[DONE]":
                events.append(Event(block + b"\n\n", None, done=True))
                continue
            parsed: Any = None
            if data_line:
                try:
                    parsed = orjson.loads(data_line)
                except orjson.JSONDecodeError:
                    parsed = None
            events.append(Event(block + b"\n\n", parsed if isinstance(parsed, dict) else None))
        return events

    def rest(self) -> bytes:
        return self._buffer


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
