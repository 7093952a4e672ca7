"""What a guard model is to sekimori: one async method, one named result.

A guard is a published safety model (Llama Guard, Qwen3Guard, ShieldGemma, Granite Guardian,
WildGuard) served beside the user's model. Each adapter (one a file in this package) writes the
prompt its model card documents, reads the output format it documents, and maps the model's
labels to the taxonomy. A guard that is down, slow or answers nonsense does not raise: it gives
a `GuardVerdict` whose `status` says what went wrong, so routing can fail closed or open by
policy instead of crashing a request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from sekimori.errors import UpstreamError
from sekimori.registry import Registry
from sekimori.settings import GuardSettings


class GuardStatus(StrEnum):
    OK = "ok"
    MALFORMED = "malformed"  # the answer is not in the model card's format
    UNREACHABLE = "unreachable"  # no connection, or the server answered 5xx / 429
    TIMEOUT = "timeout"  # no answer within the timeout or the routing budget
    REJECTED = "rejected"  # the server refused the request (4xx): wrong model name, URL ...


class Target(StrEnum):
    PROMPT = "prompt"
    ANSWER = "answer"


@dataclass(frozen=True, slots=True)
class GuardLabel:
    """One label the guard gave (its own code), with the taxonomy ids it may mean.

    `categories` lists the ids the label covers, its core meaning first; empty when the label
    has no counterpart in the taxonomy (e.g. Llama Guard's S6 specialised advice).
    """

    code: str
    categories: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    guard: str  # the adapter's registry name, e.g. llama_guard_3
    model: str  # the model as the server named it (its version), else as configured
    target: Target
    status: GuardStatus
    harmful: bool | None = None  # None: no usable verdict (status is not OK)
    score: float | None = None  # probability of harm; 1.0 / 0.0 when read from text only
    labels: tuple[GuardLabel, ...] = ()
    unknown: tuple[str, ...] = ()  # category codes the model card does not define
    refusal: bool | None = None  # the answer is a refusal (guards that judge refusals)
    severity: str = ""  # the guard's own severity word (Qwen3Guard: safe/controversial/unsafe)
    scored_by: str = ""  # logprobs | text
    raw: str = ""  # the guard's answer, shortened, for the audit
    latency_ms: float = 0.0
    detail: str = ""  # what went wrong, when status is not OK

    @property
    def ok(self) -> bool:
        return self.status is GuardStatus.OK

    def describe(self) -> str:
        """One line for the audit: name, version, verdict, labels."""
        head = f"guard {self.guard} ({self.model})"
        if not self.ok:
            return f"{head}: {self.status.value}: {self.detail}"
        word = "unsafe" if self.harmful else "safe"
        parts = [f"{head}: {self.target.value} {word}"]
        if self.score is not None:
            parts.append(f"p={self.score:.2f} by {self.scored_by}")
        if self.labels:
            parts.append("labels " + ",".join(label.code for label in self.labels))
        if self.unknown:
            parts.append("unknown codes " + ",".join(self.unknown))
        if self.refusal is not None:
            parts.append("refusal" if self.refusal else "not a refusal")
        return ", ".join(parts)


class Guard(Protocol):
    @property
    def name(self) -> str: ...

    async def classify(self, prompt: str, answer: str | None = None) -> GuardVerdict:
        """Judge the prompt, or the answer to it when `answer` is given. Never raises for
        what the guard server does; the verdict's status says it."""
        ...

    async def aclose(self) -> None: ...


GuardFactory = Callable[[GuardSettings], Guard]
GUARDS: Registry[GuardFactory] = Registry("guard")


class GuardError(UpstreamError):
    """A guard server failed; `status` says how (turned into a verdict by `failed`)."""

    def __init__(self, status: GuardStatus, message: str, *, upstream: str | None = None) -> None:
        self.status = status
        super().__init__(message, upstream=upstream)


class GuardFormatError(GuardError):
    def __init__(self, message: str, raw: str = "") -> None:
        self.raw = raw
        super().__init__(GuardStatus.MALFORMED, message)


@dataclass(slots=True)
class Clock:
    """Milliseconds since it was made (a verdict's latency)."""

    start: float = field(default_factory=time.perf_counter)

    def ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000.0, 1)


RAW_CHARS = 200


def failed(guard: str, model: str, target: Target, error: GuardError, clock: Clock) -> GuardVerdict:
    raw = error.raw[:RAW_CHARS] if isinstance(error, GuardFormatError) else ""
    detail = str(error.args[0]) if error.args else error.status.value
    return GuardVerdict(
        guard=guard,
        model=model,
        target=target,
        status=error.status,
        raw=raw,
        latency_ms=clock.ms(),
        detail=detail,
    )


async def ask_within(
    guard: Guard, model: str, budget_s: float, prompt: str, answer: str | None = None
) -> GuardVerdict:
    """`guard.classify`, or a TIMEOUT verdict once `budget_s` has passed (routing's budget)."""
    clock = Clock()
    try:
        async with asyncio.timeout(budget_s):
            return await guard.classify(prompt, answer)
    except TimeoutError:
        return GuardVerdict(
            guard=guard.name,
            model=model,
            target=Target.PROMPT if answer is None else Target.ANSWER,
            status=GuardStatus.TIMEOUT,
            latency_ms=clock.ms(),
            detail=f"no verdict within the budget of {budget_s * 1000:.0f} ms",
        )
