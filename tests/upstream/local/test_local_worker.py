"""The one-at-a-time worker: order, bounded queue, cancellation (no model needed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from sekimori.upstream.local.api import ApiError
from sekimori.upstream.local.protocol import Finished, GenerationEvent, TextDelta
from sekimori.upstream.local.server import Cancelled, Worker


def answer(text: str, gate: threading.Event | None = None) -> Iterator[GenerationEvent]:
    for word in text.split():
        if gate is not None:
            assert gate.wait(10)
        yield TextDelta(word)
    yield Finished("stop", 1, len(text.split()))


async def collect(events: object) -> list[str]:
    return [e.text async for e in events if isinstance(e, TextDelta)]  # type: ignore[attr-defined]


def test_generations_run_in_order_and_the_queue_is_bounded() -> None:
    async def scenario() -> None:
        worker = Worker(max_queue=2)
        gate = threading.Event()
        first = worker.submit(answer("a b", gate))
        second = worker.submit(answer("c d"))
        with pytest.raises(ApiError) as refused:
            worker.submit(answer("e"))
        assert refused.value.status == 503
        gate.set()
        assert await collect(first.events()) == ["a", "b"]
        assert await collect(second.events()) == ["c", "d"]
        worker.shutdown()

    asyncio.run(scenario())


def test_cancel_stops_the_generation_and_wakes_the_waiter() -> None:
    async def scenario() -> None:
        worker = Worker(max_queue=4)
        gate = threading.Event()
        job = worker.submit(answer("x y z", gate))
        job.cancel.set()
        gate.set()
        with pytest.raises(Cancelled):
            await collect(job.events())
        for _ in range(100):
            if worker.stats().cancelled:
                break
            await asyncio.sleep(0.01)
        assert worker.stats().cancelled == 1
        assert worker.stats().completed == 0
        worker.shutdown()

    asyncio.run(scenario())
