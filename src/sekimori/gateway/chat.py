"""POST /v1/chat/completions: screen the input, forward, screen the answer, audit.

Pure ASGI: a streamed answer is forwarded event by event as the upstream sends it; the client's
disconnect cancels the upstream request. Every part of the request is screened
(`sekimori.gateway.parts`); the answer is screened per choice (`n>1`), each choice's text being
its content, reasoning and tool-call arguments, with one sliding window per choice while
streaming. A non-streamed answer loses only its blocked choices; a stream is cut whole when any
choice is blocked (its events interleave, and what was sent cannot be taken back).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from sekimori.audit.record import (
    AUDIT_VERSION,
    AuditRecord,
    Recorder,
    StageDecision,
    encode_scores,
    encode_stages,
    keyed_digest,
)
from sekimori.errors import UpstreamError
from sekimori.gateway.errors import (
    HttpError,
    bad_upstream_answer,
    from_upstream,
    internal,
    scrub,
    upstream_status,
)
from sekimori.gateway.keys import Principal
from sekimori.gateway.metrics import Metrics
from sekimori.gateway.parse import ChatRequest
from sekimori.gateway.parts import ChoiceText, Piece, set_piece, write_back
from sekimori.gateway.screening.refusal import withheld
from sekimori.gateway.shapes import SHAPES, Shape
from sekimori.gateway.sse import (
    Event,
    EventSplitter,
    encode,
    index_of,
)
from sekimori.lang import detect_lang
from sekimori.screen import (
    ALLOW,
    InputResult,
    OutputResult,
    OutputWindow,
    Overloaded,
    Restorer,
    Screen,
    ScreenContext,
    TooLarge,
    default_refusal,
)
from sekimori.settings import Settings
from sekimori.taxonomy import BY_ID
from sekimori.types import AUDIT_WEIGHT, Action, BlockedAt, Decision, Message
from sekimori.upstream.base import Upstream, UpstreamResponse

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

_JSON = (b"content-type", b"application/json")
_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
_DURABLE = (Action.FLAG, Action.BLOCK)
log = logging.getLogger("sekimori.gateway")
T = TypeVar("T")
CLIENT_CLOSED = 499  # the status audited when the client left before the answer ended


def durable(decision: Decision) -> bool:
    """Flags and blocks are written before the answer goes on, so a crash cannot lose them; a
    redaction that also flags a hazard category (the decision reads `redact`) is a flag too."""
    return decision.action in _DURABLE or any(c in BY_ID for c in decision.categories)


def merge(first: Decision, second: Decision) -> Decision:
    """The action that weighs more for the audit (`types.AUDIT_WEIGHT`), with both decisions'
    categories and reasons."""
    if second.action is Action.ALLOW and not second.categories:
        if not second.scores:
            return first
        return dataclasses.replace(first, scores=_top_scores(first.scores, second.scores))
    stronger = AUDIT_WEIGHT[second.action] > AUDIT_WEIGHT[first.action]
    action = second.action if stronger else first.action
    categories = tuple(dict.fromkeys((*first.categories, *second.categories)))
    reasons = tuple(dict.fromkeys((*first.reasons, *second.reasons)))
    return Decision(action, categories, reasons, _top_scores(first.scores, second.scores))


def _top_scores(*sets: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    """Each category's highest score over the given sets."""
    top: dict[str, float] = {}
    for scores in sets:
        for category, score in scores:
            top[category] = max(score, top.get(category, 0.0))
    return tuple(top.items())


# A random prefix per process and a counter: unique ids without a system call per request.
_ID_PREFIX = secrets.token_hex(4)
_ids = itertools.count(1)


def mint_id() -> str:
    """An id the gateway makes: unique in this process, whatever clients send."""
    return f"{_ID_PREFIX}{next(_ids):08x}"


@dataclass(frozen=True, slots=True)
class RequestIds:
    """A request's ids: the gateway's own, and the client's x-request-id if it sent a valid one.

    Clients choose theirs, so two requests may share it: it is only echoed and audited (as
    `client_request_id`). Everything else (screening state, the audit's `request_id`, logs)
    uses the gateway's.
    """

    gateway: str
    client: str | None = None

    @property
    def echoed(self) -> str:
        """Sent back as x-request-id: the client's own, else ours."""
        return self.client or self.gateway


def request_ids(headers: Sequence[tuple[bytes, bytes]]) -> RequestIds:
    for name, value in headers:
        if name == b"x-request-id" and 0 < len(value) <= 64 and value.isascii():
            text = value.decode()
            if all(c.isalnum() or c in "._-" for c in text):
                return RequestIds(mint_id(), text)
    return RequestIds(mint_id())


@dataclass(slots=True)
class Exchange:
    """What one request accumulates on its way through; becomes its audit record."""

    principal: Principal
    request: ChatRequest
    ids: RequestIds
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
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # e.g. x-ratelimit-*
    notes: list[str] = field(default_factory=list)  # audited with the decision's reasons
    # Each screen's own decision (`input`, `output`), audited beside the merged one.
    stages: dict[str, Decision] = field(default_factory=dict)
    # Why the watch holds this key for review (`gateway/limiting.py` sets it): its answers are
    # released only once screened whole, and the request is flagged.
    watch_hold: str | None = None

    def decide(self, stage: str, decision: Decision) -> None:
        """Take one screen's decision: into its stage's, and into the request's."""
        own = self.stages.get(stage)
        self.stages[stage] = decision if own is None else merge(own, decision)
        self.decision = decision if stage == "input" else merge(self.decision, decision)

    @property
    def shape(self) -> Shape:
        """Where the answer's text is, for this request's endpoint."""
        return SHAPES.get(self.request.shape)


class ChatHandler:
    def __init__(
        self,
        settings: Settings,
        screen: Screen,
        recorder: Recorder,
        metrics: Metrics,
        *,
        audit_key: bytes,
        watch: Callable[[Exchange], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.watch = watch  # sees each request once it is recorded (`gateway/watching.py`)
        self.audit_key = audit_key  # keys the audit's text hashes (home.AUDIT_KEY)
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
            ex.principal.tenant, request.model, ex.ids.gateway, client_request_id=ex.ids.client
        )
        t0 = time.perf_counter()
        # A client that leaves while its request waits for a classifier: the work is dropped.
        screening = await _unless_gone(self._screen_input(ex, context), receive)
        if screening.cancelled():
            ex.status = CLIENT_CLOSED
            await self.record(ex)
            return
        verdict = screening.result()
        ex.screen_ms = (time.perf_counter() - t0) * 1000
        ex.decide("input", verdict.decision)
        ex.deferred = verdict.hold
        if ex.watch_hold is not None:
            # A key held for review has its answers screened whole; a request the input screen
            # blocks sends nothing upstream, so it says it was blocked, not deferred.
            ex.deferred = verdict.decision.action is not Action.BLOCK
            ex.decide("watch", Decision(Action.FLAG, (), (ex.watch_hold,)))
        self.metrics.decisions.inc("input", verdict.decision.action.value)
        if verdict.decision.action is Action.BLOCK:
            await self._refuse(ex, verdict, send)
            return
        body = raw_body if verdict.messages is None else _rewrite(request, verdict.messages)
        if not ex.shape.screens_answer:
            await self._pass(ex, upstream, body, receive, send)
            return
        # The output screen gets back what the input screen handed over for this request.
        context = dataclasses.replace(context, handle=verdict.handle)
        if request.stream:
            await self._stream(ex, context, verdict, upstream, body, receive, send)
        else:
            await self._complete(ex, context, verdict, upstream, body, receive, send)

    async def _screen_input(self, ex: Exchange, context: ScreenContext) -> InputResult:
        """The input screen's result; its refusals to screen at all become HTTP errors."""
        try:
            return await self.screen.screen_input(context, ex.request.parts)
        except TooLarge as exc:
            self.metrics.screen_refused.inc("too_large")
            ex.decision = Decision(Action.ALLOW, (), (f"not screened: {exc}",))
            raise HttpError(
                413,
                f"{exc} (screen.options.max_chars); shorten the request or split it / "
                f"リクエストの文字数（{exc.chars}）が検査できる上限（{exc.limit}）を超えています",
                code="request_too_large",
                param=ex.shape.input_field,
            ) from exc
        except Overloaded as exc:
            self.metrics.screen_refused.inc(exc.scope)
            ex.decision = Decision(Action.ALLOW, (), (f"not screened: {exc}",))
            raise _overloaded(exc) from exc
        except Exception as exc:  # fail closed: an unscreened request never goes upstream
            log.exception("input screening failed for request %s", ex.ids.gateway)
            raise internal(
                503,
                "screening is unavailable; the request was not sent / "
                "検査が利用できないため、要求は送信されませんでした",
                "screen_unavailable",
            ) from exc

    # -- blocked on input: a normal completion whose content is the refusal (per shape)
    async def _refuse(self, ex: Exchange, verdict: InputResult, send: Send) -> None:
        refusal = verdict.refusal or default_refusal(ex.request.messages)
        ex.answer.append(refusal)
        ex.blocked_at = "input"
        ident = f"{ex.shape.id_prefix}{ex.ids.gateway}"
        answer = ex.shape.refusal(
            ident, int(time.time()), ex.request.model, refusal, stream=ex.request.stream
        )
        ex.status = answer.status
        await self.record(ex, durable=True)
        length = -1 if answer.stream else len(answer.body)
        await send(self._start(answer.status, ex, stream=answer.stream, length=length))
        await send({"type": "http.response.body", "body": answer.body})

    # -- answers that are not screened (embeddings): passed through as the upstream sent them
    async def _pass(
        self, ex: Exchange, upstream: Upstream, body: bytes, receive: Receive, send: Send
    ) -> None:
        fetch = await _unless_gone(self._fetch(ex, upstream, body), receive)
        if fetch.cancelled():
            ex.status = CLIENT_CLOSED
            await self.record(ex)
            return
        payload = fetch.result()
        data = _json_or_none(payload)
        if not ex.shape.valid(data):
            raise self._bad_answer(upstream.name, ex.shape.path)
        _usage(ex, ex.shape.usage(data))
        await self.record(ex, durable=durable(ex.decision))
        await send(self._start(200, ex, stream=False, length=len(payload)))
        await send({"type": "http.response.body", "body": payload})

    def _bad_answer(self, name: str, path: str) -> HttpError:
        self.metrics.upstream_errors.inc(name, "bad_answer")
        return bad_upstream_answer(name, path)

    def _start(
        self, status: int, ex: Exchange, *, stream: bool, length: int = -1
    ) -> MutableMapping[str, Any]:
        headers = list(_SSE) if stream else [_JSON]
        if length >= 0:
            headers.append((b"content-length", str(length).encode()))
        headers.append((b"x-request-id", ex.ids.echoed.encode()))
        headers.append((b"x-sekimori-decision", ex.decision.action.value.encode()))
        if ex.decision.categories:
            headers.append((b"x-sekimori-categories", ",".join(ex.decision.categories).encode()))
        if ex.blocked_at is not None:
            headers.append((b"x-sekimori-blocked", ex.blocked_at.encode()))
        if ex.deferred:
            headers.append((b"x-sekimori-deferred", b"1"))
        headers.extend(ex.headers)
        return {"type": "http.response.start", "status": status, "headers": headers}

    async def _call_upstream(
        self, ex: Exchange, upstream: Upstream, body: bytes, *, stream: bool
    ) -> UpstreamResponse:
        t0 = time.perf_counter()
        try:
            response = await upstream.post(ex.shape.path, body, stream=stream)
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
            raise self._upstream_status(response, payload, upstream.name, ex)
        return response

    def _upstream_failed(self, exc: UpstreamError, name: str) -> HttpError:
        error = from_upstream(exc)
        kind = "timeout" if error.status == 504 else "unavailable"
        self.metrics.upstream_errors.inc(name, kind)
        return error

    def _upstream_status(
        self, response: UpstreamResponse, payload: bytes, name: str, ex: Exchange
    ) -> HttpError:
        status = response.status
        self.metrics.upstream_errors.inc(name, f"http_{status}")
        log.warning(
            "upstream %s answered HTTP %d to request %s (gateway id %s): %s",
            name,
            status,
            ex.ids.echoed,
            ex.ids.gateway,
            scrub(payload),
        )
        return upstream_status(status, name, ex.ids.echoed, response.headers)

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
        # The client left (or we are being cancelled): drop the upstream request too.
        fetch = await _unless_gone(self._fetch(ex, upstream, body), receive)
        if fetch.cancelled():
            ex.status = CLIENT_CLOSED
            await self.record(ex)
            return
        payload = fetch.result()
        data = _json_or_none(payload)
        if not ex.shape.valid(data):
            raise self._bad_answer(upstream.name, ex.shape.path)
        choices = ex.shape.choices(data)
        _usage(ex, ex.shape.usage(data))
        changed = False
        indexes = [index_of(c, i) for i, c in enumerate(choices)]
        texts = {k: ChoiceText(k) for k in indexes}  # each choice, even one with nothing to screen
        for piece in ex.shape.pieces(data, streamed=False):
            text = piece.text
            if verdict.restorer is not None and piece.field != "tool_name":
                restorer = copy.copy(verdict.restorer)  # one a text: none is held across
                text = restorer.feed(text) + restorer.flush()
                if text != piece.text:
                    set_piece(data, piece, text)
                    changed = True
            texts.setdefault(piece.choice, ChoiceText(piece.choice)).add(piece, text)
        t0 = time.perf_counter()
        results = await asyncio.gather(
            *(
                self._screen_output(context, OutputWindow(t.text, 0, True, t.index))
                for t in texts.values()
            )
        )
        ex.screen_ms += (time.perf_counter() - t0) * 1000
        answers = []
        for (index, choice_text), result in zip(texts.items(), results, strict=True):
            ex.decide("output", result.decision)
            text = choice_text.text
            if result.decision.action is Action.BLOCK:
                # The whole choice goes: content, reasoning and tool calls alike.
                text = result.refusal or default_refusal(ex.request.messages)
                for choice, k in zip(choices, indexes, strict=True):
                    if k == index:
                        ex.shape.withhold(choice, text)
                ex.blocked_at = "output"
                changed = True
            answers.append(text)
        ex.answer.append("\n\n".join(answers))
        if changed:
            payload = orjson.dumps(data)
        # Queued before the answer goes out, so every answer a client got is pending or written.
        await self.record(ex, durable=durable(ex.decision))
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
        if not window.text.strip():
            # Nothing to judge (a tool-call answer's content, an empty answer): never a block.
            return OutputResult(ALLOW)
        try:
            result = await self.screen.screen_output(context, window)
        except Exception as exc:  # fail closed, as on input; the request was sent and answered
            reason = f"screening failed: {exc}"
            notice = withheld(detect_lang(window.text[:400]))
            result = OutputResult(Decision(Action.BLOCK, (), (reason,)), refusal=notice)
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
        # A held (deferred) request releases nothing before its complete answer passed the
        # screen (`_hold_back`); holding `stride` makes every window of it screened on the way.
        hold = self.hold or (self.stride if ex.deferred else 0)
        # A low-risk prompt's answer is judged once a window after its opening (a cut stays
        # within one window); a hold-back releases text only as it is screened: it keeps the stride.
        stride = max(self.window, self.stride) if verdict.low_risk and not hold else self.stride
        relay = _Relay(self, ex, context, verdict.restorer, response, send, hold, stride)
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
            relay.cancel_pending()
            await response.close()
        if not relay.recorded:
            relay.sync_answer()
            await self.record(ex)

    async def record(self, ex: Exchange, *, durable: bool = False) -> None:
        mode: str = self.settings.audit_text_for(ex.principal.tenant)
        prompt = answer = None
        if mode != "none":
            prompt = orjson.dumps([[m.role, m.content] for m in ex.request.messages]).decode()
            answer = "".join(ex.answer)
            if mode == "hash":
                mode = "hmac"  # keyed: the record says so, older ones say `hash` (plain sha256)
                prompt = keyed_digest(self.audit_key, prompt)
                answer = keyed_digest(self.audit_key, answer)
        total = time.perf_counter() - ex.started
        record = AuditRecord(
            ts=time.time(),
            request_id=ex.ids.gateway,
            client_request_id=ex.ids.client,
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
            reasons="; ".join((*ex.decision.reasons, *ex.notes)),
            version=AUDIT_VERSION,
            stages=encode_stages(
                StageDecision(stage, d.action.value, d.categories, dict(d.scores))
                for stage, d in ex.stages.items()
            ),
            blocked_at=ex.blocked_at or _cut(ex),
            held=ex.deferred,
            scores=encode_scores(dict(ex.decision.scores)),
        )
        await self.recorder.record(record, durable=durable)
        if self.watch is not None:
            await self.watch(ex)


def _cut(ex: Exchange) -> BlockedAt | None:
    """`output` for a streamed answer cut after its headers went out (so `blocked_at` is unset)."""
    output = ex.stages.get("output")
    return "output" if output is not None and output.action is Action.BLOCK else None


@dataclass(slots=True)
class _Choice:
    """One choice of a streamed answer: its text and its own sliding window."""

    text: ChoiceText
    screened_to: int = 0
    cleared_to: int = 0  # its text up to here passed a screen (used with hold-back)
    pending: asyncio.Task[OutputResult] | None = None
    pending_to: int = 0

    @property
    def length(self) -> int:
        return self.text.length


@dataclass(frozen=True, slots=True)
class _Out:
    """An event to send, with each choice's text length once it is sent (for hold-back)."""

    raw: bytes
    upto: dict[int, int]


class _Relay:
    """Forwards one upstream event stream to the client while screening each choice's window."""

    def __init__(
        self,
        handler: ChatHandler,
        ex: Exchange,
        context: ScreenContext,
        restorer: Restorer | None,
        response: UpstreamResponse,
        send: Send,
        hold: int,
        stride: int,
    ) -> None:
        self.handler = handler
        self.hold = hold  # 0: stream as the upstream answers; N: at most N unscreened characters
        self.stride = stride  # new characters of a choice that start the next window's screen
        self.ex = ex
        self.context = context
        self.restorer = restorer
        self.restorers: dict[tuple[int, str, int], tuple[Restorer, Piece]] = {}
        self.response = response
        self.send = send
        self.choices: dict[int, _Choice] = {}
        self.withheld: deque[_Out] = deque()
        self.blocked: OutputResult | None = None
        self.blocked_choice = 0
        self.recorded = False
        self.ident = ""
        self.created = int(time.time())
        self.held: list[bytes] = []  # finish and usage events, sent after the last screen
        self.first = True  # no event sent yet (for the time-to-first-byte metric)

    def _choice(self, index: int) -> _Choice:
        state = self.choices.get(index)
        if state is None:
            state = self.choices[index] = _Choice(ChoiceText(index))
        return state

    def _launch(self, state: _Choice, final: bool) -> asyncio.Task[OutputResult]:
        text = state.text.text
        start = max(0, len(text) - self.handler.window)
        state.screened_to = state.pending_to = len(text)
        whole = text if final else ""
        window = OutputWindow(text[start:], start, final, state.text.index, whole)
        return asyncio.ensure_future(self._timed(window))

    async def _timed(self, window: OutputWindow) -> OutputResult:
        t0 = time.perf_counter()
        try:
            return await self.handler._screen_output(self.context, window)
        finally:
            self.ex.screen_ms += (time.perf_counter() - t0) * 1000

    def _take(self, state: _Choice, result: OutputResult) -> None:
        self.ex.decide("output", result.decision)
        if result.decision.action is Action.BLOCK:
            if self.blocked is None:
                self.blocked, self.blocked_choice = result, state.text.index
        else:
            state.cleared_to = max(state.cleared_to, state.pending_to)

    async def _settle(self, state: _Choice) -> None:
        """Waits for the choice's screen in flight, if any, and takes its result."""
        if state.pending is not None:
            task, state.pending = state.pending, None
            self._take(state, await task)

    def _cleared(self, out: _Out) -> bool:
        return all(self.choices[c].cleared_to >= n for c, n in out.upto.items())

    async def _hold_back(self, out: list[_Out]) -> list[bytes]:
        """With hold-back on: of the events so far, those a passed screen has covered."""
        if not self.hold:
            return [o.raw for o in out]
        self.withheld.extend(out)
        # Never hold more than `hold` characters of a choice: wait for its screen (the stream
        # slows down).
        while self.blocked is None:
            over = [c for c in self.choices.values() if c.length - c.cleared_to > self.hold]
            if not over:
                break
            for state in over:
                if state.pending is None:
                    state.pending = self._launch(state, final=False)
            for state in over:
                await self._settle(state)
        if self.ex.deferred:  # held: nothing is released before the whole answer passed
            return []
        released = []
        while self.withheld and self._cleared(self.withheld[0]):
            released.append(self.withheld.popleft().raw)
        return released

    def _restore(self, data: dict[str, Any], pieces: list[Piece]) -> bool:
        """Restores placeholders in this chunk's pieces, one restorer a text; True if changed."""
        changed = False
        for i, piece in enumerate(pieces):
            if self.restorer is None or piece.field == "tool_name":
                continue
            entry = self.restorers.get(piece.stream_key)
            restorer = copy.copy(self.restorer) if entry is None else entry[0]
            self.restorers[piece.stream_key] = (restorer, piece)
            restored = restorer.feed(piece.text)
            if restored != piece.text:
                set_piece(data, piece, restored)
                pieces[i] = dataclasses.replace(piece, text=restored)
                changed = True
        return changed

    def _restore_whole(self, data: dict[str, Any]) -> bool:
        """Restores placeholders in the texts an event repeats whole; True if changed."""
        if self.restorer is None:
            return False
        changed = False
        for piece in self.ex.shape.snapshots(data):
            restorer = copy.copy(self.restorer)
            restored = restorer.feed(piece.text) + restorer.flush()
            if restored != piece.text:
                set_piece(data, piece, restored)
                changed = True
        return changed

    def _flush(
        self, index: int | None, data: dict[str, Any] | None, pieces: list[Piece]
    ) -> list[_Out]:
        """Releases what restorers of choice `index` (None: all) still hold.

        A held tail goes into this chunk's piece of the same text when there is one (so it
        comes before the finish), else into a chunk of its own.
        """
        out = []
        for key, (restorer, last) in self.restorers.items():
            if index is not None and key[0] != index:
                continue
            rest = restorer.flush()
            if not rest:
                continue
            state = self._choice(key[0])
            here = next((i for i, p in enumerate(pieces) if p.stream_key == key), None)
            if here is not None and data is not None:
                piece = pieces[here]
                set_piece(data, piece, piece.text + rest)  # added to the text with the piece
                pieces[here] = dataclasses.replace(piece, text=piece.text + rest)
            else:
                state.text.add(last, rest)
                event = self._chunk(key[0], self.ex.shape.delta(last, rest), None)
                out.append(_Out(event, {key[0]: state.length}))
        return out

    async def _relay(self, events: list[Event]) -> bool:
        """Forwards (or holds) one read's events, launching screens; False once blocked."""
        ex = self.ex
        out: list[_Out] = []
        for event in events:
            if event.done:
                continue
            data = event.data
            self.ident = self.ident or ex.shape.ident(data)
            pieces = ex.shape.pieces(data, streamed=True)
            changed = self._restore(data, pieces)
            changed = self._restore_whole(data) or changed
            finished = ex.shape.finished(data)
            for index in finished:
                before = [p.text for p in pieces]
                out.extend(self._flush(index, data, pieces))
                changed = changed or before != [p.text for p in pieces]
            _usage(ex, ex.shape.usage(data))
            raw = encode(data) if changed else event.raw
            for piece in pieces:
                self._choice(piece.choice).text.add(piece, piece.text)
            if ex.shape.trailing(data):
                self.held.append(raw)
                continue
            out.append(_Out(raw, {c: self.choices[c].length for c in {p.choice for p in pieces}}))
        # A screen that finished meanwhile decides before more text goes out.
        for state in self.choices.values():
            if state.pending is not None and state.pending.done():
                await self._settle(state)
        sent = await self._hold_back(out)
        if self.blocked is not None:
            return False
        if sent:
            await self.send(
                {"type": "http.response.body", "body": b"".join(sent), "more_body": True}
            )
            if self.first:
                self.first = False
                self.handler.metrics.ttfb.observe(time.perf_counter() - ex.started, ex.upstream)
        for state in self.choices.values():
            # The opening is judged after `stride` characters for every prompt: a harmful
            # answer shows its shape early ("Sure. Step 1: …").
            stride = self.stride if state.screened_to else self.handler.stride
            if state.pending is None and state.length - state.screened_to >= stride:
                state.pending = self._launch(state, final=False)
        return True

    async def run(self) -> None:
        ex, send = self.ex, self.send
        splitter = EventSplitter()
        await send(self.handler._start(200, ex, stream=True))
        try:
            async for chunk in self.response.chunks():
                if not await self._relay(splitter.feed(chunk)):
                    break
            else:
                # An upstream may end its stream by closing: its last event may lack the blank
                # line that ends an event, and [DONE] may never come (we add our own).
                await self._relay(splitter.end())
            if splitter.dropped:
                log.warning(
                    "dropped %d invalid stream event(s) from upstream %s for request %s",
                    splitter.dropped,
                    ex.upstream,
                    ex.ids.gateway,
                )
        except UpstreamError as exc:
            # The upstream failed after the answer began: the status is sent, so say it in-band.
            error = self.handler._upstream_failed(exc, ex.upstream)
            ex.status = error.status
            await self._finish_record()
            await send({"type": "http.response.body", "body": b"data: " + error.body() + b"\n\n"})
            return
        # An upstream that never sent a finish event may leave restored text held back.
        rest = [] if self.blocked is not None else self._flush(None, None, [])
        if self.blocked is None:
            for state in self.choices.values():
                await self._settle(state)
        if self.blocked is None:
            states = list(self.choices.values())
            finals = await asyncio.gather(*(self._launch(s, final=True) for s in states))
            for state, result in zip(states, finals, strict=True):
                self._take(state, result)
        if self.blocked is not None:
            notice = self.ex.shape.notice(self.blocked.refusal or "")
            # Every choice ends here; the notice goes to the one that was blocked.
            tail = b"".join(
                self._chunk(i, notice if i == self.blocked_choice else {}, "content_filter")
                for i in sorted({*self.choices, self.blocked_choice})
            )
            tail += self.ex.shape.done
        else:
            tail = b"".join(o.raw for o in self.withheld)  # all screened now
            tail += b"".join(o.raw for o in rest) + b"".join(self.held) + self.ex.shape.done
        await self._finish_record(durable=durable(ex.decision))
        await send({"type": "http.response.body", "body": tail})

    def cancel_pending(self) -> None:
        for state in self.choices.values():
            if state.pending is not None:
                state.pending.cancel()

    def sync_answer(self) -> None:
        """The audited answer: each choice's text, in choice order."""
        self.ex.answer[:] = ["\n\n".join(self.choices[i].text.text for i in sorted(self.choices))]

    def _chunk(self, index: int, delta: dict[str, Any], finish: str | None) -> bytes:
        shape = self.ex.shape
        ident = self.ident or f"{shape.id_prefix}{self.ex.ids.gateway}"
        return shape.chunk(ident, self.created, self.ex.request.model, delta, finish, index)

    async def _finish_record(self, *, durable: bool = False) -> None:
        self.recorded = True
        self.sync_answer()
        await self.handler.record(self.ex, durable=durable)


def _overloaded(exc: Overloaded) -> HttpError:
    """429 when the tenant is over its share, 503 when the whole gateway is full."""
    wait = exc.retry_after_s
    if exc.scope == "tenant":
        status, code, kind = 429, "screen_queue_full", "rate_limit_error"
        ja = f"このテナントの検査待ちが上限（{exc.limit} 件）に達しました"
    else:
        status, code, kind = 503, "overloaded", "server_error"
        ja = f"ゲートウェイの検査待ちが上限（{exc.limit} 件）に達しました"
    return HttpError(
        status,
        f"{exc}; retry after {wait} s / {ja}。{wait} 秒後に再試行してください",
        code=code,
        type=kind,
        headers=[(b"retry-after", str(wait).encode())],
    )


async def _unless_gone(work: Awaitable[T], receive: Receive) -> asyncio.Future[T]:
    """Runs `work` until it ends or the client disconnects, which cancels it; its task."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        await asyncio.wait((task, watch), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return task


def _json_or_none(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _usage(ex: Exchange, usage: Any) -> None:
    if isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if prompt is None and completion is None:  # the Responses API's names
            prompt, completion = usage.get("input_tokens"), usage.get("output_tokens")
        if isinstance(prompt, int):
            ex.prompt_tokens = prompt
        if isinstance(completion, int):
            ex.completion_tokens = completion


def _rewrite(request: ChatRequest, rewritten: Sequence[Message]) -> bytes:
    """The request body with each changed part's text written back where it was."""
    write_back(request.body, request.parts, rewritten)
    return orjson.dumps(request.body)
