"""Generation logic (stop strings, UTF-8 streaming, limits) over a scripted forward pass.

The transformer is the boundary here: a scripted one emits a fixed token sequence so the
assertions are about text handling, not about what the model would say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from sekimori.types import Message
from sekimori.upstream.local.chat_template import ChatML
from sekimori.upstream.local.generation import Limits, LocalChatModel, _held_back, sample
from sekimori.upstream.local.protocol import (
    ContextLengthError,
    Finished,
    GenerationEvent,
    GenerationRequest,
    TextDelta,
)
from sekimori.upstream.local.tokenizer import Tokenizer


@dataclass
class _Hp:
    context_length: int = 8192


class ScriptedTransformer:
    def __init__(self, vocab_size: int, script: list[int]) -> None:
        self.hp = _Hp()
        self.vocab_size = vocab_size
        self.script = script
        self.calls = 0

    def new_cache(self, capacity: int) -> int:
        return capacity

    def forward(self, token_ids: list[int], cache: int) -> np.ndarray:
        logits = np.zeros(self.vocab_size, dtype=np.float32)
        logits[self.script[min(self.calls, len(self.script) - 1)]] = 1.0
        self.calls += 1
        return logits


def run(tokenizer: Tokenizer, answer: list[int], **options: object) -> list[GenerationEvent]:
    model = LocalChatModel(
        "scripted",
        ScriptedTransformer(tokenizer.vocab_size, answer),  # type: ignore[arg-type]
        tokenizer,
        ChatML(default_system="sys"),
        Limits(context_length=64, default_max_tokens=16),
    )
    request = GenerationRequest(messages=(Message("user", "hi"),), temperature=0.0)
    return list(model.generate(_with(request, **options)))


def _with(request: GenerationRequest, **options: object) -> GenerationRequest:
    values = {name: getattr(request, name) for name in GenerationRequest.__dataclass_fields__}
    values.update(options)
    return GenerationRequest(**values)  # type: ignore[arg-type]


def text_of(events: list[GenerationEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def end_of(events: list[GenerationEvent]) -> Finished:
    last = events[-1]
    assert isinstance(last, Finished)
    assert sum(isinstance(e, Finished) for e in events) == 1
    return last


def test_end_of_turn_stops_and_counts(tokenizer: Tokenizer) -> None:
    answer = [*tokenizer.encode("Paris."), tokenizer.token_id("<|im_end|>")]
    events = run(tokenizer, answer)
    assert text_of(events) == "Paris."
    end = end_of(events)
    assert (end.finish_reason, end.completion_tokens) == ("stop", len(answer))
    assert end.prompt_tokens > 0


def test_max_tokens_cuts_with_length(tokenizer: Tokenizer) -> None:
    answer = tokenizer.encode(" one two three four five six")
    events = run(tokenizer, answer, max_tokens=3)
    end = end_of(events)
    assert (end.finish_reason, end.completion_tokens) == ("length", 3)
    assert text_of(events) == tokenizer.decode(answer[:3])


def test_stop_string_spanning_tokens_is_never_sent(tokenizer: Tokenizer) -> None:
    answer = tokenizer.encode("Hello END OF TEXT and more")
    events = run(tokenizer, answer, stop=("END OF",))
    assert text_of(events) == "Hello "
    assert end_of(events).finish_reason == "stop"
    assert all("END" not in e.text for e in events if isinstance(e, TextDelta))


def test_japanese_answer_streams_whole_characters(tokenizer: Tokenizer) -> None:
    answer = [*tokenizer.encode("東京です。"), tokenizer.token_id("<|im_end|>")]
    events = run(tokenizer, answer)
    assert text_of(events) == "東京です。"
    assert all("\ufffd" not in e.text for e in events if isinstance(e, TextDelta))


def test_too_long_prompt_is_refused_before_generating(tokenizer: Tokenizer) -> None:
    with pytest.raises(ContextLengthError, match="context"):
        run(tokenizer, [0], max_tokens=60)


def test_held_back_keeps_only_a_possible_stop_prefix() -> None:
    assert _held_back("Hello EN", ["END"]) == 2
    assert _held_back("Hello", ["END"]) == 0
    assert _held_back("abc", []) == 0


def test_sampling_is_greedy_at_zero_and_seeded_otherwise() -> None:
    logits = np.array([0.1, 3.0, 2.9, -1.0], dtype=np.float32)
    assert sample(logits, 0.0, 1.0, np.random.default_rng(0)) == 1
    draws = [sample(logits, 1.0, 1.0, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(draws)) == 1
    nucleus = {sample(logits, 1.0, 0.9, np.random.default_rng(seed)) for seed in range(50)}
    # The two leaders hold 96% of the mass: top_p 0.9 keeps them and drops the tail.
    assert nucleus == {1, 2}


def test_partial_stop_prefix_is_sent_when_the_answer_ends(tokenizer: Tokenizer) -> None:
    answer = [*tokenizer.encode("Hello EN"), tokenizer.token_id("<|im_end|>")]
    assert text_of(run(tokenizer, answer, stop=("END",))) == "Hello EN"


def test_cut_inside_a_character_drops_the_partial_bytes(tokenizer: Tokenizer) -> None:
    answer = tokenizer.encode("関守")
    # Find a cut that falls inside a multi-byte character.
    cut = next(n for n in range(1, len(answer)) if "\ufffd" in tokenizer.decode(answer[:n]))
    events = run(tokenizer, answer, max_tokens=cut)
    assert "\ufffd" not in text_of(events)
    assert end_of(events).finish_reason == "length"
