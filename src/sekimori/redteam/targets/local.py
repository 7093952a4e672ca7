"""The embedded local model: started as a child server on a free loopback port, then spoken to
like any OpenAI-compatible endpoint, and stopped when the run ends."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from sekimori.redteam.items import Reply, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetSettings
from sekimori.redteam.targets.openai import OpenAITarget
from sekimori.testing.procs import ServerProcess, start_server

SERVER_MODULE = "sekimori.upstream.local"
START_TIMEOUT_S = 300.0  # loading weights on a cold CPU takes a while


class LocalTarget:
    def __init__(self, settings: TargetSettings) -> None:
        argv = [sys.executable, "-m", SERVER_MODULE, "--port", "0", *settings.local_args]
        self.server: ServerProcess = start_server(argv, timeout=START_TIMEOUT_S)
        self.http = OpenAITarget(settings.model_copy(update={"url": self.server.url}))
        self.describe = f"embedded local model ({SERVER_MODULE}, model {settings.model})"

    async def __call__(self, turns: Sequence[Turn]) -> Reply:
        return await self.http(turns)

    async def aclose(self) -> None:
        await self.http.aclose()
        await asyncio.to_thread(self.server.__exit__)


@TARGETS.register("local")
def local_target(settings: TargetSettings) -> Target:
    return LocalTarget(settings)
