"""The product's answer judges (refusal detector + response classifier) as the default grader,
called in batches (see `redteam.batching`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sekimori.errors import ClassifierError
from sekimori.redteam.batching import MicroBatcher
from sekimori.redteam.graders import GRADERS, Grade, Grader, GraderSettings
from sekimori.redteam.items import Probe, Reply
from sekimori.types import AnswerVerdict

BatchJudge = Callable[[Sequence[str], Sequence[str]], list[AnswerVerdict]]


def _load() -> BatchJudge:
    try:
        from sekimori.classify.answers import judge_answer_batch
    except ImportError as exc:
        raise ClassifierError(
            f"the answer judges are not available ({exc}); choose another grader with "
            "--grader llm-judge (回答判定器が利用できません)"
        ) from None
    return judge_answer_batch


class AnswersGrader:
    name = "answers"

    def __init__(self, judge: BatchJudge) -> None:
        def run(pairs: Sequence[tuple[str, str]]) -> list[AnswerVerdict]:
            return judge([p for p, _ in pairs], [a for _, a in pairs])

        self.batcher: MicroBatcher[tuple[str, str], AnswerVerdict] = MicroBatcher(run)

    async def __call__(self, probe: Probe, reply: Reply) -> Grade:
        # The original request, not the obfuscated one: the question is whether the answer
        # helps towards what was really asked.
        verdict = await self.batcher((probe.item.text, reply.text))
        return Grade(
            verdict.refusal,
            verdict.harmful,
            verdict.score,
            self.name,
            {"refusal_score": verdict.refusal_score},
        )

    async def aclose(self) -> None:
        await self.batcher.wait()


@GRADERS.register("answers")
def answers_grader(settings: GraderSettings) -> Grader:
    return AnswersGrader(_load())
