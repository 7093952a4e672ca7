"""Where the text is in a Responses API exchange (`POST /v1/responses`), and its refusals.

A request's parts (screened like chat's, redactions written back by locator):

| part | kind | rewritten |
|---|---|---|
| `instructions` | system | yes |
| `input` (a string) | user | yes |
| `input[i].content` (a string; each `input_text`/`output_text`/`refusal` part) | the role's | yes |
| a `data:` URL's text (`input_image.image_url`, `input_file.file_data`) | data_url | when whole |
| `input[i]` `function_call`: `arguments` / `name` | tool_call_arguments / name | yes / no |
| `input[i]` `function_call_output`: `output` (a string or text parts) | tool_result | yes |
| `input[i]` `reasoning`: each `summary[k].text` | assistant_history | yes |
| `prompt.variables[name]` (a string or an `input_text` part) | user | yes |
| `tools[k]` (`type: function`): `name`, `description`, `parameters` | as chat's tools | as chat's |

An answer is one choice (0) made of its `output` items: message `output_text` and `refusal`
parts, function-call arguments (and names) and reasoning summary and text. A blocked answer loses
every item: `output` becomes one assistant message whose `output_text` is the refusal, with
`status: "incomplete"` and `incomplete_details.reason: "content_filter"`. Streamed, the text
deltas (`response.output_text.delta`, `.refusal.delta`, `.function_call_arguments.delta`,
`.reasoning_summary_text.delta`, `.reasoning_text.delta`) are screened in windows as chat's; the
`*.done`, `output_item.*` and lifecycle events repeat texts whole (restored, not screened again).
The terminal event (`response.completed` / `.incomplete` / `.failed`) is held until the last
screen passed; a cut stream ends with `response.incomplete` instead, whose `output` is the refusal.
A restorer's held tail (a text ending in what may begin a placeholder) goes out as a delta of the
same item just before that text's `.done` event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from sekimori.gateway.parts import (
    AnswerField,
    Piece,
    data_url_text,
    function_parts,
)
from sekimori.gateway.shapes import FILTERED, SHAPES, Refusal
from sekimori.gateway.sse import encode, index_of
from sekimori.screen import ROLE_KINDS, Locator, Part

TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
_DELTAS: dict[str, AnswerField] = {
    "response.output_text.delta": "content",
    "response.refusal.delta": "refusal",
    "response.function_call_arguments.delta": "tool_arguments",
    "response.reasoning_summary_text.delta": "reasoning",
    "response.reasoning_text.delta": "reasoning",
}
_TEXT_DONE = frozenset(kind.removesuffix(".delta") + ".done" for kind in _DELTAS)
_DELTA_TYPES = {field: kind for kind, field in reversed(_DELTAS.items())}
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


# -- requests
def response_parts(body: dict[str, Any]) -> list[Part]:
    """Every text of a (validated) Responses request body, in body order."""
    return list(_request_parts(body))


def _request_parts(body: dict[str, Any]) -> Iterator[Part]:
    if isinstance(body.get("instructions"), str):
        yield Part("system", body["instructions"], "system", ("instructions",))
    items = body.get("input")
    if isinstance(items, str):
        yield Part("user", items, "user", ("input",))
    elif isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                yield from _item_parts(item, ("input", i))
    prompt = body.get("prompt")
    variables = prompt.get("variables") if isinstance(prompt, dict) else None
    if isinstance(variables, dict):
        # A stored prompt's variables are text the model reads like the input.
        for name, value in variables.items():
            at: Locator = ("prompt", "variables", name)
            if isinstance(value, str):
                yield Part("user", value, "user", at)
            elif isinstance(value, dict):
                yield from _content_part("user", value, at)
    tools = body.get("tools")
    if isinstance(tools, list):
        for k, tool in enumerate(tools):
            # Built-in tools (web search, file search, ...) carry no text the model reads.
            if isinstance(tool, dict) and tool.get("type") == "function":
                yield from function_parts(tool, ("tools", k))


def _item_parts(item: dict[str, Any], at: Locator) -> Iterator[Part]:
    kind = item.get("type", "message")
    if kind == "message":
        role = str(item.get("role", "user"))
        part_kind = ROLE_KINDS.get(role, "user")
        content = item.get("content")
        if isinstance(content, str):
            yield Part(role, content, part_kind, (*at, "content"))
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict):
                    yield from _content_part(role, part, (*at, "content", j))
    elif kind == "function_call":
        if isinstance(item.get("name"), str):
            yield Part("assistant", item["name"], "name", (*at, "name"))
        if isinstance(item.get("arguments"), str):
            yield Part("assistant", item["arguments"], "tool_call_arguments", (*at, "arguments"))
    elif kind in ("function_call_output", "custom_tool_call_output"):
        output = item.get("output")
        if isinstance(output, str):
            yield Part("tool", output, "tool_result", (*at, "output"))
        elif isinstance(output, list):
            for j, part in enumerate(output):
                if isinstance(part, dict):
                    yield from _content_part("tool", part, (*at, "output", j))
    elif kind == "reasoning":
        summary = item.get("summary")
        for k, part in enumerate(summary if isinstance(summary, list) else []):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                yield Part(
                    "assistant", part["text"], "assistant_history", (*at, "summary", k, "text")
                )


def _content_part(role: str, part: dict[str, Any], at: Locator) -> Iterator[Part]:
    kind = ROLE_KINDS.get(role, "user")
    if part.get("type") in _TEXT_PARTS and isinstance(part.get("text"), str):
        yield Part(role, part["text"], kind, (*at, "text"))
    elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
        yield Part(role, part["refusal"], kind, (*at, "refusal"))
    for key in ("image_url", "file_data"):
        url = part.get(key)
        if isinstance(url, str):
            data = data_url_text(url)
            if data is not None:
                yield Part(role, data.text, "data_url", (*at, key))


# -- answers
def _output_pieces(output: Any, at: Locator) -> Iterator[Piece]:
    for i, item in enumerate(output if isinstance(output, list) else []):
        if isinstance(item, dict):
            yield from _answer_item(item, (*at, i), i)


def _answer_item(item: dict[str, Any], at: Locator, slot: int) -> Iterator[Piece]:
    kind = item.get("type")
    if kind == "message":
        content = item.get("content")
        for j, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, dict):
                yield from _answer_part(part, (*at, "content", j), slot)
    elif kind == "function_call":
        if isinstance(item.get("name"), str) and item["name"]:
            yield Piece(0, "tool_name", item["name"], (*at, "name"), slot)
        if isinstance(item.get("arguments"), str) and item["arguments"]:
            yield Piece(0, "tool_arguments", item["arguments"], (*at, "arguments"), slot)
    elif kind == "custom_tool_call":
        if isinstance(item.get("input"), str) and item["input"]:
            yield Piece(0, "tool_arguments", item["input"], (*at, "input"), slot)
    elif kind == "reasoning":
        for key in ("summary", "content"):
            texts = item.get(key)
            for k, part in enumerate(texts if isinstance(texts, list) else []):
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, str) and text:
                    yield Piece(0, "reasoning", text, (*at, key, k, "text"), slot)


def _answer_part(part: dict[str, Any], at: Locator, slot: int) -> Iterator[Piece]:
    if isinstance(part.get("text"), str) and part["text"]:
        field: AnswerField = "reasoning" if part.get("type") == "reasoning_text" else "content"
        yield Piece(0, field, part["text"], (*at, "text"), slot)
    elif isinstance(part.get("refusal"), str) and part["refusal"]:
        yield Piece(0, "refusal", part["refusal"], (*at, "refusal"), slot)


def _message(ident: str, text: str) -> dict[str, Any]:
    return {
        "id": ident,
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _response(ident: str, created: int, model: str, output: list[Any]) -> dict[str, Any]:
    """A response cut short by the content filter (every field the SDK's type reads)."""
    return {
        "id": ident,
        "object": "response",
        "created_at": created,
        "model": model,
        "status": "incomplete",
        "incomplete_details": {"reason": FILTERED},
        "error": None,
        "instructions": None,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "metadata": {},
        "temperature": None,
        "top_p": None,
        "usage": {
            "input_tokens": 0,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 0,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 0,
        },
    }


class ResponsesShape:
    """The Responses API: one answer of output items, streamed as typed `response.*` events."""

    path = "/responses"
    screens_answer = True
    id_prefix = "resp_"
    input_field = "input"
    done = b""  # a Responses stream ends with its terminal event, no [DONE]

    def pieces(self, data: dict[str, Any], *, streamed: bool) -> list[Piece]:
        if not streamed:
            return list(_output_pieces(data.get("output"), ("output",)))
        kind = data.get("type")
        slot = index_of({"index": data.get("output_index")}, 0)
        if kind in _DELTAS and isinstance(data.get("delta"), str) and data["delta"]:
            item_id = str(data.get("item_id", ""))
            return [Piece(0, _DELTAS[str(kind)], data["delta"], ("delta",), slot, item_id)]
        item = data.get("item")
        if kind == "response.output_item.added" and isinstance(item, dict):
            # A call's name comes only here; its arguments come as deltas.
            name = item.get("name")
            if item.get("type") == "function_call" and isinstance(name, str) and name:
                return [Piece(0, "tool_name", name, ("item", "name"), slot)]
        return []

    def snapshots(self, data: dict[str, Any]) -> list[Piece]:
        kind = data.get("type")
        if kind in _DELTAS or kind == "response.output_item.added":
            return []  # pieces, restored as they stream
        pieces = []
        for key in ("text", "arguments"):
            if isinstance(data.get(key), str) and data[key]:
                pieces.append(Piece(0, "content", data[key], (key,)))
        if isinstance(data.get("part"), dict):
            pieces.extend(_answer_part(data["part"], ("part",), 0))
        if isinstance(data.get("item"), dict):
            pieces.extend(_answer_item(data["item"], ("item",), 0))
        if isinstance(data.get("response"), dict):
            pieces.extend(_output_pieces(data["response"].get("output"), ("response", "output")))
        return pieces

    def choices(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        return [data]

    def ident(self, data: dict[str, Any]) -> str:
        response = data.get("response")
        return str(response.get("id", "")) if isinstance(response, dict) else ""

    def finished(self, data: dict[str, Any]) -> list[int]:
        # A text's `.done` event ends it: a restorer's held tail goes out before it.
        kind = data.get("type")
        return [0] if kind in TERMINAL or kind in _TEXT_DONE else []

    def trailing(self, data: dict[str, Any]) -> bool:
        return data.get("type") in TERMINAL

    def usage(self, data: dict[str, Any]) -> Any:
        response = data.get("response")
        return response.get("usage") if isinstance(response, dict) else data.get("usage")

    def valid(self, data: Any) -> bool:
        output = data.get("output") if isinstance(data, dict) else None
        return isinstance(output, list) and all(isinstance(item, dict) for item in output)

    def withhold(self, choice: dict[str, Any], text: str) -> None:
        choice["output"] = [_message(f"msg_{choice.get('id', '')}", text)]
        choice["status"] = "incomplete"
        choice["incomplete_details"] = {"reason": FILTERED}

    def delta(self, piece: Piece, text: str) -> dict[str, Any]:
        kind = _DELTA_TYPES.get(piece.field, "response.output_text.delta")
        return {
            "type": kind,
            "item_id": piece.item,
            "output_index": piece.slot,
            "content_index": 0,
            "delta": text,
        }

    def notice(self, text: str) -> dict[str, Any]:
        return {"text": text}

    def chunk(
        self,
        ident: str,
        created: int,
        model: str,
        delta: dict[str, Any],
        finish: str | None,
        index: int,
    ) -> bytes:
        if finish is None:
            return encode(delta)  # a restorer's held tail: a delta event of its own
        # A cut: the response ends incomplete, its output the refusal (what was streamed of
        # the answer cannot be taken back, and is not repeated).
        text = delta.get("text", "")
        output = [_message(f"msg_{ident}", text)] if text else []
        response = _response(ident, created, model, output)
        return encode({"type": "response.incomplete", "response": response})

    def refusal(self, ident: str, created: int, model: str, text: str, *, stream: bool) -> Refusal:
        message = _message(f"msg_{ident}", text)
        response = _response(ident, created, model, [message])
        if not stream:
            return Refusal(200, orjson.dumps(response), False)
        started = {**response, "status": "in_progress", "incomplete_details": None, "output": []}
        events = [
            {"type": "response.created", "sequence_number": 0, "response": started},
            {
                "type": "response.output_item.added",
                "sequence_number": 1,
                "output_index": 0,
                "item": message,
            },
            {
                "type": "response.output_item.done",
                "sequence_number": 2,
                "output_index": 0,
                "item": message,
            },
            {"type": "response.incomplete", "sequence_number": 3, "response": response},
        ]
        return Refusal(200, b"".join(encode(e) for e in events), True)


SHAPES.register("responses")(ResponsesShape())
