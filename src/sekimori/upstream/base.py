"""What the gateway needs from a model server, and how its failures are named."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from sekimori.errors import UpstreamError


class UpstreamUnavailable(UpstreamError):
    """Refused, reset, or answered with garbage: the gateway answers 502."""

    status = 502


class UpstreamTimeout(UpstreamError):
    """Did not connect or answer in time: the gateway answers 504."""

    status = 504


class UpstreamResponse(Protocol):
    """An answer whose status and headers have arrived; the body may still be streaming."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Sequence[tuple[bytes, bytes]]:
        """The answer's headers, names in lower case."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives; raises UpstreamError when the connection fails mid-body."""
        ...

    async def read(self) -> bytes: ...

    async def close(self) -> None: ...


class Upstream(Protocol):
    """An OpenAI-compatible model server."""

    @property
    def name(self) -> str: ...

    async def post(self, path: str, body: bytes, *, stream: bool) -> UpstreamResponse:
        """POST `path` (`/chat/completions`, `/completions`, `/embeddings`) with `body` (JSON
        bytes), relative to the server's base URL; returns once the headers arrive."""
        ...
