"""The screening scheduler with real threads: fair order, bounds, dropping and abandoning work."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from sekimori.gateway.screening.scheduler import Scheduler, SchedulerLimits, Ticket
from sekimori.screen import Overloaded


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


class Gate:
    """Work that records when it starts and then waits until the test opens its gate."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name
        self.started = threading.Event()
        self.open = threading.Event()

    def __call__(self, ticket: Ticket) -> str:
        self.log.append(self.name)
        self.started.set()
        assert self.open.wait(10), "the test never opened this gate"
        ticket.check()
        return self.name


async def started(gate: Gate) -> None:
    assert await asyncio.to_thread(gate.started.wait, 10)


@dataclass
class Busy:
    """A one-thread scheduler whose thread is held by `gate` (its item: `task`)."""

    scheduler: Scheduler
    log: list[str]
    gate: Gate
    task: asyncio.Future[str]


async def busy(pool: ThreadPoolExecutor, **limits: int) -> Busy:
    scheduler = Scheduler(SchedulerLimits(threads=1, **limits), pool)
    log: list[str] = []
    gate = Gate(log, "A0")
    task = asyncio.ensure_future(scheduler.run("a", 10, gate))
    await started(gate)
    return Busy(scheduler, log, gate, task)


def quick(log: list[str], name: str) -> Callable[[Ticket], str]:
    def work(ticket: Ticket) -> str:
        log.append(name)
        return name

    return work


async def _a_short_item_never_waits_behind_long_ones(pool: ThreadPoolExecutor) -> None:
    scheduler = Scheduler(SchedulerLimits(threads=2, long_chars=1000), pool)
    log: list[str] = []
    floods = [Gate(log, f"A{i}") for i in range(4)]
    waiting = [asyncio.ensure_future(scheduler.run("a", 50_000, g)) for g in floods]
    await started(floods[0])
    # Long items take at most threads - 1 threads: the other three of A wait.
    assert scheduler.running == 1 and scheduler.queued == 3
    assert await scheduler.run("b", 100, quick(log, "B")) == "B"
    assert log == ["A0", "B"]
    for gate in floods:
        gate.open.set()
    assert await asyncio.gather(*waiting) == ["A0", "A1", "A2", "A3"]
    assert scheduler.counts.done == 5


async def _tenants_take_turns_by_cost(pool: ThreadPoolExecutor) -> None:
    held = await busy(pool)
    scheduler, log, first, blocker = held.scheduler, held.log, held.gate, held.task
    # A queues three 2,000-character items, then B three of 1,000: B's cheaper items are
    # served two for one of A's, not after all of A's.
    jobs = [scheduler.run("a", 2000, quick(log, f"A{i}")) for i in (1, 2, 3)]
    jobs += [scheduler.run("b", 1000, quick(log, f"B{i}")) for i in (1, 2, 3)]
    tasks = [asyncio.ensure_future(j) for j in jobs]
    await asyncio.sleep(0)
    first.open.set()
    await asyncio.gather(blocker, *tasks)
    assert log[0] == "A0"
    assert log.index("B2") < log.index("A2")
    assert log.index("B3") < log.index("A3")


async def _full_queues_are_refused_with_a_retry_time(pool: ThreadPoolExecutor) -> None:
    state = await busy(pool, tenant_queued=2, queued=3)
    scheduler, log, gate = state.scheduler, state.log, state.gate
    held = [state.task]
    held += [asyncio.ensure_future(scheduler.run("a", 10, quick(log, "A"))) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Overloaded) as tenant:
        await scheduler.run("a", 10, quick(log, "A-over"))
    assert tenant.value.scope == "tenant" and tenant.value.retry_after_s >= 1
    held.append(asyncio.ensure_future(scheduler.run("b", 10, quick(log, "B"))))
    await asyncio.sleep(0)
    with pytest.raises(Overloaded) as gateway:
        await scheduler.run("c", 10, quick(log, "C-over"))
    assert gateway.value.scope == "gateway"
    assert (scheduler.counts.refused_tenant, scheduler.counts.refused_gateway) == (1, 1)
    gate.open.set()
    await asyncio.gather(*held)
    assert "A-over" not in log and "C-over" not in log


async def _a_waiter_that_leaves_drops_or_stops_its_work(pool: ThreadPoolExecutor) -> None:
    state = await busy(pool)
    scheduler, log, running, task = state.scheduler, state.log, state.gate, state.task
    queued = asyncio.ensure_future(scheduler.run("a", 10, quick(log, "queued")))
    await asyncio.sleep(0)
    # A request that timed out: wait_for cancels its wait; the queued item never runs.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queued, 0.01)
    assert scheduler.counts.dropped == 1 and scheduler.queued == 0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert scheduler.counts.abandoned == 1
    running.open.set()  # it sees its ticket abandoned at its next check and stops
    assert await scheduler.run("b", 10, quick(log, "after")) == "after"
    assert log == ["A0", "after"]
    assert scheduler.counts.done == 1 and scheduler.running == 0


def test_a_short_item_never_waits_behind_long_ones(pool: ThreadPoolExecutor) -> None:
    asyncio.run(_a_short_item_never_waits_behind_long_ones(pool))


def test_tenants_take_turns_by_cost(pool: ThreadPoolExecutor) -> None:
    asyncio.run(_tenants_take_turns_by_cost(pool))


def test_full_queues_are_refused_with_a_retry_time(pool: ThreadPoolExecutor) -> None:
    asyncio.run(_full_queues_are_refused_with_a_retry_time(pool))


def test_a_waiter_that_leaves_drops_or_stops_its_work(pool: ThreadPoolExecutor) -> None:
    asyncio.run(_a_waiter_that_leaves_drops_or_stops_its_work(pool))


@pytest.mark.skipif(sys.platform != "linux", reason="a nice value per thread is Linux's")
def test_long_items_run_at_a_lower_cpu_priority(pool: ThreadPoolExecutor) -> None:
    def niceness(ticket: Ticket) -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    async def both() -> tuple[int, int]:
        scheduler = Scheduler(SchedulerLimits(threads=2, long_chars=100, long_nice=5), pool)
        try:
            return await scheduler.run("a", 10, niceness), await scheduler.run("a", 1000, niceness)
        finally:
            scheduler.close()

    short, long = asyncio.run(both())
    assert long == min(19, short + 5)
