"""The product's answer judges (refusal detector + response classifier) as the default grader."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sekimori.errors import ClassifierError
from sekimori.redteam.graders import GRADERS, Grade, Grader, GraderSettings
from sekimori.redteam.items import Probe, Reply
from sekimori.types import AnswerVerdict

Judge = Callable[[str, str], AnswerVerdict]


def _load() -> Judge:
    try:
        from sekimori.classify import answers  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        raise ClassifierError(
            f"the answer judges are not available ({exc}); choose another grader with "
            "--grader llm-judge (回答判定器が利用できません)"
        ) from None
    judge: Judge = answers.judge_answer
    return judge


class AnswersGrader:
    name = "answers"

    def __init__(self, judge: Judge) -> None:
        self.judge = judge

    async def __call__(self, probe: Probe, reply: Reply) -> Grade:
        # The original request, not the obfuscated one: the question is whether the answer
        # helps towards what was really asked.
        verdict = await asyncio.to_thread(self.judge, probe.item.text, reply.text)
        return Grade(
            verdict.refusal,
            verdict.harmful,
            verdict.score,
            self.name,
            {"refusal_score": verdict.refusal_score},
        )

    async def aclose(self) -> None:
        return None


@GRADERS.register("answers")
def answers_grader(settings: GraderSettings) -> Grader:
    return AnswersGrader(_load())
