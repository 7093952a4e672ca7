"""A GGUF chat model served from numpy: prompt encoding, sampling and stop-string handling."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sekimori.upstream.local.chat_template import ChatML
from sekimori.upstream.local.engine import Transformer
from sekimori.upstream.local.protocol import (
    ContextLengthError,
    Finished,
    GenerationEvent,
    GenerationRequest,
    TextDelta,
)
from sekimori.upstream.local.tokenizer import StreamDecoder, Tokenizer

GREEDY_BELOW = 1e-5  # temperatures this small mean greedy decoding


@dataclass(frozen=True, slots=True)
class Limits:
    context_length: int  # prompt plus answer, in tokens
    default_max_tokens: int  # answer length when the request names none


def sample(logits: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator) -> int:
    if temperature < GREEDY_BELOW:
        return int(np.argmax(logits))
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max()
    probs = np.exp(scaled)
    probs /= probs.sum()
    if top_p < 1.0:
        order = np.argsort(-probs)
        cumulative = np.cumsum(probs[order])
        keep = order[: int(np.searchsorted(cumulative, top_p)) + 1]
        kept = probs[keep] / probs[keep].sum()
        return int(keep[rng.choice(len(keep), p=kept)])
    return int(rng.choice(len(probs), p=probs))


def _held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters could still begin a stop string, so must not be sent yet."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class LocalChatModel:
    """Implements `ChatModel` for one loaded transformer and its tokenizer."""

    def __init__(
        self,
        name: str,
        transformer: Transformer,
        tokenizer: Tokenizer,
        template: ChatML,
        limits: Limits,
    ) -> None:
        self.name = name
        self.transformer = transformer
        self.tokenizer = tokenizer
        self.template = template
        self.limits = limits
        self.context_length = min(limits.context_length, transformer.hp.context_length)

    def encode_prompt(self, request: GenerationRequest) -> list[int]:
        ids: list[int] = []
        for piece in self.template.render(request.messages):
            if piece.special:
                ids.append(self.tokenizer.token_id(piece.text))
            else:
                ids += self.tokenizer.encode(piece.text)
        return ids

    def generate(self, request: GenerationRequest) -> Iterator[GenerationEvent]:
        prompt = self.encode_prompt(request)
        room = self.context_length - len(prompt)
        if request.max_tokens is not None and request.max_tokens > room:
            raise ContextLengthError(
                f"the prompt has {len(prompt)} tokens and max_tokens is {request.max_tokens}, but"
                f" the model's context is {self.context_length} tokens; shorten the messages or"
                " lower max_tokens",
                source="messages",
            )
        if room < 1:
            raise ContextLengthError(
                f"the prompt has {len(prompt)} tokens, more than the model's context of"
                f" {self.context_length - 1}; shorten the messages",
                source="messages",
            )
        budget = request.max_tokens or min(room, self.limits.default_max_tokens)
        return self._run(prompt, budget, request)

    def _run(
        self, prompt: list[int], budget: int, request: GenerationRequest
    ) -> Iterator[GenerationEvent]:
        rng = np.random.default_rng(request.seed)
        cache = self.transformer.new_cache(len(prompt) + budget)
        decoder = StreamDecoder(self.tokenizer)
        stops = [s for s in request.stop if s]
        end_of_turn = self.tokenizer.special.end_of_turn
        pending = ""
        produced = 0
        reason: Literal["stop", "length"]
        logits = self.transformer.forward(prompt, cache)
        while True:
            token = sample(logits, request.temperature, request.top_p, rng)
            produced += 1
            if token in end_of_turn:
                reason = "stop"
                break
            pending += decoder.push(token)
            hits = [i for i in (pending.find(s) for s in stops) if i >= 0]
            if hits:
                if min(hits):
                    yield TextDelta(pending[: min(hits)])
                yield Finished("stop", len(prompt), produced)
                return
            ready = len(pending) - _held_back(pending, stops)
            if ready:
                yield TextDelta(pending[:ready])
                pending = pending[ready:]
            if produced >= budget:
                reason = "length"
                break
            logits = self.transformer.forward([token], cache)
        if pending:  # held back as a possible stop prefix, but the stop never completed
            yield TextDelta(pending)
        yield Finished(reason, len(prompt), produced)
