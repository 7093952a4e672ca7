"""What the lab attacks: a model endpoint, the gateway, the embedded local model, a classifier, or
the compliant test upstream (a measuring device that answers harmful requests harmfully).

Each target kind registers a factory in `TARGETS`; `--target URL` picks the `openai` factory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Annotated, Protocol

from pydantic import BaseModel, Field

from sekimori.errors import UpstreamError
from sekimori.redteam.items import Reply, SuiteItem, Turn
from sekimori.registry import Registry


class TargetError(UpstreamError):
    """A target call failed; `retryable` failures (timeouts, 429, 5xx) are tried again."""

    def __init__(self, message: str, *, upstream: str | None = None, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(message, upstream=upstream)


class TargetSettings(BaseModel, frozen=True):
    """How to reach a target; built once from the command line and passed down."""

    url: str = ""
    api_key: str = ""
    model: str = "default"
    timeout_s: Annotated[float, Field(gt=0)] = 60.0
    max_tokens: Annotated[int, Field(gt=0)] = 256
    temperature: Annotated[float, Field(ge=0)] = 0.0
    # connection pool size: the runner's concurrency (more connections only add pool overhead)
    connections: Annotated[int, Field(ge=1)] = 32
    # "compliant": the gateway target starts its own gateway (default policy) in front of the
    # compliant test upstream, so its ASR measures the gateway; "" attacks the gateway as it runs.
    upstream: str = ""


class Target(Protocol):
    """Answers one conversation. `describe` names it in reports; `aclose` frees its resources.

    `item` is the suite item being probed. Real targets ignore it; the compliant test upstream
    (a measuring device) is told through it whether a request is harmful and of which category.
    """

    describe: str

    async def __call__(self, turns: Sequence[Turn], item: SuiteItem | None = None) -> Reply: ...

    async def aclose(self) -> None: ...


TargetFactory = Callable[[TargetSettings], Target]
TARGETS: Registry[TargetFactory] = Registry("target")

for _module in ("openai", "gateway", "local", "classifier", "compliant"):
    import_module(f"sekimori.redteam.targets.{_module}")
