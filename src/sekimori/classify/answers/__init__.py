"""Answer judges: did a model's answer refuse, and does it give harmful uplift?

    judge_refusal(prompt, answer) -> RefusalResult      refusal / compliance / partial
    judge_answer(prompt, answer_or_prefix) -> AnswerVerdict
                                                        harm score per taxonomy category

Both accept a streamed prefix of an answer. Batch forms take parallel sequences.
These are the red-team lab's graders and the gateway's output screen.
"""

from sekimori.classify.answers.judge import (
    AnswerJudge,
    RefusalResult,
    default_judge,
    judge_answer,
    judge_answer_batch,
    judge_refusal,
    judge_refusal_batch,
)

__all__ = [
    "AnswerJudge",
    "RefusalResult",
    "default_judge",
    "judge_answer",
    "judge_answer_batch",
    "judge_refusal",
    "judge_refusal_batch",
]
