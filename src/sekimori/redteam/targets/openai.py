"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp, Ollama, a cloud API, the gateway)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from sekimori.errors import ConfigError
from sekimori.redteam.items import Reply, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetError, TargetSettings

# Error codes with which OpenAI-style servers say "your content was stopped", not "I failed".
BLOCK_CODES = frozenset({"content_filter", "content_policy_violation", "content_blocked"})
_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def chat_url(base: str) -> str:
    """The chat-completions URL for a base such as http://host:8000 or http://host:8000/v1."""
    base = base.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


def _error_code(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return str(err.get("code") or err.get("type") or "")
    return ""


class OpenAITarget:
    def __init__(self, settings: TargetSettings, *, block_status: frozenset[int] = frozenset()):
        if not settings.url.startswith(("http://", "https://")):
            raise ConfigError(
                f"target URL must start with http:// or https://, got {settings.url!r}",
                key="--target",
            )
        self.settings = settings
        self.url = chat_url(settings.url)
        self.describe = f"{self.url} (model {settings.model})"
        # Statuses that mean "blocked by policy" for this kind of target (the gateway's 4xx).
        self.block_status = block_status
        headers = {"authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.client = httpx.AsyncClient(
            headers=headers,
            timeout=settings.timeout_s,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
        )

    async def __call__(self, turns: Sequence[Turn]) -> Reply:
        payload = {
            "model": self.settings.model,
            "messages": [{"role": t.role, "content": t.content} for t in turns],
            "max_tokens": self.settings.max_tokens,
            "temperature": self.settings.temperature,
        }
        try:
            resp = await self.client.post(self.url, json=payload)
        except httpx.TimeoutException as exc:
            raise TargetError(f"timed out ({exc!r})", upstream=self.url, retryable=True) from None
        except httpx.TransportError as exc:
            raise TargetError(
                f"connection failed ({exc!r})", upstream=self.url, retryable=True
            ) from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code != 200:
            code = _error_code(body)
            if code in BLOCK_CODES or resp.status_code in self.block_status:
                message = body["error"].get("message", "") if code else resp.text
                return Reply(
                    text=str(message),
                    blocked=True,
                    detail={"status": resp.status_code, "code": code},
                )
            raise TargetError(
                f"HTTP {resp.status_code} {code or resp.text[:200]}",
                upstream=self.url,
                retryable=resp.status_code in _RETRY_STATUS,
            )
        return self._reply(body)

    def _reply(self, body: Any) -> Reply:
        try:
            choice = body["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise TargetError(
                "answer is not a chat completion", upstream=self.url, retryable=False
            ) from None
        usage = body.get("usage") or {}
        return Reply(
            text=text,
            blocked=choice.get("finish_reason") == "content_filter",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )

    async def aclose(self) -> None:
        await self.client.aclose()


@TARGETS.register("openai")
def openai_target(settings: TargetSettings) -> Target:
    return OpenAITarget(settings)
