"""An OpenAI-compatible test upstream that misbehaves on request.

Run it as `python -m sekimori.testing.fake_upstream --port 0`; the first stdout line is `PORT=<n>`.
It is a lean raw ASGI app so that benchmarks and the red-team runner can load it at hundreds of
requests a second without measuring the fake instead of the gateway.

The behaviour of each request is chosen by its model name (so it passes through a gateway
unchanged), `MODE[:ARG][;KEY=NUMBER]...`, and may be overridden by `x-fake-*` request headers:

    echo                 answer "echo: <last user message>" (also any unknown name)
    text:N               answer N deterministic words
    say:TEXT             answer exactly TEXT (TEXT must not end in `;key=number`)
    script:NAME          answer the text registered under NAME (`--script NAME=FILE` or
                         `POST /_fake/scripts/NAME` with the UTF-8 text as body)
    auth                 answer the Authorization header this server received ("none" if absent)
    choices:NAME         answer the choices in script NAME, a JSON array of messages, one a
                         choice (`n>1`): {"content", "reasoning_content", "tool_calls": [{"name",
                         "arguments"}]}; streamed, each text is cut into pieces (`;chunk=N`) and
                         the choices' deltas interleave; a tool call's name comes first, then
                         its arguments in pieces; finish_reason is tool_calls when there are any
    comply:LABEL         a compliant model, as a measuring device: answer from the answer pool
                         (sekimori.testing.compliant) for LABEL, a taxonomy id (a sanitized
                         prose harmful answer), `harmful` (any harmful answer) or `benign`,
                         in the last user message's language, picked by its hash; the caller
                         says which items are harmful (`--answers FILE` chooses the pool)
    neutral              answer one neutral sentence (English or Japanese, as the prompt), so a
                         gateway's prompt screen alone decides what is stopped
    judge:MARKER         answer like a prompt judge: {"harmful": true, "category": "weapons.bio"}
                         when the text after the last `<prompt>` contains MARKER (any case),
                         else {"harmful": false, "category": null}
    stall[:K]            send K content chunks (default 0: not even headers), then hang until the
                         client disconnects
    drop[:K]             send K content chunks (default 1), then drop the connection
    error:STATUS[:TEXT]  answer HTTP STATUS with an OpenAI error body (whose message is TEXT);
                         a 429 says `retry-after: 7`
    page:STATUS:TEXT     answer HTTP STATUS with TEXT as a plain-text page (a server's error page)

    ;delay=SECONDS       pause between streamed chunks          (header x-fake-delay)
    ;first=SECONDS       pause before the first byte             (header x-fake-first-byte)
    ;chunk=N             N characters a chunk instead of a word a chunk (header x-fake-chunk)
    ;nodone=1            end a stream without [DONE], its last event lacking the blank line
    ;junk=1              put invalid lines between a stream's events (non-JSON data, a JSON array,
                         an `event:` line, a comment)

`--close-delimited` serves every answer without a length, ending it by closing the connection
(valid HTTP/1.1, as some servers and proxies answer), through a minimal server of its own.

The header `x-fake-mode` replaces the model name's MODE[:ARG] part.

`POST /v1/completions` answers the same modes (echo, text, say, script, comply, neutral, auth,
error) as a text completion, the prompt standing for the last user message, JSON or streamed with
`;chunk=N` and `;delay=S`. `POST /v1/embeddings` answers each input with a deterministic 8-number
vector (from its sha256), or `error:STATUS`.

For tests: `GET /_fake/stats` counts requests and client disconnects seen while stalled;
`POST /v1/responses` answers the same modes as a Responses API answer (`input` as a string or
items standing for the messages): one output message, JSON or streamed as `response.*` events
(created, output item and content part added, `output_text.delta` per piece, the `*.done` events
repeating the text, `response.completed`) with `;chunk=N` and `;delay=S`; `choices:NAME` answers
the script's first message as a reasoning item (its `reasoning_content` as the summary), a
`function_call` item per tool call (arguments streamed as deltas) and the message.

`GET /_fake/last` returns the last request body (chat, completions, embeddings or responses) as
received.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import socket
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson

from sekimori.lang import detect_lang
from sekimori.sockets import bind_socket
from sekimori.testing.compliant import AnswerPool

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MODELS = ("echo", "text:16", "stall", "drop", "error:503", "auth", "neutral", "comply:benign")
NEUTRAL = {
    "en": "Thank you for your message. Here is a short general note on the topic you raised.",
    "ja": "メッセージをありがとうございます。ご質問の話題について一般的なことを"
    "簡単にお伝えします。",
}
_PROSE = (
    "the quick brown fox jumps over the lazy dog while a calm river runs past old stone "
    "bridges and quiet fields under a wide grey sky"
)
_WORDS = _PROSE.split()
_MODIFIER = re.compile(r";(delay|first|chunk|nodone|junk)=([0-9]+(?:\.[0-9]+)?)$")
# Between events in `;junk=1` mode: what a broken or chatty upstream sends that is no chunk.
JUNK = (
    b"data: {not json\n\n",
    b"data: [1, 2, 3]\n\n",
    b"event: ping\n\n",
    b": keep-alive\n\n",
    b"garbage without a field\n\n",
)
_PIECES = re.compile(r"\S+\s*|\s+")
_JSON_HEADERS = [(b"content-type", b"application/json")]
_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


class DropConnection(Exception):
    """Raised inside the app to make the server abort the connection mid-response."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    mode: str
    arg: str
    delay: float = 0.0
    first: float = 0.0
    chunk: int = 0
    nodone: bool = False
    junk: bool = False


def parse_behaviour(model: str, headers: dict[bytes, bytes]) -> Behaviour:
    options: dict[str, float] = {}
    rest = model
    while match := _MODIFIER.search(rest):
        options.setdefault(match.group(1), float(match.group(2)))
        rest = rest[: match.start()]
    header_mode = headers.get(b"x-fake-mode")
    if header_mode is not None:
        rest = header_mode.decode("latin-1")
    mode, _, arg = rest.partition(":")
    for key, header in (("delay", b"x-fake-delay"), ("first", b"x-fake-first-byte")):
        if header in headers:
            options[key] = float(headers[header])
    if b"x-fake-chunk" in headers:
        options["chunk"] = float(headers[b"x-fake-chunk"])
    return Behaviour(
        mode=mode,
        arg=arg,
        delay=options.get("delay", 0.0),
        first=options.get("first", 0.0),
        chunk=int(options.get("chunk", 0)),
        nodone=bool(options.get("nodone")),
        junk=bool(options.get("junk")),
    )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # Only string texts: a part of another type may carry anything under "text".
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def _last_user_text(messages: Any) -> str:
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return _content_text(message.get("content"))
    return ""


def _split(text: str, chunk: int) -> list[str]:
    if chunk > 0:
        return [text[i : i + chunk] for i in range(0, len(text), chunk)] or [""]
    return _PIECES.findall(text) or [""]


class FakeUpstream:
    """The ASGI app; `scripts` maps script names to the text they answer."""

    def __init__(self, scripts: dict[str, str] | None = None, answers: Path | None = None) -> None:
        self.scripts: dict[str, str] = dict(scripts or {})
        self.answers_path = answers
        self._pool: AnswerPool | None = None  # loaded at the first `comply` request
        self._counter = 0
        self.disconnects = 0
        self.last_body = b"{}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/v1/completions" and method == "POST":
            await self._completion(scope, receive, send)
        elif path == "/v1/responses" and method == "POST":
            await self._response(scope, receive, send)
        elif path == "/v1/embeddings" and method == "POST":
            await self._embedding(scope, receive, send)
        elif path == "/v1/chat/completions" and method == "POST":
            await self._chat(scope, receive, send)
        elif path == "/v1/models" and method == "GET":
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in MODELS]
            data += [
                {"id": f"script:{n}", "object": "model", "owned_by": "fake"} for n in self.scripts
            ]
            await _json(send, 200, {"object": "list", "data": data})
        elif path == "/healthz":
            await _json(send, 200, {"status": "ok"})
        elif path == "/_fake/stats":
            await _json(send, 200, {"requests": self._counter, "disconnects": self.disconnects})
        elif path == "/_fake/last":
            await send({"type": "http.response.start", "status": 200, "headers": _JSON_HEADERS})
            await send({"type": "http.response.body", "body": self.last_body})
        elif path.startswith("/_fake/scripts/") and method == "POST":
            name = path.removeprefix("/_fake/scripts/")
            self.scripts[name] = (await _read_body(receive)).decode("utf-8")
            await _json(send, 200, {"script": name, "chars": len(self.scripts[name])})
        else:
            await _error(send, 404, f"no route {method} {path}", "not_found")

    async def _chat(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        self.last_body = body
        self._counter += 1
        try:
            request = orjson.loads(body)
            model = request["model"]
            messages = request["messages"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            await _error(send, 400, "body must be JSON with model and messages", "invalid_request")
            return
        headers = dict(scope["headers"])
        behaviour = parse_behaviour(str(model), headers)
        if behaviour.first:
            await asyncio.sleep(behaviour.first)
        mode = behaviour.mode
        if mode == "error":
            code, _, message = behaviour.arg.partition(":")
            status = int(code or 500)
            await _error(send, status, message or f"fake upstream error {status}", "fake_error")
            return
        if mode == "page":
            code, _, page = behaviour.arg.partition(":")
            plain = [(b"content-type", b"text/plain; charset=utf-8")]
            await send({"type": "http.response.start", "status": int(code), "headers": plain})
            await send({"type": "http.response.body", "body": page.encode()})
            return
        if mode == "stall" and not behaviour.arg:
            await self._stall(receive)
            return
        if mode == "choices":
            await self._choices(send, behaviour, request, f"chatcmpl-fake{self._counter}")
            return
        text = self._answer_text(behaviour, messages, headers)
        pieces = _split(text, behaviour.chunk)
        ident = f"chatcmpl-fake{self._counter}"
        usage = {
            "prompt_tokens": sum(len(_content_text(m.get("content")).split()) for m in messages),
            "completion_tokens": len(pieces),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if request.get("stream"):
            include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            await self._stream(
                send, receive, behaviour, ident, str(model), pieces, usage, include_usage
            )
            return
        payload = orjson.dumps(
            {
                "id": ident,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )
        if mode == "drop":
            # Promise the whole body, send half, then abort: the client sees a truncated response.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())],
                }
            )
            await send(
                {
                    "type": "http.response.body",
                    "body": payload[: len(payload) // 2],
                    "more_body": True,
                }
            )
            raise DropConnection
        if mode == "stall":
            await self._stall(receive)
            return
        await send({"type": "http.response.start", "status": 200, "headers": _JSON_HEADERS})
        await send({"type": "http.response.body", "body": payload})

    async def _choices(
        self, send: Send, behaviour: Behaviour, request: dict[str, Any], ident: str
    ) -> None:
        """The `choices:NAME` mode: several choices, tool calls and reasoning, whole or streamed."""
        try:
            wanted = orjson.loads(self.scripts[behaviour.arg])
            assert isinstance(wanted, list) and all(isinstance(c, dict) for c in wanted)
        except (KeyError, orjson.JSONDecodeError, AssertionError):
            await _error(send, 400, f"script {behaviour.arg!r} is no JSON array", "bad_script")
            return
        model, created = str(request["model"]), int(time.time())
        finishes = ["tool_calls" if c.get("tool_calls") else "stop" for c in wanted]
        if not request.get("stream"):
            choices = []
            for i, spec in enumerate(wanted):
                message: dict[str, Any] = {"role": "assistant", "content": spec.get("content")}
                if "reasoning_content" in spec:
                    message["reasoning_content"] = spec["reasoning_content"]
                if spec.get("tool_calls"):
                    message["tool_calls"] = [
                        {"id": f"call_{i}_{k}", "type": "function", "function": call}
                        for k, call in enumerate(spec["tool_calls"])
                    ]
                choices.append({"index": i, "message": message, "finish_reason": finishes[i]})
            payload = {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": choices,
            }
            await _json(send, 200, payload)
            return
        deltas: list[list[dict[str, Any]]] = []
        for i, spec in enumerate(wanted):
            own: list[dict[str, Any]] = [{"role": "assistant"}]
            for field in ("reasoning_content", "content"):
                if isinstance(spec.get(field), str) and spec[field]:
                    own += [{field: p} for p in _split(spec[field], behaviour.chunk)]
            for k, call in enumerate(spec.get("tool_calls") or ()):
                head = {"name": call["name"], "arguments": ""}
                own.append(
                    {
                        "tool_calls": [
                            {
                                "index": k,
                                "id": f"call_{i}_{k}",
                                "type": "function",
                                "function": head,
                            }
                        ]
                    }
                )
                own += [
                    {"tool_calls": [{"index": k, "function": {"arguments": p}}]}
                    for p in _split(call.get("arguments", ""), behaviour.chunk)
                ]
            deltas.append(own)

        def event(i: int, delta: dict[str, Any], finish: str | None) -> bytes:
            body = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": i, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + orjson.dumps(body) + b"\n\n"

        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        for step in range(max((len(d) for d in deltas), default=0)):
            if behaviour.delay and step:
                await asyncio.sleep(behaviour.delay)
            body = b"".join(event(i, d[step], None) for i, d in enumerate(deltas) if step < len(d))
            await send({"type": "http.response.body", "body": body, "more_body": True})
        tail = b"".join(event(i, {}, finishes[i]) for i in range(len(wanted)))
        await send({"type": "http.response.body", "body": tail + b"data: [DONE]\n\n"})

    async def _stall(self, receive: Receive) -> None:
        await _wait_disconnect(receive)
        self.disconnects += 1

    async def _completion(self, scope: Scope, receive: Receive, send: Send) -> None:
        """POST /v1/completions: the chat modes, as a text completion (`choices[0].text`)."""
        body = await _read_body(receive)
        self.last_body = body
        self._counter += 1
        try:
            request = orjson.loads(body)
            model = str(request["model"])
            prompt = request["prompt"]
            prompt = "\n".join(prompt) if isinstance(prompt, list) else str(prompt)
        except (orjson.JSONDecodeError, KeyError, TypeError):
            await _error(send, 400, "body must be JSON with model and prompt", "invalid_request")
            return
        headers = dict(scope["headers"])
        behaviour = parse_behaviour(model, headers)
        if await _error_mode(send, behaviour):
            return
        text = self._answer_text(behaviour, [{"role": "user", "content": prompt}], headers)
        ident, created = f"cmpl-fake{self._counter}", int(time.time())
        pieces = _split(text, behaviour.chunk)

        def completion(text: str, finish: str | None) -> dict[str, Any]:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
            return {
                "id": ident,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [choice],
            }

        if not request.get("stream"):
            usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(pieces)}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            await _json(send, 200, {**completion(text, "stop"), "usage": usage})
            return
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        for i, piece in enumerate(pieces):
            if behaviour.delay and i:
                await asyncio.sleep(behaviour.delay)
            event = b"data: " + orjson.dumps(completion(piece, None)) + b"\n\n"
            await send({"type": "http.response.body", "body": event, "more_body": True})
        tail = b"data: " + orjson.dumps(completion("", "stop")) + b"\n\n"
        await send({"type": "http.response.body", "body": tail + b"data: [DONE]\n\n"})

    async def _response(self, scope: Scope, receive: Receive, send: Send) -> None:
        """POST /v1/responses: the chat modes, as a Responses API answer (one output message)."""
        body = await _read_body(receive)
        self.last_body = body
        self._counter += 1
        try:
            request = orjson.loads(body)
            model = str(request["model"])
            items = request.get("input", "")
            messages = [{"role": "user", "content": items}] if isinstance(items, str) else items
        except (orjson.JSONDecodeError, KeyError, TypeError):
            await _error(send, 400, "body must be JSON with model and input", "invalid_request")
            return
        headers = dict(scope["headers"])
        behaviour = parse_behaviour(model, headers)
        if await _error_mode(send, behaviour):
            return
        n = self._counter
        if behaviour.mode == "choices":
            try:
                spec = orjson.loads(self.scripts[behaviour.arg])[0]
                assert isinstance(spec, dict)
            except (KeyError, IndexError, orjson.JSONDecodeError, AssertionError):
                await _error(send, 400, f"script {behaviour.arg!r} is no JSON array", "bad_script")
                return
        else:
            spec = {"content": self._answer_text(behaviour, messages, headers)}
        items = _response_items(spec, n)
        tokens = len(_last_user_text(messages).split())
        usage = {"input_tokens": tokens, "output_tokens": len(items)}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        response = {
            "id": f"resp_fake{n}",
            "object": "response",
            "created_at": int(time.time()),
            "model": model,
            "status": "completed",
            "output": items,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage,
        }
        if not request.get("stream"):
            await _json(send, 200, response)
            return
        begun = {**response, "status": "in_progress", "output": [], "usage": None}
        events: list[dict[str, Any]] = [{"type": "response.created", "response": begun}]
        for i, item in enumerate(items):
            events.extend(_item_events(i, item, behaviour.chunk))
        events.append({"type": "response.completed", "response": response})
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        for number, event in enumerate(events):
            if behaviour.delay and str(event["type"]).endswith(".delta"):
                await asyncio.sleep(behaviour.delay)
            event["sequence_number"] = number
            kind = str(event["type"]).encode()
            raw = b"event: " + kind + b"\ndata: " + orjson.dumps(event) + b"\n\n"
            more = number < len(events) - 1
            await send({"type": "http.response.body", "body": raw, "more_body": more})

    async def _embedding(self, scope: Scope, receive: Receive, send: Send) -> None:
        """POST /v1/embeddings: a deterministic vector for each input text."""
        body = await _read_body(receive)
        self.last_body = body
        self._counter += 1
        try:
            request = orjson.loads(body)
            model = str(request["model"])
            inputs = request["input"]
            inputs = [inputs] if isinstance(inputs, str) else [str(x) for x in inputs]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            await _error(send, 400, "body must be JSON with model and input", "invalid_request")
            return
        behaviour = parse_behaviour(model, dict(scope["headers"]))
        if await _error_mode(send, behaviour):
            return
        data = [
            {"object": "embedding", "index": i, "embedding": _vector(text)}
            for i, text in enumerate(inputs)
        ]
        tokens = sum(len(text.split()) for text in inputs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        await _json(send, 200, {"object": "list", "data": data, "model": model, "usage": usage})

    def _answer_text(self, behaviour: Behaviour, messages: Any, headers: dict[bytes, bytes]) -> str:
        mode, arg = behaviour.mode, behaviour.arg
        if mode == "text":
            n = int(arg or 16)
            return " ".join(_WORDS[i % len(_WORDS)] for i in range(n))
        if mode == "say":
            return arg
        if mode == "script":
            return self.scripts.get(arg, f"(no script named {arg})")
        if mode == "judge":
            asked = _last_user_text(messages).rpartition("<prompt>")[2].lower()
            harmful = bool(arg) and arg.lower() in asked
            ruling = {"harmful": harmful, "category": "weapons.bio" if harmful else None}
            return orjson.dumps(ruling).decode()
        if mode == "comply":
            if self._pool is None:
                self._pool = AnswerPool.load(self.answers_path)
            return self._pool.pick(arg or "benign", _last_user_text(messages)).answer
        if mode == "neutral":
            return NEUTRAL[detect_lang(_last_user_text(messages))]
        if mode == "auth":
            return headers.get(b"authorization", b"none").decode("latin-1")
        if mode in ("stall", "drop"):
            return " ".join(_WORDS)
        return "echo: " + _last_user_text(messages)

    async def _stream(
        self,
        send: Send,
        receive: Receive,
        behaviour: Behaviour,
        ident: str,
        model: str,
        pieces: list[str],
        usage: dict[str, int],
        include_usage: bool,
    ) -> None:
        created = int(time.time())

        def chunk(delta: dict[str, str], finish: str | None) -> bytes:
            event = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + orjson.dumps(event) + b"\n\n"

        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        await send(
            {
                "type": "http.response.body",
                "body": chunk({"role": "assistant"}, None),
                "more_body": True,
            }
        )
        limit = len(pieces)
        if behaviour.mode in ("stall", "drop"):
            limit = int(behaviour.arg or (0 if behaviour.mode == "stall" else 1))
        for i, piece in enumerate(pieces[:limit]):
            if behaviour.delay and i:
                await asyncio.sleep(behaviour.delay)
            body = chunk({"content": piece}, None)
            if behaviour.junk:
                body = JUNK[i % len(JUNK)] + body
            await send({"type": "http.response.body", "body": body, "more_body": True})
        if behaviour.mode == "stall":
            await self._stall(receive)
            return
        if behaviour.mode == "drop":
            raise DropConnection
        tail = chunk({}, "stop")
        if include_usage:
            event = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage,
            }
            tail += b"data: " + orjson.dumps(event) + b"\n\n"
        if behaviour.nodone:
            tail = tail.removesuffix(b"\n\n")
        else:
            tail += b"data: [DONE]\n\n"
        await send({"type": "http.response.body", "body": tail})


def _response_items(spec: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """A `choices` script's message (or a mode's text as `content`) as Responses output items:
    reasoning, then function calls, then the message."""
    items: list[dict[str, Any]] = []
    if isinstance(spec.get("reasoning_content"), str):
        summary = [{"type": "summary_text", "text": spec["reasoning_content"]}]
        items.append({"id": f"rs_fake{n}", "type": "reasoning", "summary": summary})
    for k, call in enumerate(spec.get("tool_calls") or []):
        items.append(
            {
                "id": f"fc_fake{n}_{k}",
                "type": "function_call",
                "call_id": f"call_{n}_{k}",
                "name": call.get("name", ""),
                "arguments": call.get("arguments", ""),
                "status": "completed",
            }
        )
    if isinstance(spec.get("content"), str):
        part = {"type": "output_text", "text": spec["content"], "annotations": []}
        items.append(
            {
                "id": f"msg_fake{n}",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [part],
            }
        )
    return items


def _item_events(index: int, item: dict[str, Any], chunk: int) -> list[dict[str, Any]]:
    """The streamed events of one output item: added, its text as deltas, done."""
    at: dict[str, Any] = {"item_id": item["id"], "output_index": index}
    kind = item["type"]
    if kind == "message":
        empty: dict[str, Any] = {**item, "content": []}
        part = item["content"][0]
        at["content_index"] = 0
        text, prefix = part["text"], "response.output_text"
        opening = [{"type": "response.content_part.added", **at, "part": {**part, "text": ""}}]
        closing = [
            {"type": "response.output_text.done", **at, "text": text},
            {"type": "response.content_part.done", **at, "part": part},
        ]
    elif kind == "function_call":
        empty = {**item, "arguments": "", "status": "in_progress"}
        text, prefix = item["arguments"], "response.function_call_arguments"
        opening = []
        closing = [{"type": prefix + ".done", **at, "arguments": text}]
    else:  # reasoning
        empty = {**item, "summary": []}
        part = item["summary"][0]
        at["summary_index"] = 0
        text, prefix = part["text"], "response.reasoning_summary_text"
        opening = [
            {"type": "response.reasoning_summary_part.added", **at, "part": {**part, "text": ""}}
        ]
        closing = [
            {"type": prefix + ".done", **at, "text": text},
            {"type": "response.reasoning_summary_part.done", **at, "part": part},
        ]
    return [
        {"type": "response.output_item.added", "output_index": index, "item": empty},
        *opening,
        *({"type": prefix + ".delta", **at, "delta": piece} for piece in _split(text, chunk)),
        *closing,
        {"type": "response.output_item.done", "output_index": index, "item": item},
    ]


def _vector(text: str) -> list[float]:
    """Eight numbers in [-1, 1) that depend only on the text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(b / 128 - 1, 6) for b in digest[:8]]


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(parts)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _json(
    send: Send, status: int, payload: object, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    head = _JSON_HEADERS + (headers or [])
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": orjson.dumps(payload)})


async def _error_mode(send: Send, behaviour: Behaviour) -> bool:
    """Answers the `error:STATUS[:TEXT]` mode; False for any other mode."""
    if behaviour.mode != "error":
        return False
    code, _, message = behaviour.arg.partition(":")
    await _error(send, int(code or 500), message or "fake upstream error", "fake_error")
    return True


async def _error(send: Send, status: int, message: str, code: str) -> None:
    body = {
        "error": {"message": message, "type": "fake_upstream_error", "param": None, "code": code}
    }
    # A rate limit says when to come back, as real servers do.
    await _json(send, status, body, [(b"retry-after", b"7")] if status == 429 else None)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _serve_close_delimited(app: FakeUpstream, sock: socket.socket) -> None:
    """A minimal HTTP/1.1 server: one request a connection, each answer ended by closing.

    uvicorn always frames an answer (a length or chunks); this one never does, as HTTP allows.
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")
            method, target, _ = request_line.split(" ", 2)
            headers = [
                (k.strip().lower().encode("latin-1"), v.strip().encode("latin-1"))
                for k, sep, v in (line.partition(":") for line in lines)
                if sep
            ]
            length = int(dict(headers).get(b"content-length", b"0"))
            body = await reader.readexactly(length) if length else b""
            path, _, query = target.partition("?")
            scope: Scope = {
                "type": "http",
                "http_version": "1.1",
                "method": method,
                "path": path,
                "query_string": query.encode("latin-1"),
                "headers": headers,
            }
            requested = False

            async def receive() -> Message:
                nonlocal requested
                if not requested:
                    requested = True
                    return {"type": "http.request", "body": body, "more_body": False}
                await reader.read()  # the client closing is the only thing left to hear
                return {"type": "http.disconnect"}

            async def send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    out = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
                    out += [
                        name + b": " + value + b"\r\n"
                        for name, value in message.get("headers", ())
                        if name.lower() != b"content-length"
                    ]
                    writer.write(b"".join(out) + b"connection: close\r\n\r\n")
                    return
                writer.write(message.get("body", b""))
                await writer.drain()
                if not message.get("more_body"):
                    writer.close()

            await app(scope, receive, send)
        except (
            DropConnection,
            OSError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sekimori.testing.fake_upstream",
        description="OpenAI-compatible fake upstream for tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=0, help="0 picks a free port (printed as PORT=<n>)"
    )
    parser.add_argument(
        "--script",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="register a scripted answer",
    )
    parser.add_argument(
        "--model",
        help="ignored: lets this server stand in for the embedded model's (each request's "
        "model name chooses the behaviour)",
    )
    parser.add_argument(
        "--answers",
        type=Path,
        default=None,
        help="answer pool for comply:LABEL (default data/compliant/answers.jsonl)",
    )
    parser.add_argument(
        "--close-delimited",
        action="store_true",
        help="answer without a length and end each answer by closing the connection",
    )
    args = parser.parse_args(argv)
    scripts = {}
    for item in args.script:
        name, sep, file = item.partition("=")
        if not sep:
            parser.error(f"--script {item!r}: expected NAME=FILE")
        scripts[name] = Path(file).read_text(encoding="utf-8")

    sock = bind_socket(args.host, args.port)
    print(f"PORT={sock.getsockname()[1]}", flush=True)
    if args.close_delimited:
        asyncio.run(_serve_close_delimited(FakeUpstream(scripts, args.answers), sock))
        return 0
    import uvicorn

    config = uvicorn.Config(
        FakeUpstream(scripts, args.answers),
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=2048,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
