"""The embedded local model: started as a child server on a free loopback port (the same helper
the gateway uses), spoken to like any OpenAI-compatible endpoint, stopped when the run ends."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sekimori.gateway.local import LOCAL_MODEL, start_local_model
from sekimori.redteam.items import Reply, SuiteItem, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetSettings
from sekimori.redteam.targets.openai import OpenAITarget


class LocalTarget:
    def __init__(self, settings: TargetSettings) -> None:
        self.server = start_local_model()
        model = LOCAL_MODEL if settings.model == "default" else settings.model
        self.http = OpenAITarget(
            settings.model_copy(update={"url": self.server.url, "model": model})
        )
        self.describe = f"embedded local model (sekimori.upstream.local, model {model})"

    async def __call__(self, turns: Sequence[Turn], item: SuiteItem | None = None) -> Reply:
        return await self.http(turns, item)

    async def aclose(self) -> None:
        await self.http.aclose()
        await asyncio.to_thread(self.server.stop)


@TARGETS.register("local")
def local_target(settings: TargetSettings) -> Target:
    return LocalTarget(settings)
