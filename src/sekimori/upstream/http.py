"""A lean HTTP/1.1 keep-alive client for the proxy's hot path.

httpx cost the gateway more than the rest of a request put together and its pool slowed down badly
at 64 concurrent requests, so the chat path uses this: one pool of persistent connections per
upstream, responses parsed by httptools (uvicorn's parser), bodies streamed as they arrive.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

_READ_SIZE = 65536


class ConnectFailed(OSError):
    """The TCP (or TLS) connection could not be opened."""


class ConnectTimedOut(TimeoutError):
    pass


class ReadTimedOut(TimeoutError):
    pass


class ProtocolFailed(OSError):
    """The server closed the connection early or sent something that is not HTTP."""


class _Connection:
    """One persistent connection and the parser state of the response being read on it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False
        self._reset()

    def _reset(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.keep_alive = False
        self.until_close = False  # the body has no length and ends when the server closes
        self.complete = False
        self.body: deque[bytes] = deque()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # Read here: llhttp forgets it once the message is complete.
        self.keep_alive = bool(self.parser.should_keep_alive())
        names = {name for name, _ in self.headers}
        self.until_close = b"content-length" not in names and not any(
            name == b"transfer-encoding" and b"chunked" in value.lower()
            for name, value in self.headers
        )

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    async def feed_once(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                data = await self.reader.read(_READ_SIZE)
        except TimeoutError:
            raise ReadTimedOut("no data within the read timeout") from None
        except OSError as exc:
            raise ProtocolFailed(f"connection lost ({exc})") from None
        if not data:
            if self.headers_done and self.until_close:
                # Valid HTTP: a body without a length ends when the server closes.
                self.complete = True
                self.keep_alive = False
                return
            raise ProtocolFailed("the server closed the connection before the answer ended")
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ProtocolFailed(f"malformed HTTP response ({exc})") from None

    def close(self) -> None:
        self.writer.close()


class PooledResponse:
    def __init__(self, pool: ConnectionPool, conn: _Connection, read_timeout: float) -> None:
        self._pool = pool
        self._conn: _Connection | None = conn
        self._timeout = read_timeout
        self.status: int = conn.parser.get_status_code()
        self.headers = conn.headers

    async def chunks(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        while True:
            while conn.body:
                yield conn.body.popleft()
            if conn.complete:
                break
            await conn.feed_once(self._timeout)
        self._release()

    async def read(self) -> bytes:
        parts = [chunk async for chunk in self.chunks()]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.put_back(conn)

    def close(self) -> None:
        """Give the connection back if the answer was read whole; otherwise drop it."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if conn.complete and not conn.body:
            self._pool.put_back(conn)
        else:
            self._pool.discard(conn)


class ConnectionPool:
    def __init__(
        self, base_url: str, *, max_connections: int, connect_timeout: float, read_timeout: float
    ) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.base_path = parts.path.rstrip("/")
        self.host_header = parts.netloc.encode()
        self._ssl = ssl.create_default_context() if self.scheme == "https" else None
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(max_connections)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    async def _open(self) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self._ssl, limit=_READ_SIZE * 4
                )
        except TimeoutError:
            raise ConnectTimedOut(f"no connection within {self.connect_timeout} s") from None
        except OSError as exc:
            raise ConnectFailed(exc.strerror or str(exc)) from None
        return _Connection(reader, writer)

    def put_back(self, conn: _Connection) -> None:
        if conn.keep_alive and not conn.reader.at_eof():
            conn._reset()
            conn.used = True
            self._idle.append(conn)
        else:
            conn.close()
        self._slots.release()

    def discard(self, conn: _Connection) -> None:
        conn.close()
        self._slots.release()

    async def request(
        self, method: str, path: str, body: bytes, headers: list[tuple[str, str]]
    ) -> PooledResponse:
        """Send a request and return once the response headers have arrived."""
        head = [f"{method} {self.base_path}{path} HTTP/1.1\r\n".encode()]
        head.append(b"host: " + self.host_header + b"\r\n")
        head.extend(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers)
        head.append(b"content-length: %d\r\n\r\n" % len(body))
        payload = b"".join(head) + body
        await self._slots.acquire()
        try:
            while True:
                conn = self._idle.pop() if self._idle else await self._open()
                try:
                    conn.writer.write(payload)
                    while not conn.headers_done:
                        await conn.feed_once(self.read_timeout)
                except ProtocolFailed:
                    conn.close()
                    # A reused connection the server had already closed: retry on a fresh one.
                    if conn.used and not conn.headers:
                        continue
                    raise
                except BaseException:
                    conn.close()
                    raise
                return PooledResponse(self, conn, self.read_timeout)
        except BaseException:
            self._slots.release()
            raise

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()
