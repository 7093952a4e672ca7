"""Which upstream serves which model name."""

from __future__ import annotations

from collections.abc import Mapping

from sekimori.errors import ConfigError
from sekimori.settings import UpstreamSettings
from sekimori.upstream.openai import OpenAIUpstream


class Upstreams:
    """Upstreams by model name; `*` in an upstream's models routes every unclaimed name to it."""

    def __init__(self, upstreams: Mapping[str, OpenAIUpstream], models: Mapping[str, str]) -> None:
        self.by_name = dict(upstreams)
        self._by_model = {m: self.by_name[u] for m, u in models.items() if m != "*"}
        self._fallback = self.by_name[models["*"]] if "*" in models else None

    @classmethod
    def from_settings(cls, settings: Mapping[str, UpstreamSettings]) -> Upstreams:
        models: dict[str, str] = {}
        for name, upstream in settings.items():
            for model in upstream.models:
                if model in models:
                    raise ConfigError(
                        f"model {model!r} is claimed by upstreams {models[model]!r} and {name!r}; "
                        "hint: list each model under one upstream",
                        key=f"upstreams.{name}.models",
                    )
                models[model] = name
        return cls({name: OpenAIUpstream(name, s) for name, s in settings.items()}, models)

    def for_model(self, model: str) -> OpenAIUpstream | None:
        return self._by_model.get(model, self._fallback)

    def named_models(self) -> dict[str, str]:
        """Explicitly configured model names and the upstream serving each."""
        return {m: u.name for m, u in self._by_model.items()}

    @property
    def fallback(self) -> OpenAIUpstream | None:
        return self._fallback

    async def aclose(self) -> None:
        for upstream in self.by_name.values():
            await upstream.aclose()
