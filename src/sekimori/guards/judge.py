"""A guard model as the cascade's judge (`sekimori.classify.cascade.PromptJudge`).

The cascade sends the prompts the classifier is unsure of to a judge; this judge asks a guard
model through its adapter, so `--guard URL --guard-model KIND` can take the place of the
generic LLM judge (`sekimori.upstream.judge.OpenAIJudge`, which asks our own rubric as JSON and
stays for models that are not guards). Blocking, as the protocol is: each `rule` call runs its
own event loop, `concurrency` guard calls at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sekimori.guards import make_guard
from sekimori.guards.base import Guard, GuardVerdict
from sekimori.settings import GuardSettings
from sekimori.taxonomy import BY_ID
from sekimori.types import JudgeRuling


def ruling_of(verdict: GuardVerdict) -> JudgeRuling | None:
    """The verdict as a judge's ruling; None when the guard gave no usable verdict."""
    if not verdict.ok or verdict.harmful is None:
        return None
    category = next(
        (c for label in verdict.labels for c in label.categories[:1] if c in BY_ID), None
    )
    return JudgeRuling(verdict.harmful, category if verdict.harmful else None, verdict.describe())


class GuardJudge:
    def __init__(self, settings: GuardSettings, concurrency: int = 4) -> None:
        self.settings = settings
        self.concurrency = concurrency
        make_guard(settings)  # a bad kind or option fails here, before any text is judged

    def rule(self, texts: Sequence[str]) -> list[JudgeRuling | None]:
        return asyncio.run(self._rule(texts))

    async def _rule(self, texts: Sequence[str]) -> list[JudgeRuling | None]:
        guard: Guard = make_guard(self.settings)  # its HTTP client belongs to this loop
        slots = asyncio.Semaphore(self.concurrency)

        async def one(text: str) -> GuardVerdict:
            async with slots:
                return await guard.classify(text)

        try:
            verdicts = await asyncio.gather(*(one(t) for t in texts))
        finally:
            await guard.aclose()
        return [ruling_of(v) for v in verdicts]
