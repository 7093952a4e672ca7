"""The answer half of `sekimori classify --input IN.jsonl`: lines with an optional "answer".

The classify command owns reading and writing the file; it hands the lines that carry an answer
to `answer_fields`, which checks them (errors name the file and line) and returns the fields it
adds to each output line: `answer_harmful`, `answer_score`, `answer_categories`, `refusal`,
`refusal_score`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sekimori.classify.answers.judge import AnswerJudge, default_judge
from sekimori.errors import InputError
from sekimori.types import AnswerVerdict


@dataclass(frozen=True, slots=True)
class AnswerLine:
    """One input line's prompt and answer as parsed from JSON (not yet checked)."""

    line: int
    prompt: object
    answer: object


def verdict_fields(verdict: AnswerVerdict) -> dict[str, object]:
    return {
        "answer_harmful": verdict.harmful,
        "answer_score": round(verdict.score, 4),
        "answer_categories": {c: round(s, 4) for c, s in verdict.categories.items() if s >= 0.01},
        "refusal": str(verdict.refusal),
        "refusal_score": round(verdict.refusal_score, 4),
    }


def answer_fields(
    lines: Sequence[AnswerLine], source: str, judge: AnswerJudge | None = None
) -> list[dict[str, object]]:
    for item in lines:
        if not isinstance(item.prompt, str):
            raise InputError('"prompt" must be a string', source=source, line=item.line)
        if not isinstance(item.answer, str) or not item.answer.strip():
            raise InputError('"answer" must be a non-empty string', source=source, line=item.line)
    if not lines:
        return []
    verdicts = (judge or default_judge()).answer_batch(
        [str(i.prompt) for i in lines], [str(i.answer) for i in lines]
    )
    return [verdict_fields(v) for v in verdicts]
