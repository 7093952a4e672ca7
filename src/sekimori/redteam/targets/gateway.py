"""The sekimori gateway as a target: an OpenAI endpoint whose policy blocks count as refusals.

The gateway answers a blocked request with a normal completion (its refusal text, finish_reason
`content_filter`), the header `x-sekimori-decision: block` and `x-sekimori-blocked` naming the
stage (`input` or `output`); the OpenAI target reads all three.

`--model default` (the lab's default) asks the gateway which models it serves (`GET /v1/models`)
and uses the first, instead of sending a name no upstream serves. With `--upstream compliant` the
target starts its own gateway (`sekimori serve`, default screen and policy, scratch data
directory) in front of the compliant test upstream and tells that upstream each item's label:
ASR then measures the gateway, not a model's own reluctance.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence

import httpx

from sekimori.errors import ConfigError
from sekimori.lang import Text, locale_lang
from sekimori.redteam.items import Reply, SuiteItem, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetSettings
from sekimori.redteam.targets.compliant import model_for
from sekimori.redteam.targets.openai import OpenAITarget

DEFAULT_URL = "http://127.0.0.1:8787/v1"  # `sekimori serve` default port
UPSTREAMS = ("", "compliant")

_NO_MODELS = Text(
    "cannot choose a model: the gateway at {url} listed {what}; pass --model NAME",
    "モデルを決められません: {url} のゲートウェイは {what}。--model NAME を指定してください",
)


def served_model(url: str, key: str, timeout: float) -> str:
    """The first model the gateway at `url` (`…/v1`) lists."""
    base = url.rstrip("/")
    base = base.removesuffix("/chat/completions")
    if not base.endswith("/v1"):
        base += "/v1"
    headers = {"authorization": f"Bearer {key}"} if key else {}
    try:
        resp = httpx.get(base + "/models", headers=headers, timeout=timeout)
        data = resp.json().get("data") if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        data, what = None, f"{type(exc).__name__}: {exc}"
    else:
        what = f"HTTP {resp.status_code}" if data is None else "no model"
    ids = [str(m["id"]) for m in data or [] if isinstance(m, dict) and m.get("id")]
    if not ids:
        raise ConfigError(_NO_MODELS(locale_lang(), url=base, what=what), key="--model")
    return ids[0]


class StackedGateway:
    """A gateway with the default policy in front of the compliant upstream, started here."""

    def __init__(self, settings: TargetSettings) -> None:
        from sekimori.testing.stack import gateway_stack

        self._stack = contextlib.ExitStack()
        stack = self._stack.enter_context(gateway_stack())
        self.http = OpenAITarget(
            settings.model_copy(update={"url": stack.url, "api_key": stack.key})
        )
        self.describe = (
            f"sekimori gateway (default policy, started at {stack.url}) in front of the "
            "compliant test upstream"
        )

    async def __call__(self, turns: Sequence[Turn], item: SuiteItem | None = None) -> Reply:
        return await self.http.ask(turns, model_for(item))

    async def aclose(self) -> None:
        await self.http.aclose()
        await asyncio.to_thread(self._stack.close)


@TARGETS.register("gateway")
def gateway_target(settings: TargetSettings) -> Target:
    if settings.upstream not in UPSTREAMS:
        raise ConfigError(
            f"unknown upstream {settings.upstream!r}; known: compliant", key="--upstream"
        )
    if settings.upstream == "compliant":
        return StackedGateway(settings)
    url = settings.url or os.environ.get("SEKIMORI_GATEWAY_URL", DEFAULT_URL)
    key = settings.api_key or os.environ.get("SEKIMORI_API_KEY", "")
    model = settings.model
    if model == "default":
        model = served_model(url, key, settings.timeout_s)
    target = OpenAITarget(settings.model_copy(update={"url": url, "api_key": key, "model": model}))
    target.describe = f"sekimori gateway at {target.url} (model {model})"
    return target
