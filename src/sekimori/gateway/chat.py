"""POST /v1/chat/completions: screen the input, forward, screen the answer, audit.

Pure ASGI: a streamed answer is forwarded event by event as the upstream sends it; the client's
disconnect cancels the upstream request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from sekimori.audit.record import AuditRecord, Recorder
from sekimori.errors import UpstreamError
from sekimori.gateway.errors import HttpError
from sekimori.gateway.keys import Principal
from sekimori.gateway.metrics import Metrics
from sekimori.gateway.parse import ChatRequest
from sekimori.gateway.sse import (
    DONE,
    EventSplitter,
    chunk_event,
    delta_content,
    encode,
    finish_reason,
    set_delta_content,
)
from sekimori.screen import (
    ALLOW,
    InputResult,
    OutputResult,
    OutputWindow,
    Restorer,
    Screen,
    ScreenContext,
    default_refusal,
)
from sekimori.settings import Settings
from sekimori.types import Action, BlockedAt, Decision, Message
from sekimori.upstream.base import Upstream, UpstreamResponse, UpstreamTimeout

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

_JSON = (b"content-type", b"application/json")
_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
_RANK = {Action.ALLOW: 0, Action.REDACT: 1, Action.FLAG: 2, Action.BLOCK: 3}
_DURABLE = (Action.FLAG, Action.BLOCK)
CLIENT_CLOSED = 499  # the status audited when the client left before the answer ended


def merge(first: Decision, second: Decision) -> Decision:
    """The stronger action, with both decisions' categories and reasons."""
    if second.action is Action.ALLOW and not second.categories:
        return first
    action = second.action if _RANK[second.action] > _RANK[first.action] else first.action
    categories = tuple(dict.fromkeys((*first.categories, *second.categories)))
    return Decision(action, categories, tuple(dict.fromkeys((*first.reasons, *second.reasons))))


# A random prefix per process and a counter: unique ids without a system call per request.
_ID_PREFIX = secrets.token_hex(4)
_ids = itertools.count(1)


def mint_id() -> str:
    """An id the gateway makes: unique in this process, whatever clients send."""
    return f"{_ID_PREFIX}{next(_ids):08x}"


def request_id(headers: Sequence[tuple[bytes, bytes]]) -> str:
    """The correlation id echoed and audited: the client's x-request-id, or one we mint.

    Clients choose it, so two requests may share it: nothing is keyed by it (screening state
    travels with the request as `InputResult.handle`, under `Exchange.screen_id`).
    """
    for name, value in headers:
        if name == b"x-request-id" and 0 < len(value) <= 64 and value.isascii():
            text = value.decode()
            if all(c.isalnum() or c in "._-" for c in text):
                return text
    return mint_id()


@dataclass(slots=True)
class Exchange:
    """What one request accumulates on its way through; becomes its audit record."""

    principal: Principal
    request: ChatRequest
    request_id: str
    started: float
    upstream: str = ""
    status: int = 200
    decision: Decision = ALLOW
    # Sent as x-sekimori-blocked; a streamed cut comes after the headers and cannot set it.
    blocked_at: BlockedAt | None = None
    # Sent as x-sekimori-deferred: the prompt screen left its unsure block to the answer screen.
    deferred: bool = False
    upstream_ms: float = 0.0
    screen_ms: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    answer: list[str] = field(default_factory=list)
    screen_id: str = field(default_factory=mint_id)  # ours, whatever request_id the client sent


class ChatHandler:
    def __init__(
        self,
        settings: Settings,
        screen: Screen,
        recorder: Recorder,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.screen = screen
        self.recorder = recorder
        self.metrics = metrics
        self.window = settings.screen.window_chars
        self.stride = settings.screen.stride_chars
        self.hold = settings.screen.hold_chars

    async def handle(
        self,
        ex: Exchange,
        upstream: Upstream,
        raw_body: bytes,
        receive: Receive,
        send: Send,
    ) -> None:
        request = ex.request
        ex.upstream = upstream.name
        context = ScreenContext(
            ex.principal.tenant, request.model, ex.screen_id, client_request_id=ex.request_id
        )
        t0 = time.perf_counter()
        try:
            verdict = await self.screen.screen_input(context, request.messages)
        except Exception as exc:  # fail closed: an unscreened request never goes upstream
            raise HttpError(
                503, f"screening failed: {exc}", code="screen_unavailable", type="server_error"
            ) from exc
        ex.screen_ms = (time.perf_counter() - t0) * 1000
        ex.decision = verdict.decision
        ex.deferred = verdict.hold
        self.metrics.decisions.inc("input", verdict.decision.action.value)
        if verdict.decision.action is Action.BLOCK:
            await self._refuse(ex, verdict, send)
            return
        body = raw_body if verdict.messages is None else _rewrite(request, verdict.messages)
        # The output screen gets back what the input screen handed over for this request.
        context = dataclasses.replace(context, handle=verdict.handle)
        if request.stream:
            await self._stream(ex, context, verdict, upstream, body, receive, send)
        else:
            await self._complete(ex, context, verdict, upstream, body, receive, send)

    # -- blocked on input: a normal completion whose content is the refusal
    async def _refuse(self, ex: Exchange, verdict: InputResult, send: Send) -> None:
        refusal = verdict.refusal or default_refusal(ex.request.messages)
        ex.answer.append(refusal)
        ex.blocked_at = "input"
        ident, created, model = f"chatcmpl-{ex.request_id}", int(time.time()), ex.request.model
        await self.record(ex, durable=True)
        if ex.request.stream:
            body = (
                chunk_event(ident, created, model, {"role": "assistant", "content": refusal}, None)
                + chunk_event(ident, created, model, {}, "content_filter")
                + DONE
            )
            await send(self._start(200, ex, stream=True))
        else:
            body = orjson.dumps(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": refusal},
                            "finish_reason": "content_filter",
                        }
                    ],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                }
            )
            await send(self._start(200, ex, stream=False, length=len(body)))
        await send({"type": "http.response.body", "body": body})

    def _start(
        self, status: int, ex: Exchange, *, stream: bool, length: int = -1
    ) -> MutableMapping[str, Any]:
        headers = list(_SSE) if stream else [_JSON]
        if length >= 0:
            headers.append((b"content-length", str(length).encode()))
        headers.append((b"x-request-id", ex.request_id.encode()))
        headers.append((b"x-sekimori-decision", ex.decision.action.value.encode()))
        if ex.decision.categories:
            headers.append((b"x-sekimori-categories", ",".join(ex.decision.categories).encode()))
        if ex.blocked_at is not None:
            headers.append((b"x-sekimori-blocked", ex.blocked_at.encode()))
        if ex.deferred:
            headers.append((b"x-sekimori-deferred", b"1"))
        return {"type": "http.response.start", "status": status, "headers": headers}

    async def _call_upstream(
        self, ex: Exchange, upstream: Upstream, body: bytes, *, stream: bool
    ) -> UpstreamResponse:
        t0 = time.perf_counter()
        try:
            response = await upstream.chat(body, stream=stream)
        except UpstreamError as exc:
            raise self._upstream_failed(exc, upstream.name) from exc
        elapsed = time.perf_counter() - t0
        ex.upstream_ms = elapsed * 1000
        self.metrics.upstream_latency.observe(elapsed, upstream.name)
        if response.status != 200:
            try:
                payload = await response.read()
            except UpstreamError as exc:
                raise self._upstream_failed(exc, upstream.name) from exc
            finally:
                await response.close()
            raise self._upstream_status(response.status, payload, upstream.name)
        return response

    def _upstream_failed(self, exc: UpstreamError, name: str) -> HttpError:
        timeout = isinstance(exc, UpstreamTimeout)
        self.metrics.upstream_errors.inc(name, "timeout" if timeout else "unavailable")
        return HttpError(
            504 if timeout else 502,
            str(exc),
            code="upstream_timeout" if timeout else "upstream_unavailable",
            type="upstream_error",
        )

    def _upstream_status(self, status: int, payload: bytes, name: str) -> HttpError:
        self.metrics.upstream_errors.inc(name, f"http_{status}")
        message = _error_message(payload)
        if 400 <= status < 500 and status not in (401, 403, 407):
            # The client's own mistake as the model server saw it (bad parameter, rate limit).
            return HttpError(status, f"upstream {name}: {message}", code=f"upstream_{status}")
        return HttpError(
            502,
            f"upstream {name} answered HTTP {status}: {message}",
            code="upstream_unavailable",
            type="upstream_error",
        )

    # -- non-streaming
    async def _complete(
        self,
        ex: Exchange,
        context: ScreenContext,
        verdict: InputResult,
        upstream: Upstream,
        body: bytes,
        receive: Receive,
        send: Send,
    ) -> None:
        fetch = asyncio.ensure_future(self._fetch(ex, upstream, body))
        watch = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            await asyncio.wait((fetch, watch), return_when=asyncio.FIRST_COMPLETED)
        finally:
            watch.cancel()
            if not fetch.done():
                # The client left (or we are being cancelled): drop the upstream request too.
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
        if fetch.cancelled():
            ex.status = CLIENT_CLOSED
            await self.record(ex)
            return
        payload = fetch.result()
        try:
            data = orjson.loads(payload)
            message = data["choices"][0]["message"]
            content = message.get("content") or ""
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
            self.metrics.upstream_errors.inc(upstream.name, "bad_answer")
            raise HttpError(
                502,
                f"upstream {upstream.name} answered something that is not a chat completion",
                code="upstream_bad_answer",
                type="upstream_error",
            ) from None
        _usage(ex, data.get("usage"))
        changed = False
        if verdict.restorer is not None and isinstance(content, str):
            content = verdict.restorer.feed(content) + verdict.restorer.flush()
            message["content"] = content
            changed = True
        text = content if isinstance(content, str) else ""
        t0 = time.perf_counter()
        result = await self._screen_output(context, OutputWindow(text, 0, True))
        ex.screen_ms += (time.perf_counter() - t0) * 1000
        ex.decision = merge(ex.decision, result.decision)
        if result.decision.action is Action.BLOCK:
            text = result.refusal or default_refusal(ex.request.messages)
            message["content"] = text
            data["choices"][0]["finish_reason"] = "content_filter"
            ex.blocked_at = "output"
            changed = True
        ex.answer.append(text)
        if changed:
            payload = orjson.dumps(data)
        # Queued before the answer goes out, so every answer a client got is pending or written.
        await self.record(ex, durable=ex.decision.action in _DURABLE)
        await send(self._start(200, ex, stream=False, length=len(payload)))
        await send({"type": "http.response.body", "body": payload})

    async def _fetch(self, ex: Exchange, upstream: Upstream, body: bytes) -> bytes:
        response = await self._call_upstream(ex, upstream, body, stream=False)
        try:
            return await response.read()
        except UpstreamError as exc:
            raise self._upstream_failed(exc, upstream.name) from exc
        finally:
            await response.close()

    async def _screen_output(self, context: ScreenContext, window: OutputWindow) -> OutputResult:
        try:
            result = await self.screen.screen_output(context, window)
        except Exception as exc:  # fail closed, as on input
            result = OutputResult(Decision(Action.BLOCK, (), (f"screening failed: {exc}",)))
        self.metrics.decisions.inc("output", result.decision.action.value)
        return result

    # -- streaming
    async def _stream(
        self,
        ex: Exchange,
        context: ScreenContext,
        verdict: InputResult,
        upstream: Upstream,
        body: bytes,
        receive: Receive,
        send: Send,
    ) -> None:
        response = await self._call_upstream(ex, upstream, body, stream=True)
        # A deferred request never releases unscreened text, with or without `hold_chars`.
        hold = self.hold or (self.stride if ex.deferred else 0)
        relay = _Relay(self, ex, context, verdict.restorer, response, send, hold)
        relay_task = asyncio.ensure_future(relay.run())
        watch_task = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            await asyncio.wait((relay_task, watch_task), return_when=asyncio.FIRST_COMPLETED)
        finally:
            watch_task.cancel()
            if not relay_task.done():
                # The client left: stop reading, which closes the upstream connection.
                relay_task.cancel()
                ex.status = CLIENT_CLOSED
            await asyncio.gather(relay_task, return_exceptions=True)
            if relay.pending is not None:
                relay.pending.cancel()
            await response.close()
        if not relay.recorded:
            await self.record(ex)

    async def record(self, ex: Exchange, *, durable: bool = False) -> None:
        mode = self.settings.audit_text_for(ex.principal.tenant)
        prompt = answer = None
        if mode != "none":
            prompt = orjson.dumps([[m.role, m.content] for m in ex.request.messages]).decode()
            answer = "".join(ex.answer)
            if mode == "hash":
                prompt = hashlib.sha256(prompt.encode()).hexdigest()
                answer = hashlib.sha256(answer.encode()).hexdigest()
        total = time.perf_counter() - ex.started
        record = AuditRecord(
            ts=time.time(),
            request_id=ex.request_id,
            tenant=ex.principal.tenant,
            key_id=ex.principal.key_id,
            model=ex.request.model,
            upstream=ex.upstream,
            status=ex.status,
            decision=ex.decision.action.value,
            categories=",".join(ex.decision.categories),
            stream=ex.request.stream,
            total_ms=round(total * 1000, 3),
            upstream_ms=round(ex.upstream_ms, 3),
            screen_ms=round(ex.screen_ms, 3),
            prompt_tokens=ex.prompt_tokens,
            completion_tokens=ex.completion_tokens,
            text_mode=mode,
            prompt=prompt,
            answer=answer,
            reasons="; ".join(ex.decision.reasons),
        )
        await self.recorder.record(record, durable=durable)


class _Relay:
    """Forwards one upstream event stream to the client while screening it on a sliding window."""

    def __init__(
        self,
        handler: ChatHandler,
        ex: Exchange,
        context: ScreenContext,
        restorer: Restorer | None,
        response: UpstreamResponse,
        send: Send,
        hold: int,
    ) -> None:
        self.handler = handler
        self.hold = hold  # 0: stream as the upstream answers; N: at most N unscreened characters
        self.ex = ex
        self.context = context
        self.restorer = restorer
        self.response = response
        self.send = send
        self.answer_len = 0
        self.screened_to = 0
        self.cleared_to = 0  # the answer up to here passed a screen (used with hold-back)
        self.withheld: deque[tuple[int, bytes]] = deque()  # (answer length after it, event)
        self.pending: asyncio.Task[OutputResult] | None = None
        self.pending_to = 0
        self.blocked: OutputResult | None = None
        self.recorded = False
        self.ident = ""
        self.created = int(time.time())

    def _launch(self, final: bool) -> asyncio.Task[OutputResult]:
        text = "".join(self.ex.answer)
        start = max(0, len(text) - self.handler.window)
        self.screened_to = self.pending_to = len(text)
        window = OutputWindow(text[start:], start, final)
        return asyncio.ensure_future(self._timed(window))

    async def _timed(self, window: OutputWindow) -> OutputResult:
        t0 = time.perf_counter()
        try:
            return await self.handler._screen_output(self.context, window)
        finally:
            self.ex.screen_ms += (time.perf_counter() - t0) * 1000

    def _take(self, result: OutputResult) -> None:
        self.ex.decision = merge(self.ex.decision, result.decision)
        if result.decision.action is Action.BLOCK:
            self.blocked = result
        else:
            self.cleared_to = max(self.cleared_to, self.pending_to)

    async def _hold_back(self, out: list[bytes]) -> list[bytes]:
        """With hold-back on: of the events so far, those a passed screen has covered."""
        if not self.hold:
            return out
        self.withheld.extend((self.answer_len, raw) for raw in out)
        # Never hold more than `hold` characters: wait for the screen (the stream slows down).
        while self.blocked is None and self.answer_len - self.cleared_to > self.hold:
            if self.pending is None:
                self.pending = self._launch(final=False)
            self._take(await self.pending)
            self.pending = None
        released = []
        while self.withheld and self.withheld[0][0] <= self.cleared_to:
            released.append(self.withheld.popleft()[1])
        return released

    async def run(self) -> None:
        ex, send = self.ex, self.send
        splitter = EventSplitter()
        held: list[bytes] = []  # the finish, usage and [DONE] events, sent after the last screen
        first = True
        await send(self.handler._start(200, ex, stream=True))
        try:
            async for chunk in self.response.chunks():
                out: list[bytes] = []
                for event in splitter.feed(chunk):
                    if event.done:
                        continue
                    data = event.data
                    if data is None:
                        out.append(event.raw)
                        continue
                    self.ident = self.ident or str(data.get("id", ""))
                    text = delta_content(data)
                    raw = event.raw
                    if self.restorer is not None and text:
                        restored = self.restorer.feed(text)
                        if restored != text:
                            set_delta_content(data, restored)
                            raw, text = encode(data), restored
                    if "usage" in data:
                        _usage(ex, data.get("usage"))
                    if finish_reason(data) is not None or not data.get("choices"):
                        if self.restorer is not None:
                            rest = self.restorer.flush()
                            if rest:
                                out.append(self._chunk({"content": rest}, None))
                                self._add(rest)
                        self._add(text)
                        held.append(raw)
                        continue
                    self._add(text)
                    out.append(raw)
                # A screen that finished meanwhile decides before more text goes out.
                if self.pending is not None and self.pending.done():
                    self._take(self.pending.result())
                    self.pending = None
                out = await self._hold_back(out)
                if self.blocked is not None:
                    break
                if out:
                    await send(
                        {"type": "http.response.body", "body": b"".join(out), "more_body": True}
                    )
                    if first:
                        first = False
                        self.handler.metrics.ttfb.observe(
                            time.perf_counter() - ex.started, ex.upstream
                        )
                if (
                    self.pending is None
                    and self.answer_len - self.screened_to >= self.handler.stride
                ):
                    self.pending = self._launch(final=False)
        except UpstreamError as exc:
            # The upstream failed after the answer began: the status is sent, so say it in-band.
            error = self.handler._upstream_failed(exc, ex.upstream)
            ex.status = error.status
            await self._finish_record()
            await send({"type": "http.response.body", "body": b"data: " + error.body() + b"\n\n"})
            return
        if self.blocked is None:
            if self.pending is not None:
                self._take(await self.pending)
            if self.blocked is None:
                self._take(await self._launch(final=True))
        if self.blocked is not None:
            notice = {"content": self.blocked.refusal} if self.blocked.refusal else {}
            tail = self._chunk(notice, "content_filter") + DONE
        else:
            # An upstream that never sent a finish event may leave restored text held back.
            rest = self.restorer.flush() if self.restorer is not None else ""
            tail = b"".join(raw for _, raw in self.withheld)  # all screened now
            if rest:
                tail += self._chunk({"content": rest}, None)
            tail += b"".join(held) + DONE
        await self._finish_record(durable=ex.decision.action in _DURABLE)
        await send({"type": "http.response.body", "body": tail})

    def _add(self, text: str) -> None:
        if text:
            self.ex.answer.append(text)
            self.answer_len += len(text)

    def _chunk(self, delta: dict[str, str], finish: str | None) -> bytes:
        ident = self.ident or f"chatcmpl-{self.ex.request_id}"
        return chunk_event(ident, self.created, self.ex.request.model, delta, finish)

    async def _finish_record(self, *, durable: bool = False) -> None:
        self.recorded = True
        await self.handler.record(self.ex, durable=durable)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _usage(ex: Exchange, usage: Any) -> None:
    if isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int):
            ex.prompt_tokens = prompt
        if isinstance(completion, int):
            ex.completion_tokens = completion


def _error_message(payload: bytes) -> str:
    try:
        data = orjson.loads(payload)
        message = data["error"]["message"]
        return str(message)[:500]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return payload[:200].decode("utf-8", "replace") or "(empty body)"


def _rewrite(request: ChatRequest, messages: Sequence[Message]) -> bytes:
    """The request body with each changed message's text replaced (text parts only)."""
    body = request.body
    for i, (old, new) in enumerate(zip(request.messages, messages, strict=True)):
        if old.content == new.content:
            continue
        original = body["messages"][i]
        content = original.get("content")
        if isinstance(content, list):
            parts = [p for p in content if p.get("type") != "text"]
            original["content"] = [{"type": "text", "text": new.content}, *parts]
        else:
            original["content"] = new.content
    return orjson.dumps(body)
