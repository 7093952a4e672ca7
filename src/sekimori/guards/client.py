"""The HTTP side of every guard: an OpenAI-compatible server (chat or completions, with token
log-probabilities when asked) or Ollama's own API (/api/chat, /api/generate with `raw`).

httpx rather than the proxy's lean pool (`sekimori.upstream.http`): a guard call is one JSON
request taking tens to hundreds of milliseconds of GPU time, so the client's overhead does not
show, and httpx maps timeouts and transport failures to exceptions this module turns into
`GuardError`s with a status.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from sekimori.guards.base import RAW_CHARS, GuardError, GuardFormatError, GuardStatus
from sekimori.settings import GuardSettings

TOP_LOGPROBS = 5


@dataclass(frozen=True, slots=True)
class TokenProbs:
    token: str
    top: Mapping[str, float]  # token text -> log-probability, the chosen token among them


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model: str  # as the server named it; empty when it did not
    tokens: tuple[TokenProbs, ...] | None  # None: the answer carried no log-probabilities


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _openai_chat_tokens(logprobs: Any) -> tuple[TokenProbs, ...] | None:
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list) or not content:
        return None
    out = []
    for item in content:
        if not isinstance(item, dict) or "token" not in item:
            return None
        top = {str(t["token"]): float(t["logprob"]) for t in item.get("top_logprobs") or ()}
        top.setdefault(str(item["token"]), float(item.get("logprob", 0.0)))
        out.append(TokenProbs(str(item["token"]), top))
    return tuple(out)


def _openai_completion_tokens(logprobs: Any) -> tuple[TokenProbs, ...] | None:
    if not isinstance(logprobs, dict):
        return None
    tokens, tops = logprobs.get("tokens"), logprobs.get("top_logprobs")
    if not isinstance(tokens, list) or not tokens or not isinstance(tops, list):
        return None
    out = []
    for token, top in zip(tokens, tops, strict=False):
        probs = {str(k): float(v) for k, v in (top or {}).items()}
        out.append(TokenProbs(str(token), probs))
    return tuple(out)


def _ollama_tokens(logprobs: Any) -> tuple[TokenProbs, ...] | None:
    # Ollama (0.12.11 and later) answers `logprobs` in the chat-completions shape, as a list.
    return _openai_chat_tokens({"content": logprobs}) if isinstance(logprobs, list) else None


def probability(
    tokens: Sequence[TokenProbs] | None, yes: Collection[str], no: Collection[str]
) -> float | None:
    """P(yes) / (P(yes) + P(no)) at the first generated token that is one of the two words
    (case and surrounding space ignored); None when no such token or no log-probabilities."""
    if not tokens:
        return None
    for position in tokens:
        if position.token.strip().lower() not in (*yes, *no):
            continue
        p_yes = p_no = 0.0
        for token, logprob in position.top.items():
            word = token.strip().lower()
            if word in yes:
                p_yes += math.exp(logprob)
            elif word in no:
                p_no += math.exp(logprob)
        total = p_yes + p_no
        return p_yes / total if total > 0 else None
    return None


class GuardClient:
    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings
        self.base = settings.base_url()
        # Made at the first request: building an adapter (to check a policy file's options)
        # opens nothing, and the client belongs to the event loop that uses it.
        self._client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = {"content-type": "application/json"}
            key = self.settings.resolved_api_key()
            if key:
                headers["authorization"] = f"Bearer {key}"
            self._client = httpx.AsyncClient(headers=headers, timeout=self.settings.timeout_s)
        return self._client

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        max_tokens: int,
        logprobs: bool,
        extra: Mapping[str, Any] | None = None,
    ) -> Completion:
        """The model's answer to `messages`, its chat template applied by the server."""
        if self.settings.api == "ollama":
            body: dict[str, Any] = {
                "model": self.settings.model,
                "messages": [{**m, "content": _text(m.get("content"))} for m in messages],
                "stream": False,
                "options": {"temperature": 0, "num_predict": max_tokens},
            }
            if logprobs:
                body |= {"logprobs": True, "top_logprobs": TOP_LOGPROBS}
            data = await self._post("/api/chat", body)
            message = data.get("message")
            if not isinstance(message, dict) or not isinstance(message.get("content"), str):
                raise GuardFormatError("the answer has no message.content", str(data)[:RAW_CHARS])
            return Completion(
                message["content"], str(data.get("model", "")), _ollama_tokens(data.get("logprobs"))
            )
        body = {
            "model": self.settings.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": False,
            **(extra or {}),
        }
        if logprobs:
            body |= {"logprobs": True, "top_logprobs": TOP_LOGPROBS}
        data = await self._post("/chat/completions", body)
        choice = _first_choice(data)
        message = choice.get("message")
        if not isinstance(message, dict):
            raise GuardFormatError("the choice has no message", str(data)[:RAW_CHARS])
        return Completion(
            str(message.get("content") or ""),
            str(data.get("model", "")),
            _openai_chat_tokens(choice.get("logprobs")),
        )

    async def complete(self, prompt: str, *, max_tokens: int, logprobs: bool) -> Completion:
        """The model's continuation of `prompt`, sent as written (no chat template)."""
        if self.settings.api == "ollama":
            body: dict[str, Any] = {
                "model": self.settings.model,
                "prompt": prompt,
                "raw": True,
                "stream": False,
                "options": {"temperature": 0, "num_predict": max_tokens},
            }
            if logprobs:
                body |= {"logprobs": True, "top_logprobs": TOP_LOGPROBS}
            data = await self._post("/api/generate", body)
            if not isinstance(data.get("response"), str):
                raise GuardFormatError("the answer has no response text", str(data)[:RAW_CHARS])
            return Completion(
                data["response"], str(data.get("model", "")), _ollama_tokens(data.get("logprobs"))
            )
        body = {
            "model": self.settings.model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": False,
        }
        if logprobs:
            body["logprobs"] = TOP_LOGPROBS
        data = await self._post("/completions", body)
        choice = _first_choice(data)
        return Completion(
            str(choice.get("text") or ""),
            str(data.get("model", "")),
            _openai_completion_tokens(choice.get("logprobs")),
        )

    async def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        url = self.base + path
        try:
            response = await self._http.post(url, json=body)
        except httpx.TimeoutException:
            raise GuardError(
                GuardStatus.TIMEOUT, f"no answer within {self.settings.timeout_s} s", upstream=url
            ) from None
        except httpx.HTTPError as exc:
            raise GuardError(
                GuardStatus.UNREACHABLE, f"cannot reach the server ({exc})", upstream=url
            ) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise GuardError(GuardStatus.UNREACHABLE, f"HTTP {response.status_code}", upstream=url)
        if response.status_code != 200:
            said = _error_message(response)
            raise GuardError(
                GuardStatus.REJECTED, f"HTTP {response.status_code}: {said}", upstream=url
            )
        try:
            data = response.json()
        except ValueError:
            raise GuardFormatError("the answer is not JSON", response.text[:RAW_CHARS]) from None
        if not isinstance(data, dict):
            raise GuardFormatError("the answer is not a JSON object", response.text[:RAW_CHARS])
        return data

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _first_choice(data: Mapping[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise GuardFormatError("the answer has no choices", str(data)[:RAW_CHARS])
    return choices[0]


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.text[:RAW_CHARS]
    if isinstance(error, dict):
        return str(error.get("message", ""))[:RAW_CHARS]
    return str(error)[:RAW_CHARS]
