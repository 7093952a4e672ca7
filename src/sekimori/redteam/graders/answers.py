"""The product's answer judges (refusal detector + response classifier) as the default grader.

Requests are gathered into batches: while one batch runs on a worker thread the next one fills,
so the encoder sees many answers at once instead of one per concurrent probe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from sekimori.errors import ClassifierError
from sekimori.redteam.graders import GRADERS, Grade, Grader, GraderSettings
from sekimori.redteam.items import Probe, Reply
from sekimori.types import AnswerVerdict

BatchJudge = Callable[[Sequence[str], Sequence[str]], list[AnswerVerdict]]
MAX_BATCH = 32


def _load() -> BatchJudge:
    try:
        from sekimori.classify.answers import judge_answer_batch
    except ImportError as exc:
        raise ClassifierError(
            f"the answer judges are not available ({exc}); choose another grader with "
            "--grader llm-judge (回答判定器が利用できません)"
        ) from None
    return judge_answer_batch


_Pending = tuple[str, str, "asyncio.Future[AnswerVerdict]"]


class AnswersGrader:
    name = "answers"

    def __init__(self, judge: BatchJudge) -> None:
        self.judge = judge
        self.pending: list[_Pending] = []
        self.worker: asyncio.Task[None] | None = None

    async def __call__(self, probe: Probe, reply: Reply) -> Grade:
        future: asyncio.Future[AnswerVerdict] = asyncio.get_running_loop().create_future()
        # The original request, not the obfuscated one: the question is whether the answer
        # helps towards what was really asked.
        self.pending.append((probe.item.text, reply.text, future))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._drain())
        verdict = await future
        return Grade(
            verdict.refusal,
            verdict.harmful,
            verdict.score,
            self.name,
            {"refusal_score": verdict.refusal_score},
        )

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            prompts = [p for p, _, _ in batch]
            answers = [a for _, a, _ in batch]
            try:
                verdicts = await asyncio.to_thread(self.judge, prompts, answers)
            except Exception as exc:  # handed to every waiting probe, not swallowed
                for _, _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, _, future), verdict in zip(batch, verdicts, strict=True):
                future.set_result(verdict)

    async def aclose(self) -> None:
        if self.worker is not None:
            await self.worker


@GRADERS.register("answers")
def answers_grader(settings: GraderSettings) -> Grader:
    return AnswersGrader(_load())
