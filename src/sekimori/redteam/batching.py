"""Gather concurrent single calls into batches for a blocking batch function.

While one batch runs on a worker thread the next one fills, so an encoder sees many texts at
once instead of one per concurrent probe. Failures reach every caller of the failed batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class MicroBatcher(Generic[In, Out]):
    def __init__(self, fn: Callable[[Sequence[In]], Sequence[Out]], max_batch: int = 32) -> None:
        self.fn = fn
        self.max_batch = max_batch
        self.pending: list[tuple[In, asyncio.Future[Out]]] = []
        self.worker: asyncio.Task[None] | None = None

    async def __call__(self, value: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self.pending.append((value, future))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
            try:
                results = await asyncio.to_thread(self.fn, [v for v, _ in batch])
            except Exception as exc:  # handed to every waiting caller, not swallowed
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)

    async def wait(self) -> None:
        if self.worker is not None:
            await self.worker
