"""OpenAI-compatible client: POST /chat/completions (and the other endpoints) over a pool of
persistent connections."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import orjson

from sekimori.settings import UpstreamSettings
from sekimori.upstream.base import UpstreamResponse, UpstreamTimeout, UpstreamUnavailable
from sekimori.upstream.http import (
    ConnectFailed,
    ConnectionPool,
    ConnectTimedOut,
    PooledResponse,
    ProtocolFailed,
    ReadTimedOut,
)

_FAILURES = (ConnectFailed, ConnectTimedOut, ReadTimedOut, ProtocolFailed)


def _translate(exc: Exception, name: str) -> UpstreamUnavailable | UpstreamTimeout:
    if isinstance(exc, ConnectTimedOut):
        return UpstreamTimeout(f"connect timed out ({exc})", upstream=name)
    if isinstance(exc, ReadTimedOut):
        return UpstreamTimeout(f"read timed out ({exc})", upstream=name)
    if isinstance(exc, ConnectFailed):
        return UpstreamUnavailable(f"refused the connection ({exc})", upstream=name)
    return UpstreamUnavailable(f"failed ({exc})", upstream=name)


class _Response:
    __slots__ = ("_name", "_response")

    def __init__(self, response: PooledResponse, name: str) -> None:
        self._response = response
        self._name = name

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def headers(self) -> Sequence[tuple[bytes, bytes]]:
        return self._response.headers

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.chunks():
                yield chunk
        except _FAILURES as exc:
            raise _translate(exc, self._name) from None

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        except _FAILURES as exc:
            raise _translate(exc, self._name) from None

    async def close(self) -> None:
        self._response.close()


class OpenAIUpstream:
    """One OpenAI-compatible server; connections are reused across requests."""

    def __init__(self, name: str, settings: UpstreamSettings) -> None:
        self._name = name
        self.url = settings.url
        self._pool = ConnectionPool(
            settings.url,
            max_connections=settings.max_connections,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        )
        self._headers = [("content-type", "application/json")]
        key = settings.resolved_api_key()
        if key:
            self._headers.append(("authorization", f"Bearer {key}"))

    @property
    def name(self) -> str:
        return self._name

    async def post(self, path: str, body: bytes, *, stream: bool) -> UpstreamResponse:
        try:
            response = await self._pool.request("POST", path, body, self._headers)
        except _FAILURES as exc:
            raise _translate(exc, self._name) from None
        return _Response(response, self._name)

    async def model_ids(self) -> list[str]:
        """The models the server lists (GET /models); [] when it lists none or fails."""
        try:
            response = await self._pool.request("GET", "/models", b"", self._headers)
            payload = await response.read()
            data = orjson.loads(payload).get("data", []) if response.status == 200 else []
        except (*_FAILURES, orjson.JSONDecodeError, AttributeError):
            return []
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]

    async def aclose(self) -> None:
        await self._pool.aclose()
