"""Batched audit writes off the request path.

Records wait in memory and one background task commits them in a worker thread every
`flush_interval_ms`, or at once when a durable record (block, flag) is waiting. Pending records
(queued plus the batch being written) never exceed `max_pending`: a request that would exceed it
waits for the write. So a hard kill (SIGKILL) loses at most `max_pending` records, all of them
allowed requests from about the last flush interval; durable records are committed before the
caller's response is sent, so a hard kill never loses them.

The same batching serves the watch's sketches (`watch/live.py`): anything with `append` and
`close` can be the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Generic, Protocol, TypeVar

log = logging.getLogger("sekimori.audit")

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class BatchStore(Protocol[T_contra]):
    """Where batches go: blocking calls, run in a worker thread (an AuditStore is one)."""

    def append(self, records: Sequence[T_contra], /) -> None: ...

    def close(self) -> None: ...


class BatchingRecorder(Generic[T]):
    def __init__(
        self, store: BatchStore[T], *, flush_interval_ms: int, max_pending: int, what: str = "audit"
    ) -> None:
        self.store = store
        self.what = what  # named in the log when a write fails
        self._interval = flush_interval_ms / 1000
        self._max_pending = max_pending
        self._queue: list[T] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.failures = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-flush")

    async def record(self, record: T, *, durable: bool = False) -> None:
        while len(self._queue) + self._in_flight >= self._max_pending and not self._closing:
            waiter = self._waiter()
            self._wake.set()
            # A failed write was logged and counted; this record still gets its own try.
            with contextlib.suppress(Exception):
                await waiter
        self._queue.append(record)
        if durable:
            waiter = self._waiter()
            self._wake.set()
            await waiter

    def _waiter(self) -> asyncio.Future[None]:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return waiter

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            await self._flush()

    async def _flush(self) -> None:
        batch, self._queue = self._queue, []
        waiters, self._waiters = self._waiters, []
        self._in_flight = len(batch)
        error: Exception | None = None
        try:
            await asyncio.to_thread(self.store.append, batch)
        except Exception as exc:  # a failed write must not kill the flusher; waiters see it
            self.failures += len(batch)
            log.error("%s write of %d records failed: %s", self.what, len(batch), exc)
            error = exc
        finally:
            self._in_flight = 0
        for waiter in waiters:
            if not waiter.done():
                if error is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(error)

    async def aclose(self) -> None:
        """Write everything still pending, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        while self._queue or self._waiters:
            await self._flush()
        self.store.close()
