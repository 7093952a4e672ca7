"""The sekimori gateway as a target: an OpenAI endpoint whose policy blocks count as refusals.

The gateway answers a blocked request with a normal completion (its refusal text, finish_reason
`content_filter`), the header `x-sekimori-decision: block` and `x-sekimori-blocked` naming the
stage (`input` or `output`); the OpenAI target reads all three.
"""

from __future__ import annotations

import os

from sekimori.redteam.targets import TARGETS, Target, TargetSettings
from sekimori.redteam.targets.openai import OpenAITarget

DEFAULT_URL = "http://127.0.0.1:8787/v1"  # `sekimori serve` default port


@TARGETS.register("gateway")
def gateway_target(settings: TargetSettings) -> Target:
    url = settings.url or os.environ.get("SEKIMORI_GATEWAY_URL", DEFAULT_URL)
    key = settings.api_key or os.environ.get("SEKIMORI_API_KEY", "")
    target = OpenAITarget(settings.model_copy(update={"url": url, "api_key": key}))
    target.describe = f"sekimori gateway at {target.url} (model {settings.model})"
    return target
