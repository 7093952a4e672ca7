"""Qwen2.5-Coder-0.5B (the `local-ja` extra): tokenizer, template and a Japanese answer.

Skipped when the extra is not installed; when it is, the parts are joined into the model cache
(as the server does on first use). The answer test is also opt-in (SEKIMORI_TEST_QWEN=1):
the model takes ~2.6 GB of memory and tens of seconds to load on a 2-core machine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sekimori.errors import ModelError
from sekimori.types import Message
from sekimori.upstream.local.generation import Limits
from sekimori.upstream.local.models import LOCAL_MODELS
from sekimori.upstream.local.protocol import GenerationRequest, TextDelta
from sekimori.upstream.local.tokenizer import Tokenizer
from sekimori.upstream.local.weights import read_metadata

SPEC = LOCAL_MODELS.get("qwen2.5-coder-0.5b")


@pytest.fixture(scope="module")
def qwen_path() -> Path:
    try:
        return SPEC.weights.resolve()
    except ModelError as exc:
        pytest.skip(f"the local-ja extra is not installed: {exc}")


@pytest.fixture(scope="module")
def qwen_metadata(qwen_path: Path) -> Any:
    return read_metadata(qwen_path)


def test_tokenizer_round_trips_and_matches_llama_cpp_ids(qwen_metadata: Any) -> None:
    tokenizer = Tokenizer(qwen_metadata)
    for text in [
        "日本の首都はどこですか？東京です。",
        "émoji 🎉 1234567",
        "def f(x):\n    return x\n",
    ]:
        assert tokenizer.decode(tokenizer.encode(text)) == text
    # Reference ids from llama.cpp 0.3.36 on the same file.
    assert tokenizer.encode("What is the capital of France?") == [
        3838,
        374,
        279,
        6722,
        315,
        9625,
        30,
    ]
    assert tokenizer.encode("<tool_call> x") == [151657, 856]


def test_chatml_matches_the_template_shipped_in_the_gguf(qwen_metadata: Any) -> None:
    jinja2 = pytest.importorskip("jinja2.sandbox")
    shipped = jinja2.ImmutableSandboxedEnvironment().from_string(
        qwen_metadata["tokenizer.chat_template"]
    )
    for messages in (
        [Message("user", "こんにちは")],
        [Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello")],
    ):
        expected = shipped.render(
            messages=[{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=True,
        )
        assert "".join(p.text for p in SPEC.template.render(messages)) == expected


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("SEKIMORI_TEST_QWEN") != "1", reason="opt-in: set SEKIMORI_TEST_QWEN=1"
)
def test_greedy_japanese_answer(qwen_path: Path) -> None:
    model = SPEC.load(Limits(512, 16), path=qwen_path)
    request = GenerationRequest((Message("user", "日本の首都はどこですか？"),), temperature=0.0)
    answer = "".join(e.text for e in model.generate(request) if isinstance(e, TextDelta))
    assert "京" in answer
