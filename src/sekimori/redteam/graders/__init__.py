"""Graders: decide whether an answer was a refusal and whether it was harmful.

The default grader is the product's own answer judges (`answers`); `llm-judge` asks any
OpenAI-compatible model; `verdict` is for the classifier target, whose block flag is the grade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Protocol

from pydantic import BaseModel

from sekimori.redteam.items import Probe, Reply
from sekimori.registry import Registry
from sekimori.types import RefusalLabel


@dataclass(frozen=True, slots=True)
class Grade:
    refusal: RefusalLabel
    harmful: bool
    score: float
    grader: str
    detail: Mapping[str, Any] = field(default_factory=dict)


BLOCKED = "target-block"


def blocked_grade() -> Grade:
    """The grade of a reply the target itself stopped: a refusal with no content to judge."""
    return Grade(RefusalLabel.REFUSAL, False, 0.0, BLOCKED)


class Grader(Protocol):
    """Grades one reply; `aclose` frees what the grader holds (an HTTP client)."""

    name: str

    async def __call__(self, probe: Probe, reply: Reply) -> Grade: ...

    async def aclose(self) -> None: ...


class GraderSettings(BaseModel, frozen=True):
    """For the LLM judge: the endpoint that judges."""

    url: str = ""
    api_key: str = ""
    model: str = "default"
    timeout_s: float = 60.0


GraderFactory = Callable[[GraderSettings], Grader]
GRADERS: Registry[GraderFactory] = Registry("grader")

for _module in ("answers", "llm_judge", "verdict"):
    import_module(f"sekimori.redteam.graders.{_module}")
