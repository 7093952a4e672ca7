"""One prompt through the gateway, and what the client saw, read from headers and finish_reason
(`docs/screening.md`): `x-sekimori-blocked: input` refused the prompt; `output` withheld a
non-streamed answer; a stream cut mid-way ends with `finish_reason: content_filter` and no
`x-sekimori-blocked` header; `x-sekimori-deferred: 1` marks a held prompt (answered only after
the answer screen judged the answer)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import orjson

from sekimori.evaluation.items import EffectItem

SUPPORT_MARKERS = ("findahelpline", "いのちの電話", "988")


class Fate(StrEnum):
    """What became of one request, from the client's side (mutually exclusive)."""

    BLOCKED = "blocked"  # refused at the input; never sent upstream
    HELD_REFUSED = "held_refused"  # held, and the answer was then withheld
    CUT = "cut"  # not held, but the answer was stopped (withheld or cut mid-stream)
    HELD_RELEASED = "held_released"  # held, then the answer was released
    FLAGGED = "flagged"  # answered, flagged in the audit
    ALLOWED = "allowed"  # answered (allow or redact)
    ERROR = "error"  # no usable answer (HTTP error, bad body)


STOPPED_ANSWER = frozenset({Fate.BLOCKED, Fate.HELD_REFUSED, Fate.CUT})


@dataclass(frozen=True, slots=True)
class Outcome:
    item: EffectItem
    upstream: str  # neutral | compliant
    fate: Fate
    decision: str
    answer: str
    seconds: float
    error: str = ""
    # The compliant upstream's answer (pool id, or the held-back answer's id) and its layout.
    given: str = ""
    given_layout: str = ""
    # x-sekimori-categories: what the screen named; a stop naming nothing is a classifier error
    # or time-out (on_error=block), not a verdict
    categories: str = ""

    @property
    def released(self) -> bool:
        """The upstream's answer reached the client uncut."""
        return self.fate in (Fate.HELD_RELEASED, Fate.FLAGGED, Fate.ALLOWED)

    @property
    def held(self) -> bool:
        return self.fate in (Fate.HELD_REFUSED, Fate.HELD_RELEASED)

    @property
    def refused(self) -> bool:
        return self.fate in STOPPED_ANSWER

    @property
    def screen_failed(self) -> bool:
        """Stopped by a classifier error or time-out (fail-closed), naming no category."""
        return self.refused and self.decision == "block" and not self.categories

    @property
    def support(self) -> bool:
        """The answer carries the self-harm support line (help numbers)."""
        return any(m in self.answer for m in SUPPORT_MARKERS)

    def as_json(self) -> dict[str, Any]:
        i = self.item
        return {
            "set": i.set, "id": i.id, "upstream": self.upstream, "harmful": i.harmful,
            "category": i.category, "tier": i.tier, "lang": i.lang, "label": i.label,
            "variant": i.variant, "origin": i.origin, "fate": self.fate.value,
            "decision": self.decision, "seconds": round(self.seconds, 4), "error": self.error,
            "given": self.given, "given_layout": self.given_layout,
            "categories": self.categories,
        }  # fmt: skip


def fate_of(decision: str, blocked: str, deferred: bool, finish: str) -> Fate:
    if blocked == "input":
        return Fate.BLOCKED
    stopped = blocked == "output" or finish == "content_filter"
    if deferred:
        return Fate.HELD_REFUSED if stopped else Fate.HELD_RELEASED
    if stopped or decision == "block":
        return Fate.CUT
    return Fate.FLAGGED if decision == "flag" else Fate.ALLOWED


def _read_stream(raw: bytes) -> tuple[str, str]:
    """(content, last finish_reason) of an SSE body."""
    text, finish = [], ""
    for line in raw.split(b"\n"):
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        try:
            event = orjson.loads(line[6:])
        except orjson.JSONDecodeError:
            continue
        for choice in event.get("choices") or []:
            text.append((choice.get("delta") or {}).get("content") or "")
            finish = choice.get("finish_reason") or finish
    return "".join(text), finish


def _read_json(raw: bytes) -> tuple[str, str]:
    body = orjson.loads(raw)
    choice = body["choices"][0]
    return choice["message"].get("content") or "", choice.get("finish_reason") or ""


RETRIES = 5  # 429/503 answers retried after their Retry-After, as SDK clients do


def _retry_after(header: str | None) -> float:
    try:
        return min(30.0, max(0.1, float(header or 1)))
    except ValueError:
        return 1.0


async def send(
    client: httpx.AsyncClient, url: str, key: str, item: EffectItem, upstream: str, stream: bool
) -> Outcome:
    """Send `item` to the gateway at `url` (`…/v1`) with the upstream mode `upstream`."""
    if upstream == "neutral":
        model = "neutral"
    elif item.answer:
        model = f"script:{item.script}"  # registered on the fake upstream before the run
    else:
        model = f"comply:{item.comply_label}"
    payload = {"model": model, "messages": item.chat_messages(), "stream": stream}
    started = time.perf_counter()
    try:
        for attempt in range(RETRIES + 1):
            resp = await client.post(
                url + "/chat/completions",
                content=orjson.dumps(payload),
                headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
            )
            if resp.status_code not in (429, 503) or attempt == RETRIES:
                break
            # As the OpenAI SDK does: an overloaded gateway says when to come back.
            await asyncio.sleep(_retry_after(resp.headers.get("retry-after")))
        raw = resp.content
        if resp.status_code != 200:
            raise ValueError(f"HTTP {resp.status_code}: {raw[:200].decode('utf-8', 'replace')}")
        answer, finish = _read_stream(raw) if stream else _read_json(raw)
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        return Outcome(
            item, upstream, Fate.ERROR, "", "", time.perf_counter() - started, str(exc)[:300]
        )
    headers = resp.headers
    decision = headers.get("x-sekimori-decision", "")
    fate = fate_of(
        decision,
        headers.get("x-sekimori-blocked", ""),
        headers.get("x-sekimori-deferred") == "1",
        finish,
    )
    seconds = time.perf_counter() - started
    categories = headers.get("x-sekimori-categories", "")
    return Outcome(item, upstream, fate, decision, answer, seconds, categories=categories)
