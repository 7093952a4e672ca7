"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp, Ollama, a cloud API, the gateway)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from sekimori.errors import ConfigError
from sekimori.redteam.items import Reply, SuiteItem, Turn
from sekimori.redteam.targets import TARGETS, Target, TargetError, TargetSettings
from sekimori.types import BlockedAt, as_blocked_at
from sekimori.upstream.http import ConnectionPool

# Error codes with which OpenAI-style servers say "your content was stopped", not "I failed".
BLOCK_CODES = frozenset({"content_filter", "content_policy_violation", "content_blocked"})
_CHAT_PATH = "/chat/completions"
_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def chat_url(base: str) -> str:
    """The chat-completions URL for a base such as http://host:8000 or http://host:8000/v1."""
    base = base.rstrip("/")
    if base.endswith(_CHAT_PATH):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + _CHAT_PATH


def _error_code(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return str(err.get("code") or err.get("type") or "")
    return ""


def blocked_at(blocked: bool, decision: str, stage: str) -> BlockedAt | None:
    """Where a completed (HTTP 200) answer was stopped, from the gateway's headers.

    The gateway names the stage in x-sekimori-blocked; a gateway too old to send it leaves the
    stage unknown. Any other endpoint's finish_reason content_filter stopped the answer: filters
    on the prompt answer an HTTP error instead (BLOCK_CODES).
    """
    if not blocked:
        return None
    return as_blocked_at(stage) or (None if decision == "block" else "output")


class OpenAITarget:
    def __init__(self, settings: TargetSettings) -> None:
        if not settings.url.startswith(("http://", "https://")):
            raise ConfigError(
                f"target URL must start with http:// or https://, got {settings.url!r}",
                key="--target",
            )
        self.settings = settings
        self.url = chat_url(settings.url)
        self.describe = f"{self.url} (model {settings.model})"
        self.headers = [("content-type", "application/json")]
        if settings.api_key:
            self.headers.append(("authorization", f"Bearer {settings.api_key}"))
        # The gateway's lean keep-alive client: httpx's pool cost more CPU than the whole run.
        self.pool = ConnectionPool(
            self.url.removesuffix(_CHAT_PATH),
            max_connections=settings.connections,
            connect_timeout=settings.timeout_s,
            read_timeout=settings.timeout_s,
        )

    async def __call__(self, turns: Sequence[Turn], item: SuiteItem | None = None) -> Reply:
        return await self.ask(turns, self.settings.model)

    async def ask(self, turns: Sequence[Turn], model: str) -> Reply:
        """Send `turns` to `model` (the compliant targets choose the model per item)."""
        payload = orjson.dumps(
            {
                "model": model,
                "messages": [{"role": t.role, "content": t.content} for t in turns],
                "max_tokens": self.settings.max_tokens,
                "temperature": self.settings.temperature,
            }
        )
        try:
            resp = await self.pool.request("POST", _CHAT_PATH, payload, self.headers)
            raw = await resp.read()
        except (TimeoutError, OSError) as exc:
            raise TargetError(
                f"{type(exc).__name__}: {exc}", upstream=self.url, retryable=True
            ) from None
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        headers = dict(resp.headers)
        decision = headers.get(b"x-sekimori-decision", b"").decode("latin-1")
        if resp.status != 200:
            code = _error_code(body)
            if code in BLOCK_CODES:
                return Reply(
                    text=str(body["error"].get("message", "")),
                    blocked=True,
                    detail={"status": resp.status, "code": code, "blocked_at": "input"},
                )
            raise TargetError(
                f"HTTP {resp.status} {code or raw[:200].decode('utf-8', 'replace')}",
                upstream=self.url,
                retryable=resp.status in _RETRY_STATUS,
            )
        reply = self._reply(body)
        detail: dict[str, Any] = {}
        if decision:
            reply = replace(reply, blocked=reply.blocked or decision == "block")
            detail["decision"] = decision
        stage = headers.get(b"x-sekimori-blocked", b"").decode("latin-1")
        at = blocked_at(reply.blocked, decision, stage)
        if at is not None:
            detail["blocked_at"] = at
        if headers.get(b"x-sekimori-deferred") == b"1":
            detail["deferred"] = True
        return replace(reply, detail=detail) if detail else reply

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
        await self.pool.aclose()


@TARGETS.register("openai")
def openai_target(settings: TargetSettings) -> Target:
    return OpenAITarget(settings)
