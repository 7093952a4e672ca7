"""What the gateway hands the watch about a recorded request (`sekimori.watch.live`).

Screened requests only (a request refused before screening has no input decision and no
scores to keep); the scores are the input screen's decision's, every category. The
session is the key and the conversation's first user turn: a chat client sends the whole
history each turn, so every turn of one conversation names the same first turn; the sketch
keeps a 64-bit digest of it, never the text.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Mapping
from typing import Any, TypeGuard

from sekimori.audit.recorder import BatchingRecorder
from sekimori.gateway.chat import Exchange
from sekimori.gateway.parts import request_parts
from sekimori.lang import detect_lang
from sekimori.screen import Screen, ScreenContext
from sekimori.watch.compose import ScoreText
from sekimori.watch.live import Seen
from sekimori.watch.pool import SCORES_MODEL, SCORES_TENANT
from sekimori.watch.sketch import SamplingParams

log = logging.getLogger("sekimori.watch")
_LANG_SAMPLE = 2_000
COMPOSE_TIMEOUT_S = 10.0


class Watching:
    """`await watching(ex)`: queue the request's sketch; the recorder writes it in a thread."""

    def __init__(self, recorder: BatchingRecorder[Seen]) -> None:
        self.recorder = recorder

    async def __call__(self, ex: Exchange) -> None:
        seen = seen_of(ex)
        if seen is not None:
            await self.recorder.record(seen)


def seen_of(ex: Exchange) -> Seen | None:
    screened = ex.stages.get("input")
    if screened is None:
        return None
    users = [m.content for m in ex.request.messages if m.role == "user"]
    prompt = users[-1] if users else "\n".join(m.content for m in ex.request.messages)
    first = users[0] if users else prompt
    return Seen(
        request_id=ex.ids.gateway,
        ts=time.time(),
        key_id=ex.principal.key_id,
        tenant=ex.principal.tenant,
        session=f"{ex.principal.key_id}\0{first}",
        prompt=prompt,
        lang=detect_lang(prompt[:_LANG_SAMPLE]),
        params=sampling_params(ex.request.body),
        scores=dict(screened.scores),  # every category, below the block point too
        answer_chars=sum(map(len, ex.answer)),
        refused=ex.blocked_at is not None,
        latency_ms=ex.screen_ms,
    )


def sampling_params(body: Mapping[str, Any]) -> SamplingParams:
    """The sampling parameters as the client sent them; anything malformed counts as absent
    (the parser and the upstream judge validity, the watch only counts)."""
    temperature = body.get("temperature")
    n = body.get("n")
    logprobs = body.get("logprobs")
    top = body.get("top_logprobs")
    # chat's `logprobs` is a flag with `top_logprobs`; completions' `logprobs` is the count.
    if _count(logprobs):
        top, logprobs = logprobs, logprobs > 0
    max_tokens = next(
        (
            body[k]
            for k in ("max_completion_tokens", "max_tokens", "max_output_tokens")
            if _count(body.get(k))
        ),
        None,
    )
    return SamplingParams(
        temperature=float(temperature) if _number(temperature) else None,
        n=n if _count(n) and n > 0 else 1,
        logprobs=logprobs is True,
        top_logprobs=top if _count(top) else 0,
        max_tokens=max_tokens if _count(max_tokens) and max_tokens > 0 else None,
    )


def _count(value: object) -> TypeGuard[int]:
    """A whole number not below zero (never a bool, which Python counts as an int)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: object) -> TypeGuard[int | float]:
    return _count(value) or (isinstance(value, float) and value >= 0)


def screen_scorer(screen: Screen, loop: asyncio.AbstractEventLoop) -> ScoreText:
    """The composer's scorer (`watch.compose`): a joined text through the gateway's own input
    screen as a one-turn request, its decision's category scores. Called from the sketch
    writer's thread; the screening runs on the gateway's loop, fairly queued as the watch's own
    tenant. A failure, a full queue or a timeout leaves that reading out (logged)."""
    ids = itertools.count()

    def score(text: str) -> Mapping[str, float] | None:
        body = {"model": SCORES_MODEL, "messages": [{"role": "user", "content": text}]}
        context = ScreenContext(SCORES_TENANT, SCORES_MODEL, f"watch-compose-{next(ids)}")
        future = asyncio.run_coroutine_threadsafe(
            screen.screen_input(context, list(request_parts(body))), loop
        )
        try:
            return dict(future.result(COMPOSE_TIMEOUT_S).decision.scores)
        except Exception as exc:  # the watch goes on without this reading
            future.cancel()
            log.warning("watch: composed reading not screened: %s", exc)
            return None

    return score
