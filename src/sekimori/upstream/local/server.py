"""An OpenAI-compatible HTTP server for one local model, as a pure ASGI app.

The model runs on one worker thread, one generation at a time; requests wait in arrival order
(up to `max_queue`, then 503) and the event loop stays free. A client that disconnects, or stops
reading a stream, cancels its generation at the next token.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sekimori.upstream.local.api import (
    SSE_DONE,
    ApiError,
    ChatCompletionRequest,
    Completion,
    parse_request,
    sse,
)
from sekimori.upstream.local.protocol import (
    ChatModel,
    ContextLengthError,
    Finished,
    GenerationEvent,
    TextDelta,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SERVED_NAME = "local"  # the model name the gateway uses for the embedded model


@dataclass(frozen=True, slots=True)
class ServerSettings:
    max_queue: int = 32  # generations waiting or running before new ones get 503
    max_body_bytes: int = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WorkerStats:
    running: int
    waiting: int
    completed: int
    cancelled: int
    failed: int


class Job:
    """One generation: produced on the worker thread, consumed on the event loop."""

    def __init__(self, events: Iterator[GenerationEvent], loop: asyncio.AbstractEventLoop) -> None:
        self._events = events
        self._loop = loop
        self._queue: asyncio.Queue[GenerationEvent | Exception] = asyncio.Queue()
        self.cancel = threading.Event()

    def _put(self, item: GenerationEvent | Exception) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the event loop has closed during shutdown: nobody is listening
            self.cancel.set()

    def run(self) -> str:
        """Worker-thread body; returns how it ended: completed, cancelled or failed."""
        if self.cancel.is_set():
            return "cancelled"
        try:
            for event in self._events:
                self._put(event)
                if isinstance(event, Finished):
                    return "completed"
                if self.cancel.is_set():
                    return "cancelled"
            return "completed"
        except Exception as exc:  # reported to the waiting request as a 500, never lost
            self._put(exc)
            return "failed"
        finally:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()

    async def events(self) -> AsyncIterator[GenerationEvent]:
        while True:
            item = await self._queue.get()
            if isinstance(item, Exception):
                raise item
            yield item
            if isinstance(item, Finished):
                return


class Worker:
    """A single model thread with an ordered, bounded queue in front of it."""

    def __init__(self, max_queue: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="sekimori-local-model"
        )
        self._max_queue = max_queue
        self._active: set[Job] = set()
        self._lock = threading.Lock()
        self._running = 0
        self._outcomes = {"completed": 0, "cancelled": 0, "failed": 0}

    def submit(self, events: Iterator[GenerationEvent]) -> Job:
        if len(self._active) >= self._max_queue:
            raise ApiError(
                503,
                f"the local model is busy ({len(self._active)} requests queued); retry shortly",
                type="server_error",
                code="overloaded",
            )
        job = Job(events, asyncio.get_running_loop())
        self._active.add(job)

        def run() -> None:
            with self._lock:
                self._running += 1
            outcome = job.run()
            with self._lock:
                self._running -= 1
                self._outcomes[outcome] += 1

        future = self._executor.submit(run)
        future.add_done_callback(lambda _: self._active.discard(job))
        return job

    def stats(self) -> WorkerStats:
        with self._lock:
            running = self._running
            return WorkerStats(
                running=running,
                waiting=max(len(self._active) - running, 0),
                completed=self._outcomes["completed"],
                cancelled=self._outcomes["cancelled"],
                failed=self._outcomes["failed"],
            )

    def shutdown(self) -> None:
        for job in list(self._active):
            job.cancel.set()
        self._executor.shutdown(wait=False, cancel_futures=True)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    too_large = ApiError(
        413, f"request body is larger than the limit of {limit} bytes", code="request_too_large"
    )
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise too_large
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


async def _cancel_on_disconnect(receive: Receive, job: Job) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            job.cancel.set()
            return


class LocalModelApp:
    def __init__(self, model: ChatModel, settings: ServerSettings) -> None:
        self.model = model
        self.settings = settings
        self.names = (SERVED_NAME, model.name)
        self.worker = Worker(settings.max_queue)
        self.created = int(time.time())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            await self._route(scope, receive, send)
        except ApiError as exc:
            await _send_json(send, exc.status, exc.body())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.worker.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        if path == "/v1/chat/completions":
            _allow(method, "POST")
            await self._chat(scope, receive, send)
        elif path == "/v1/models":
            _allow(method, "GET")
            await _send_json(
                send, 200, {"object": "list", "data": [self._model_card(n) for n in self.names]}
            )
        elif path.startswith("/v1/models/"):
            _allow(method, "GET")
            await _send_json(
                send, 200, self._model_card(self._check_model(path[len("/v1/models/") :]))
            )
        elif path == "/healthz":
            _allow(method, "GET")
            stats = self.worker.stats()
            await _send_json(
                send,
                200,
                {
                    "status": "ok",
                    "model": self.model.name,
                    "context_length": self.model.context_length,
                    "running": stats.running,
                    "waiting": stats.waiting,
                    "completed": stats.completed,
                    "cancelled": stats.cancelled,
                    "failed": stats.failed,
                },
            )
        else:
            raise ApiError(404, f"no route {method} {path}", code="not_found")

    def _model_card(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": self.created, "owned_by": "sekimori"}

    def _check_model(self, name: str) -> str:
        if name not in self.names:
            raise ApiError(
                404,
                f"the model {name!r} does not exist; this server has: {', '.join(self.names)}",
                param="model",
                code="model_not_found",
            )
        return name

    async def _chat(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = parse_request(await _read_body(scope, receive, self.settings.max_body_bytes))
        self._check_model(request.model)
        try:
            events = self.model.generate(request.to_generation())
        except ContextLengthError as exc:
            raise ApiError(
                400, str(exc), param="messages", code="context_length_exceeded"
            ) from None
        job = self.worker.submit(events)
        watcher = asyncio.create_task(_cancel_on_disconnect(receive, job))
        try:
            if request.stream:
                await self._stream(request, job, send)
            else:
                await self._complete(request, job, send)
        finally:
            job.cancel.set()
            watcher.cancel()

    async def _complete(self, request: ChatCompletionRequest, job: Job, send: Send) -> None:
        parts: list[str] = []
        try:
            async for event in job.events():
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                else:
                    body = Completion.new(request.model).response("".join(parts), event)
                    await _send_json(send, 200, body)
        except Exception as exc:
            raise ApiError(500, f"the local model failed: {exc}", type="server_error") from exc

    async def _stream(self, request: ChatCompletionRequest, job: Job, send: Send) -> None:
        completion = Completion.new(request.model)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )

        async def emit(data: bytes, more: bool = True) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": more})

        await emit(sse(completion.chunk({"role": "assistant", "content": ""})))
        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        try:
            async for event in job.events():
                if isinstance(event, TextDelta):
                    await emit(sse(completion.chunk({"content": event.text})))
                else:
                    await emit(sse(completion.chunk({}, event.finish_reason)))
                    if include_usage:
                        await emit(sse(completion.usage_chunk(event)))
        except OSError:
            return  # the client went away; the finally in _chat cancels the generation
        except Exception as exc:
            # Headers are sent: report in-band, as OpenAI does, so SDKs raise an APIError.
            error = ApiError(500, f"the local model failed: {exc}", type="server_error")
            await emit(sse(error.body()))
        await emit(SSE_DONE, more=False)


def _allow(method: str, allowed: str) -> None:
    if method != allowed:
        raise ApiError(
            405, f"method {method} is not allowed here; use {allowed}", code="method_not_allowed"
        )
