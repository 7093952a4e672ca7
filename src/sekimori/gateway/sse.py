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


def delta_content(data: dict[str, Any]) -> str:
    """The text in the first choice's delta ('' when none)."""
    choices = data.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        delta = choices[0].get("delta")
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str):
                return content
    return ""


def finish_reason(data: dict[str, Any]) -> str | None:
    choices = data.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        reason = choices[0].get("finish_reason")
        return reason if isinstance(reason, str) else None
    return None


def set_delta_content(data: dict[str, Any], content: str) -> None:
    data["choices"][0]["delta"]["content"] = content


def chunk_event(
    ident: str, created: int, model: str, delta: dict[str, str], finish: str | None
) -> bytes:
    return encode(
        {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )
