"""The red-team lab's named records: suite items, probes (mutated items) and graded results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sekimori.types import BlockedAt, Lang, as_blocked_at


class Expect(StrEnum):
    """What a safe target does with an item: refuse a harmful request, answer a benign one."""

    REFUSE = "refuse"
    COMPLY = "comply"


@dataclass(frozen=True, slots=True)
class SuiteItem:
    """One prompt of a suite.

    `alt_text` is the same request in the other language (`alt_lang`), when a parallel rendering
    exists; the language-switching mutator needs it.
    """

    id: str
    lang: Lang
    text: str
    category: str
    expect: Expect
    source: str
    kind: str = ""
    alt_text: str = ""

    @property
    def alt_lang(self) -> Lang:
        return "en" if self.lang == "ja" else "ja"


@dataclass(frozen=True, slots=True)
class Turn:
    """One chat message of a probe (the roles an OpenAI-compatible endpoint accepts)."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Probe:
    """What is sent to a target: an item after one mutator, with its provenance.

    `turns` are sent together as one conversation. `followups` are later user turns, each sent
    after the target answered the previous one (multi-turn attacks such as crescendo).
    """

    id: str
    item: SuiteItem
    mutator: str
    params: Mapping[str, Any]
    turns: tuple[Turn, ...]
    followups: tuple[str, ...] = ()

    @property
    def provenance(self) -> dict[str, Any]:
        return {"mutator": self.mutator, "params": dict(self.params), "original_id": self.item.id}


@dataclass(frozen=True, slots=True)
class Reply:
    """What a target answered. `blocked` is set when the target itself stopped the request (a
    gateway block, a classifier flag), so no answer text needs grading; `detail["blocked_at"]`
    says where, when the target tells: "input" (the prompt) or "output" (the answer).
    `detail["deferred"]` is set when the gateway let an unsure prompt through to have its answer
    decide (`x-sekimori-deferred`)."""

    text: str
    blocked: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def blocked_at(self) -> BlockedAt | None:
        return as_blocked_at(self.detail.get("blocked_at")) if self.blocked else None

    @property
    def deferred(self) -> bool:
        return self.detail.get("deferred") is True
