"""Chat templates: messages to prompt pieces, with turn markers kept apart from user text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sekimori.types import Message


@dataclass(frozen=True, slots=True)
class PromptPiece:
    text: str
    special: bool  # a control token (turn marker), encoded by id and never parsed from user text


@dataclass(frozen=True, slots=True)
class ChatML:
    """`<|im_start|>role\\ncontent<|im_end|>\\n` turns, as SmolLM2 and Qwen2.5 were tuned on.

    A default system turn is added when the conversation does not start with one, as the models'
    own templates do.
    """

    default_system: str
    start: str = "<|im_start|>"
    end: str = "<|im_end|>"

    def render(self, messages: Sequence[Message]) -> list[PromptPiece]:
        turns = list(messages)
        if not turns or turns[0].role != "system":
            turns.insert(0, Message(role="system", content=self.default_system))
        pieces: list[PromptPiece] = []
        for turn in turns:
            pieces += [
                PromptPiece(self.start, special=True),
                PromptPiece(f"{turn.role}\n{turn.content}", special=False),
                PromptPiece(self.end, special=True),
                PromptPiece("\n", special=False),
            ]
        pieces += [PromptPiece(self.start, special=True), PromptPiece("assistant\n", special=False)]
        return pieces
