"""Reading and checking a chat-completion request by hand: fast, and every error names its field.

The body is forwarded as the client sent it; only the fields the gateway relies on, and the
types of the common sampling fields, are checked here. What is screened is every part of the
request (`sekimori.gateway.parts`), not only the messages' text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from sekimori.gateway.errors import HttpError, bad_request
from sekimori.gateway.parts import prompt_parts, request_parts
from sekimori.gateway.responses import response_parts
from sekimori.screen import Part
from sekimori.types import Message

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

# Content parts whose `text` is read (chat's `text`, the Responses API's input and output text).
TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MAX_MODEL_CHARS = 256
# field -> (allowed python types, low, high); bool is rejected where a number is expected.
NUMBER_FIELDS: dict[str, tuple[tuple[type[int] | type[float], ...], float, float]] = {
    "temperature": ((int, float), 0, 2),
    "top_p": ((int, float), 0, 1),
    "presence_penalty": ((int, float), -2, 2),
    "frequency_penalty": ((int, float), -2, 2),
    "max_tokens": ((int,), 1, 2**31),
    "max_completion_tokens": ((int,), 1, 2**31),
    "n": ((int,), 1, 128),
    "seed": ((int,), -(2**63), 2**63 - 1),
    "top_logprobs": ((int,), 0, 20),
    "max_output_tokens": ((int,), 1, 2**31),
}
# Roles of a Responses input message (no `tool`/`function`: their results are items of their own).
RESPONSE_ROLES = frozenset({"system", "developer", "user", "assistant"})


class ClientDisconnected(Exception):
    """The client went away while sending its body."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    model: str
    stream: bool
    include_usage: bool
    messages: tuple[Message, ...]  # the text parts of each message joined (audit, language)
    body: dict[str, Any]  # the whole request as parsed, forwarded upstream
    parts: tuple[Part, ...] = ()  # every text of the request, each where it is: what is screened
    shape: str = "chat"  # the endpoint's wire shape (`sekimori.gateway.shapes.SHAPES`)


async def read_body(receive: Receive, content_length: int | None, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    if content_length is not None and content_length > limit:
        raise _too_large(limit)
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
        if not message.get("more_body"):
            break
    return parts[0] if len(parts) == 1 else b"".join(parts)


class BodyBudget:
    """The bytes of request bodies held at once, bounded (`server.max_inflight_bytes`): memory
    stays bounded however many clients send at once. Touched on the event loop only."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> int:
        """Reserves `size` bytes until `give`; raises 503 `overloaded` when there is no room."""
        if self.held and self.held + size > self.limit:
            raise HttpError(
                503,
                f"the gateway holds its limit of request bodies ({self.limit} bytes, "
                "server.max_inflight_bytes); retry after 1 s / 処理中のリクエスト本文が上限に"
                "達しています。1 秒後に再試行してください",
                code="overloaded",
                type="server_error",
                headers=[(b"retry-after", b"1")],
            )
        self.held += size
        return size

    def give(self, size: int) -> None:
        self.held -= size


def _too_large(limit: int) -> HttpError:
    return HttpError(
        413,
        f"request body is larger than the limit of {limit} bytes (server.max_body_bytes)",
        code="request_too_large",
    )


def _content_text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict):
                raise bad_request(f"{where}[{i}] must be an object", f"{where}[{i}]")
            kind = part.get("type")
            if not isinstance(kind, str):
                raise bad_request(f"{where}[{i}].type must be a string", f"{where}[{i}].type")
            if kind in TEXT_PART_TYPES:
                text = part.get("text")
                if not isinstance(text, str):
                    raise bad_request(f"{where}[{i}].text must be a string", f"{where}[{i}].text")
                texts.append(text)
        return "\n".join(texts)
    raise bad_request(f"{where} must be a string, an array of parts, or null", where)


def _object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object with a valid `model`."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "UTF-8" in str(exc):
            raise bad_request("request body is not valid UTF-8") from None
        raise bad_request(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required and must be a non-empty string", "model")
    if len(model) > MAX_MODEL_CHARS:
        raise bad_request(f"model is longer than {MAX_MODEL_CHARS} characters", "model")
    return data


def _texts(data: dict[str, Any], key: str, *, required: bool) -> str:
    """A `prompt` / `input` that is a string or an array of strings, joined (audit, language).

    Token ids are refused: the gateway screens text and cannot read what they say.
    """
    value = data.get(key)
    if value is None and not required:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if isinstance(value, list) and value and not any(isinstance(v, str) for v in value):
        raise bad_request(
            f"{key} as token ids cannot be screened; send it as text (a string or an array of "
            "strings) / トークン ID は検査できないため、テキストで送ってください",
            key,
        )
    raise bad_request(
        f"{key} is required and must be a string or a non-empty array of strings", key
    )


def parse_completion(body: bytes, *, max_messages: int) -> ChatRequest:
    """POST /v1/completions: `prompt` (and `suffix`) screened like a user message."""
    data = _object(body)
    prompt = _texts(data, "prompt", required=True)
    if data.get("suffix") is not None and not isinstance(data["suffix"], str):
        raise bad_request("suffix must be a string", "suffix")
    streaming = _streaming(data)
    _check_numbers(data)
    return ChatRequest(
        model=data["model"],
        stream=streaming.stream,
        include_usage=streaming.include_usage,
        messages=(Message("user", prompt),),
        body=data,
        parts=(*prompt_parts(data, "prompt"), *prompt_parts(data, "suffix")),
        shape="completions",
    )


def parse_embedding(body: bytes, *, max_messages: int) -> ChatRequest:
    """POST /v1/embeddings: `input` screened and redacted like a user message."""
    data = _object(body)
    text = _texts(data, "input", required=True)
    stream = data.get("stream")
    if stream is not None and stream is not False:  # `{}` or 0 is no "false" (found by fuzzing)
        raise bad_request("embeddings cannot be streamed; stream must be false or absent", "stream")
    return ChatRequest(
        model=data["model"],
        stream=False,
        include_usage=False,
        messages=(Message("user", text),),
        body=data,
        parts=tuple(prompt_parts(data, "input")),
        shape="embeddings",
    )


def parse_response(body: bytes, *, max_messages: int) -> ChatRequest:
    """POST /v1/responses: `instructions`, `input` (a string or items) and tools screened."""
    data = _object(body)
    instructions = data.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise bad_request("instructions must be a string", "instructions")
    messages = [Message("system", instructions)] if instructions else []
    items = data.get("input")
    if isinstance(items, str):
        messages.append(Message("user", items))
    elif isinstance(items, list):
        if len(items) > max_messages:
            raise bad_request(f"input has {len(items)} items; the limit is {max_messages}", "input")
        for i, item in enumerate(items):
            message = _response_item(item, f"input[{i}]")
            if message is not None:
                messages.append(message)
    elif items is not None:
        raise bad_request("input must be a string or an array of items", "input")
    if data.get("tools") is not None and not isinstance(data["tools"], list):
        raise bad_request("tools must be an array", "tools")
    streaming = _streaming(data)
    _check_numbers(data)
    return ChatRequest(
        model=data["model"],
        stream=streaming.stream,
        include_usage=False,
        messages=tuple(messages),
        body=data,
        parts=tuple(response_parts(data)),
        shape="responses",
    )


def _response_item(item: Any, where: str) -> Message | None:
    """One input item checked; a message (or a tool's output) as a Message for the audit."""
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object", where)
    kind = item.get("type", "message")
    if not isinstance(kind, str):
        raise bad_request(f"{where}.type must be a string", f"{where}.type")
    if kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else _content_text(output, f"{where}.output")
        return Message("tool", text)
    if kind != "message":
        return None  # function calls, reasoning, references: screened as parts, not messages
    role = item.get("role")
    if not isinstance(role, str) or role not in RESPONSE_ROLES:
        raise bad_request(
            f"{where}.role must be one of {', '.join(sorted(RESPONSE_ROLES))}", f"{where}.role"
        )
    if "content" not in item:
        raise bad_request(f"{where}.content is required", f"{where}.content")
    return Message(role, _content_text(item["content"], f"{where}.content"))


def parse_chat(body: bytes, *, max_messages: int) -> ChatRequest:
    data = _object(body)
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise bad_request("messages is required and must be a non-empty array", "messages")
    if len(raw_messages) > max_messages:
        raise bad_request(
            f"messages has {len(raw_messages)} items; the limit is {max_messages}", "messages"
        )
    messages = []
    for i, message in enumerate(raw_messages):
        if not isinstance(message, dict):
            raise bad_request(f"messages[{i}] must be an object", f"messages[{i}]")
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise bad_request(
                f"messages[{i}].role must be one of {', '.join(sorted(ROLES))}",
                f"messages[{i}].role",
            )
        if "content" not in message and role != "assistant":
            raise bad_request(f"messages[{i}].content is required", f"messages[{i}].content")
        messages.append(
            Message(role, _content_text(message.get("content"), f"messages[{i}].content"))
        )
    streaming = _streaming(data)
    _check_numbers(data)
    return ChatRequest(
        model=data["model"],
        stream=streaming.stream,
        include_usage=streaming.include_usage,
        messages=tuple(messages),
        body=data,
        parts=tuple(request_parts(data)),
    )


@dataclass(frozen=True, slots=True)
class _Streaming:
    stream: bool
    include_usage: bool


def _streaming(data: dict[str, Any]) -> _Streaming:
    """`stream` and `stream_options.include_usage`, checked."""
    stream = data.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad_request("stream must be a boolean", "stream")
    include_usage = False
    options = data.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise bad_request("stream_options must be an object", "stream_options")
        include_usage = options.get("include_usage", False)
        if not isinstance(include_usage, bool):
            raise bad_request(
                "stream_options.include_usage must be a boolean", "stream_options.include_usage"
            )
    return _Streaming(stream, include_usage)


def _check_numbers(data: dict[str, Any]) -> None:
    for field, (types, low, high) in NUMBER_FIELDS.items():
        value = data.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            kind = "an integer" if types == (int,) else "a number"
            raise bad_request(f"{field} must be {kind}", field)
        if not low <= value <= high:
            raise bad_request(f"{field} must be between {low} and {high}", field)
