"""The part every adapter shares: timing, turning server failures into verdicts, closing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sekimori.guards.base import (
    Clock,
    GuardError,
    GuardLabel,
    GuardStatus,
    GuardVerdict,
    Target,
    failed,
)
from sekimori.guards.client import GuardClient
from sekimori.settings import GuardSettings


@dataclass(frozen=True, slots=True)
class Reading:
    """What an adapter read from its model's answer(s)."""

    harmful: bool
    score: float
    scored_by: str
    raw: str
    model: str = ""
    labels: tuple[GuardLabel, ...] = ()
    unknown: tuple[str, ...] = ()
    refusal: bool | None = None
    severity: str = ""


class Adapter:
    """Base of the adapters: subclasses set `name` and write `judge`."""

    name: ClassVar[str]

    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings
        self.client = GuardClient(settings)

    async def classify(self, prompt: str, answer: str | None = None) -> GuardVerdict:
        target = Target.PROMPT if answer is None else Target.ANSWER
        clock = Clock()
        try:
            reading = await self.judge(prompt, answer)
        except GuardError as exc:
            return failed(self.name, self.settings.model, target, exc, clock)
        return GuardVerdict(
            guard=self.name,
            model=reading.model or self.settings.model,
            target=target,
            status=GuardStatus.OK,
            harmful=reading.harmful,
            score=round(reading.score, 4),
            labels=reading.labels,
            unknown=reading.unknown,
            refusal=reading.refusal,
            severity=reading.severity,
            scored_by=reading.scored_by,
            raw=reading.raw,
            latency_ms=clock.ms(),
        )

    async def judge(self, prompt: str, answer: str | None) -> Reading:
        raise NotImplementedError

    async def aclose(self) -> None:
        await self.client.aclose()
