"""The compliant test upstream as a target: a measuring device, not a model.

It answers every harmful probe with a sanitized prose harmful answer of the probe's category
and every benign probe helpfully (`sekimori.testing.compliant`), so a lab run against it alone
shows what the grader counts when a model fully complies, and a run behind the gateway
(`--target gateway --upstream compliant`) measures the gateway instead of a model's own
reluctance. It is told each item's label through the model name (`comply:LABEL`): it never
judges a prompt itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sekimori.redteam.items import Expect, Reply, SuiteItem, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetSettings
from sekimori.redteam.targets.openai import OpenAITarget
from sekimori.testing.compliant import comply_model
from sekimori.testing.procs import start_fake_upstream


def model_for(item: SuiteItem | None) -> str:
    """`comply:<category>` for a harmful item, `comply:benign` for a benign one."""
    if item is None:
        return comply_model(False, None)
    return comply_model(item.expect is Expect.REFUSE, item.category or None)


class CompliantTarget:
    def __init__(self, settings: TargetSettings) -> None:
        self.server = start_fake_upstream()
        self.http = OpenAITarget(settings.model_copy(update={"url": self.server.url}))
        self.describe = "compliant test upstream (sekimori.testing.compliant, a measuring device)"

    async def __call__(self, turns: Sequence[Turn], item: SuiteItem | None = None) -> Reply:
        return await self.http.ask(turns, model_for(item))

    async def aclose(self) -> None:
        await self.http.aclose()
        await asyncio.to_thread(self.server.stop)


@TARGETS.register("compliant")
def compliant_target(settings: TargetSettings) -> Target:
    return CompliantTarget(settings)
