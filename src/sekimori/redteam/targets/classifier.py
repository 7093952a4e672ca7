"""A prompt classifier alone, without a model: measures its recall under each mutator.

A flagged prompt counts as blocked (a refusal); an unflagged harmful prompt is an attack that got
through. The whole user side of the conversation so far is classified, as a gateway would see it.
Calls are batched (see `redteam.batching`); the classifier is the one the gateway's screen uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sekimori.errors import ClassifierError
from sekimori.redteam.batching import MicroBatcher
from sekimori.redteam.items import Reply, SuiteItem, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetSettings
from sekimori.types import Verdict

BatchClassify = Callable[[Sequence[str]], list[Verdict]]


def _load() -> BatchClassify:
    try:
        from sekimori.classify.api import classify_batch  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise ClassifierError(
            f"the prompt classifier is not available ({exc}); install sekimori with its "
            "classifier models (プロンプト分類器が利用できません)"
        ) from None
    fn: BatchClassify = classify_batch
    return fn


class ClassifierTarget:
    def __init__(self, classify: BatchClassify) -> None:
        self.batcher: MicroBatcher[str, Verdict] = MicroBatcher(classify)
        self.describe = "sekimori prompt classifier (no model)"

    async def __call__(self, turns: Sequence[Turn], item: SuiteItem | None = None) -> Reply:
        verdict = await self.batcher("\n".join(t.content for t in turns if t.role == "user"))
        detail = {"score": verdict.score, "top": verdict.top, "blocked_at": "input"}  # a prompt
        return Reply(text="", blocked=verdict.harmful, detail=detail)

    async def aclose(self) -> None:
        await self.batcher.wait()


@TARGETS.register("classifier")
def classifier_target(settings: TargetSettings) -> Target:
    return ClassifierTarget(_load())
