"""OpenAI-compatible HTTP client over one pooled httpx connection pool per upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from sekimori.settings import UpstreamSettings
from sekimori.upstream.base import UpstreamResponse, UpstreamTimeout, UpstreamUnavailable


def _translate(exc: httpx.HTTPError, name: str) -> UpstreamUnavailable | UpstreamTimeout:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(f"timed out ({type(exc).__name__})", upstream=name)
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return UpstreamUnavailable(f"refused the connection ({reason})", upstream=name)
    return UpstreamUnavailable(f"failed ({reason})", upstream=name)


class _Response:
    __slots__ = ("_name", "_response")

    def __init__(self, response: httpx.Response, name: str) -> None:
        self._response = response
        self._name = name

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return str(self._response.headers.get("content-type", ""))

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise _translate(exc, self._name) from exc

    async def read(self) -> bytes:
        try:
            return await self._response.aread()
        except httpx.HTTPError as exc:
            raise _translate(exc, self._name) from exc

    async def close(self) -> None:
        await self._response.aclose()


class OpenAIUpstream:
    """POSTs chat completions to `<url>/chat/completions`, reusing connections across requests."""

    def __init__(
        self,
        name: str,
        settings: UpstreamSettings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._name = name
        self._url = settings.url + "/chat/completions"
        self._models_url = settings.url + "/models"
        headers = {"content-type": "application/json"}
        key = settings.resolved_api_key()
        if key:
            headers["authorization"] = f"Bearer {key}"
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_connections,
            ),
            transport=transport,
            trust_env=False,
        )

    @property
    def name(self) -> str:
        return self._name

    async def chat(self, body: bytes, *, stream: bool) -> UpstreamResponse:
        request = self._client.build_request("POST", self._url, content=body)
        try:
            response = await self._client.send(request, stream=stream)
        except httpx.HTTPError as exc:
            raise _translate(exc, self._name) from exc
        return _Response(response, self._name)

    async def model_ids(self) -> list[str]:
        """The models the server lists (GET /models); [] when it lists none or fails."""
        try:
            response = await self._client.get(self._models_url)
            data = response.json().get("data", []) if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError, AttributeError):
            return []
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]

    async def aclose(self) -> None:
        await self._client.aclose()
