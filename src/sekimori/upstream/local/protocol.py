"""What a local chat model offers the server: a request in, a stream of text and one ending out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from sekimori.errors import InputError
from sekimori.types import Message


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    messages: tuple[Message, ...]
    max_tokens: int | None = None  # None: up to the server's default answer length
    temperature: float = 1.0  # 0 means greedy and deterministic
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    finish_reason: Literal["stop", "length"]
    prompt_tokens: int
    completion_tokens: int


GenerationEvent = TextDelta | Finished


class ContextLengthError(InputError):
    """The prompt (plus the requested answer length) does not fit the model's context."""


class ChatModel(Protocol):
    name: str
    context_length: int

    def generate(self, request: GenerationRequest) -> Iterator[GenerationEvent]:
        """Check and encode the prompt now (raising ContextLengthError), then yield lazily.

        The iterator yields text deltas and ends with exactly one `Finished`; a consumer that stops
        iterating early stops the generation.
        """
        ...
