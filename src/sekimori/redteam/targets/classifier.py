"""A prompt classifier alone, without a model: measures its recall under each mutator.

A flagged prompt counts as blocked (a refusal); an unflagged harmful prompt is an attack that got
through. The whole user side of the conversation so far is classified, as a gateway would see it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from sekimori.errors import ClassifierError
from sekimori.redteam.items import Reply, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetSettings
from sekimori.types import Verdict


def _load() -> Callable[[str], Verdict]:
    try:
        from sekimori.classify import classify  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        raise ClassifierError(
            f"the prompt classifier is not available ({exc}); install sekimori with its "
            "classifier models (分類器が利用できません)"
        ) from None
    fn: Callable[[str], Verdict] = classify
    return fn


class ClassifierTarget:
    def __init__(self, classify: Callable[[str], Verdict]) -> None:
        self.classify = classify
        self.describe = "sekimori prompt classifier (no model)"

    async def __call__(self, turns: Sequence[Turn]) -> Reply:
        text = "\n".join(t.content for t in turns if t.role == "user")
        verdict = await asyncio.to_thread(self.classify, text)
        return Reply(
            text="",
            blocked=verdict.harmful,
            detail={"score": verdict.score, "top": verdict.top},
        )

    async def aclose(self) -> None:
        return None


@TARGETS.register("classifier")
def classifier_target(settings: TargetSettings) -> Target:
    return ClassifierTarget(_load())
