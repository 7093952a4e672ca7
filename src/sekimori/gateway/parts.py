"""Where the text is in a chat-completions exchange: a request as parts, an answer per choice.

The screens judge texts; this module knows the wire format (REVIEW item 1). A request becomes
a list of `Part`s, each with its kind, its role and its locator (its JSON path in the body),
and rewrites (PII placeholders) are written back by locator. An answer, whole or as streamed
chunks, becomes texts per choice: content (a string, or each text part of an array), `refusal`,
reasoning (`reasoning_content`, `reasoning`) and the arguments of each tool call (legacy
`function_call` too), accumulated per choice and per tool-call index across deltas.

Request parts, and which are rewritten when the tenant redacts (names are identifiers the
client matches on: screened, never rewritten; `tool_call_args` is `tool_call_arguments`):

| part | kind | rewritten |
|---|---|---|
| `messages[i].content` (string, or each `text`/`refusal` part) | the role's kind | yes |
| `messages[i].reasoning_content` / `reasoning` (assistant history) | assistant_history | yes |
| `messages[i].tool_calls[k].function.arguments`, `function_call.arguments` | tool_call_args | yes |
| `messages[i].name`, tool-call and function names, `tools[k].function.name` | name | no |
| `tools[k].function.description`, `functions[k].description` | tool_description | yes |
| `tools[k].function.parameters` (as JSON text) | tool_description | no (a schema) |
| text in a `data:` URL (`image_url.url`, `file.file_data`) | data_url | yes, when decoded whole |
| completions `prompt` / `prompt[i]`, `suffix`; embeddings `input` / `input[i]` | user | yes |

A `data:` URL is decoded when its media type is text-like (`text/*`, JSON, XML, YAML, CSV, ...)
or, for another non-media type, when its bytes are valid UTF-8; images, audio and video are
skipped. At most `DATA_URL_BYTES` decoded bytes of one URL are screened; a longer one is screened
by its head and not rewritten (the redacted head cannot be spliced back into the encoded whole).
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from sekimori.gateway.sse import index_of
from sekimori.screen import ROLE_KINDS, Locator, Part, PartKind
from sekimori.types import Message

DATA_URL_BYTES = 64 * 1024  # decoded bytes of one data: URL screened at most
_MEDIA_SKIPPED = ("image/", "audio/", "video/", "font/", "model/")
_TEXT_MEDIA = (
    "text/",
    "application/json",
    "application/xml",
    "application/yaml",
    "application/x-yaml",
    "application/csv",
    "application/javascript",
    "application/x-ndjson",
    "application/ld+json",
    "application/xhtml+xml",
)
_NOT_REWRITTEN: frozenset[PartKind] = frozenset({"name"})
_REASONING = ("reasoning_content", "reasoning")


# -- data: URLs
@dataclass(frozen=True, slots=True)
class DataText:
    """The text of a `data:` URL as screened."""

    text: str
    whole: bool  # all of it was decoded (False: only the first DATA_URL_BYTES)
    header: str  # what comes between `data:` and the comma, kept for re-encoding
    is_base64: bool


def data_url_text(url: str, limit: int = DATA_URL_BYTES) -> DataText | None:
    """The text in a `data:` URL, or None when it is not one or holds no text (an image)."""
    if not url.startswith("data:"):
        return None
    header, comma, payload = url[5:].partition(",")
    if not comma:
        return None
    params = [p.strip() for p in header.split(";")]
    media = params[0].lower() or "text/plain"
    is_base64 = any(p.lower() == "base64" for p in params[1:])
    if media.startswith(_MEDIA_SKIPPED):
        return None
    if is_base64:
        # Decode only what the bound needs (4 characters of base64 are 3 bytes), with room
        # for line breaks that some encoders put in.
        need = (limit // 3 + 1) * 4
        chunk = payload[: need + need // 2]
        compact = "".join(chunk.split())
        whole = len(chunk) == len(payload) and len(compact) <= need
        if not whole:
            compact = compact[:need]
        try:
            raw = base64.b64decode(compact + "=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            return None
        whole = whole and len(raw) <= limit
    else:
        raw = urllib.parse.unquote_to_bytes(payload[: limit * 3])
        whole = len(payload) <= limit * 3 and len(raw) <= limit
    raw = raw[:limit]
    textlike = media.startswith(_TEXT_MEDIA) or media.endswith(("+json", "+xml"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not textlike and exc.start < len(raw) - 3:
            return None  # binary (a PDF, an archive): nothing a text screen can read
        # Text cut inside a character by the bound, or a text type in another encoding.
        text = raw.decode("utf-8", "replace")
    return DataText(text, whole, header, is_base64)


def encode_data_url(data: DataText, text: str) -> str:
    """A `data:` URL with the same header holding `text` instead."""
    raw = text.encode("utf-8")
    if data.is_base64:
        return f"data:{data.header}," + base64.b64encode(raw).decode("ascii")
    return f"data:{data.header}," + urllib.parse.quote_from_bytes(raw, safe="")


# -- requests
def request_parts(body: dict[str, Any]) -> list[Part]:
    """Every text of a (validated) chat-completions request body, in body order."""
    return list(_request_parts(body))


def _request_parts(body: dict[str, Any]) -> Iterator[Part]:
    messages = body.get("messages")
    if isinstance(messages, list):
        for i, message in enumerate(messages):
            if isinstance(message, dict):
                yield from _message_parts(i, message)
    for key in ("tools", "functions"):
        tools = body.get(key)
        if not isinstance(tools, list):
            continue
        for k, tool in enumerate(tools):
            if not isinstance(tool, dict):
                continue
            # tools[k] = {"type": "function", "function": {...}}; functions[k] = {...}
            at: Locator
            if key == "tools":
                spec, at = tool.get("function"), (key, k, "function")
            else:
                spec, at = tool, (key, k)
            if isinstance(spec, dict):
                yield from function_parts(spec, at)


def _message_parts(i: int, message: dict[str, Any]) -> Iterator[Part]:
    role = str(message.get("role", "user"))
    kind = ROLE_KINDS.get(role, "user")
    at: Locator = ("messages", i)
    content = message.get("content")
    if isinstance(content, str):
        yield Part(role, content, kind, (*at, "content"))
    elif isinstance(content, list):
        for j, item in enumerate(content):
            if isinstance(item, dict):
                yield from _content_part(role, kind, (*at, "content", j), item)
    for key in _REASONING:
        if isinstance(message.get(key), str):
            yield Part(role, message[key], kind, (*at, key))
    if isinstance(message.get("name"), str):
        yield Part(role, message["name"], "name", (*at, "name"))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for k, call in enumerate(calls):
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                yield from _call_parts(role, call["function"], (*at, "tool_calls", k, "function"))
    if isinstance(message.get("function_call"), dict):
        yield from _call_parts(role, message["function_call"], (*at, "function_call"))


def _content_part(role: str, kind: PartKind, at: Locator, item: dict[str, Any]) -> Iterator[Part]:
    if item.get("type") == "text" and isinstance(item.get("text"), str):
        yield Part(role, item["text"], kind, (*at, "text"))
    elif item.get("type") == "refusal" and isinstance(item.get("refusal"), str):
        yield Part(role, item["refusal"], kind, (*at, "refusal"))
    for key, inner in (("image_url", "url"), ("file", "file_data")):
        holder = item.get(key)
        url = holder.get(inner) if isinstance(holder, dict) else None
        if isinstance(url, str):
            data = data_url_text(url)
            if data is not None:
                yield Part(role, data.text, "data_url", (*at, key, inner))


def _call_parts(role: str, function: dict[str, Any], at: Locator) -> Iterator[Part]:
    if isinstance(function.get("name"), str):
        yield Part(role, function["name"], "name", (*at, "name"))
    if isinstance(function.get("arguments"), str):
        yield Part(role, function["arguments"], "tool_call_arguments", (*at, "arguments"))


def function_parts(spec: dict[str, Any], at: Locator) -> Iterator[Part]:
    if isinstance(spec.get("name"), str):
        yield Part("tool", spec["name"], "name", (*at, "name"))
    if isinstance(spec.get("description"), str):
        yield Part("tool", spec["description"], "tool_description", (*at, "description"))
    parameters = spec.get("parameters")
    if isinstance(parameters, dict) and parameters:
        # Descriptions of parameters are text the model reads too; a schema is not rewritten.
        text = orjson.dumps(parameters).decode()
        yield Part("tool", text, "tool_description", (*at, "parameters"))


def prompt_parts(body: dict[str, Any], key: str) -> list[Part]:
    """The texts of a completions `prompt` / `suffix` or an embeddings `input`: a string or an
    array of strings, each a user part (validated by the parser: no token ids)."""
    value = body.get(key)
    if isinstance(value, str):
        return [Part("user", value, "user", (key,))]
    if isinstance(value, list):
        return [
            Part("user", v, "user", (key, i)) for i, v in enumerate(value) if isinstance(v, str)
        ]
    return []


def write_back(body: dict[str, Any], parts: Sequence[Part], rewritten: Sequence[Message]) -> int:
    """Writes each changed text into `body` at its part's locator; returns how many were.

    Names, parameter schemas and data: URLs decoded only in part are left as they were (see the
    module's table): the screen judged them, but they cannot take a placeholder.
    """
    written = 0
    for part, new in zip(parts, rewritten, strict=True):
        if new.content == part.content or part.kind in _NOT_REWRITTEN:
            continue
        holder, key = _resolve(body, part.locator)
        if holder is None or not isinstance(holder[key], str):
            continue
        if part.kind == "data_url":
            data = data_url_text(holder[key])
            if data is None or not data.whole:
                continue
            holder[key] = encode_data_url(data, new.content)
        else:
            holder[key] = new.content
        written += 1
    return written


def _resolve(body: Any, locator: Locator) -> tuple[Any, Any]:
    """The container holding the locator's last step, and that step; (None, None) if gone."""
    node = body
    for step in locator[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None, None
    if not locator:
        return None, None
    last = locator[-1]
    if isinstance(node, dict) and last in node:
        return node, last
    if isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        return node, last
    return None, None


# -- answers
# content: `content` as a string, each text part of `content` as an array, or `refusal`
AnswerField = Literal["content", "reasoning", "refusal", "tool_name", "tool_arguments"]


@dataclass(frozen=True, slots=True)
class Piece:
    """One text of one choice in an answer (a whole message, or one streamed delta)."""

    choice: int
    field: AnswerField
    text: str
    locator: Locator  # where the text is in the message or chunk it came from
    # The tool call's index (tool_name, tool_arguments; -1: legacy function_call), or the
    # content part's position when content is an array.
    slot: int = 0
    item: str = ""  # the Responses API's output item id (its streamed events name it)

    @property
    def stream_key(self) -> tuple[int, str, int]:
        """What accumulates across deltas (restored as one text): choice, field, slot."""
        return (self.choice, self.field, self.slot)


def message_pieces(data: dict[str, Any]) -> list[Piece]:
    """The texts of every choice of a non-streamed chat completion."""
    return list(_pieces(data, "message"))


def delta_pieces(data: dict[str, Any]) -> list[Piece]:
    """The texts of every choice in one streamed chunk."""
    return list(_pieces(data, "delta"))


def _pieces(data: dict[str, Any], key: str) -> Iterator[Piece]:
    choices = data.get("choices")
    if not isinstance(choices, list):
        return
    for position, choice in enumerate(choices):
        if not isinstance(choice, dict) or not isinstance(choice.get(key), dict):
            continue
        index = index_of(choice, position)
        message = choice[key]
        at: Locator = ("choices", position, key)
        for name in _REASONING:
            if isinstance(message.get(name), str) and message[name]:
                yield Piece(index, "reasoning", message[name], (*at, name))
        content = message.get("content")
        if isinstance(content, str) and content:
            yield Piece(index, "content", content, (*at, "content"))
        elif isinstance(content, list):  # content parts: each text part is screened
            for j, item in enumerate(content):
                text = item.get("text") if isinstance(item, dict) else None
                if isinstance(text, str) and text:
                    yield Piece(index, "content", text, (*at, "content", j, "text"), j)
        if isinstance(message.get("refusal"), str) and message["refusal"]:
            yield Piece(index, "refusal", message["refusal"], (*at, "refusal"))
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            for position_k, call in enumerate(calls):
                if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
                    continue
                where = (*at, "tool_calls", position_k, "function")
                yield from _call_pieces(index, index_of(call, position_k), call["function"], where)
        if isinstance(message.get("function_call"), dict):
            yield from _call_pieces(index, -1, message["function_call"], (*at, "function_call"))


def _call_pieces(index: int, k: int, function: dict[str, Any], at: Locator) -> Iterator[Piece]:
    if isinstance(function.get("name"), str) and function["name"]:
        yield Piece(index, "tool_name", function["name"], (*at, "name"), k)
    if isinstance(function.get("arguments"), str) and function["arguments"]:
        yield Piece(index, "tool_arguments", function["arguments"], (*at, "arguments"), k)


def set_piece(data: dict[str, Any], piece: Piece, text: str) -> None:
    """Replaces a piece's text where it came from (a restored placeholder)."""
    holder, key = _resolve(data, piece.locator)
    if holder is not None:
        holder[key] = text


@dataclass(slots=True)
class ChoiceText:
    """One choice's screened text, built in the order its pieces came.

    A change of field or tool call starts a new line, so that content, reasoning and each
    call's arguments are not run together into words that none of them holds.
    """

    index: int
    parts: list[str] = field(default_factory=list)
    length: int = 0
    _last: tuple[str, int] | None = None

    def add(self, piece: Piece, text: str) -> int:
        """Appends a piece's `text` (restored); returns the characters added."""
        where = (piece.field if piece.field != "tool_name" else "tool_arguments", piece.slot)
        if self._last is not None and where != self._last and text:
            text = "\n" + text
        if piece.field == "tool_name":
            text += " "
        if text:
            self._last = where
            self.parts.append(text)
            self.length += len(text)
        return len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def delta_for(piece: Piece, text: str) -> dict[str, Any]:
    """A streamed delta carrying `text` in the same field as `piece` (a restorer's held tail)."""
    if piece.field == "tool_arguments":
        if piece.slot < 0:
            return {"function_call": {"arguments": text}}
        return {"tool_calls": [{"index": piece.slot, "function": {"arguments": text}}]}
    if piece.locator[-1] == "text":  # a content part
        return {"content": [{"type": "text", "text": text}]}
    return {str(piece.locator[-1]): text}
