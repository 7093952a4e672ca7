"""Fair, bounded scheduling of classifier work onto the screen's threads.

Every blocking call of the screen (prompt scoring, PII scan, answer judge) is a work item of
one tenant, with a cost: the characters it reads. Items wait in a queue per tenant and start by
start-time fair queueing on that cost: the item with the smallest start tag runs next, a
tenant's tag advancing by the cost of what it already had run, so a tenant sending 100 kB
prompts gets the same characters per second as one sending 1 kB prompts, not 100 times more.
At most `tenant_running` items of one tenant run at once, and at most `threads - 1` long items
(over `long_chars`) in all: the last thread serves short items only, so an ordinary request
never waits behind a long one, however many a tenant sends. Long items run on threads of their
own at a lower CPU priority (`long_nice`, Linux), so a short item running beside one gets the
cores first: in bench/gateway/NOISY.md another tenant's p50 rose 17% under a flood of
128,000-character prompts with it, 2.1x without.

Bounded, never an unbounded queue: a tenant with `tenant_queued` items waiting is refused
(`Overloaded`, scope `tenant`: 429), and so is every request once `queued` items wait in all
(scope `gateway`: 503), each with a Retry-After estimated from the recent item times. An item
whose waiter is gone (its request timed out or the client disconnected: the awaiting task is
cancelled) is dropped before it runs; one already running sees `Ticket.abandoned` and stops at
its next piece (`Ticket.check`).

State is touched on the event loop only; threads report back through `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sekimori.screen import Overloaded

T = TypeVar("T")
# Fixed cost of an item beside its characters: a call's own overhead (sessions, small texts).
ITEM_COST = 200
# Weight of the newest item time in the running average that Retry-After is estimated from.
_EWMA = 0.2
RETRY_AFTER_MAX_S = 60


class Abandoned(Exception):
    """Raised by `Ticket.check` in a worker thread: nobody waits for this item any more."""


class Ticket:
    """Handed to a work item: `abandoned` turns true when its waiter is gone."""

    __slots__ = ("abandoned",)

    def __init__(self) -> None:
        self.abandoned = False

    def check(self) -> None:
        """Call between pieces of work: raises `Abandoned` when the result is no longer wanted."""
        if self.abandoned:
            raise Abandoned


@dataclass(frozen=True, slots=True)
class SchedulerLimits:
    threads: int = 2
    tenant_running: int = 2  # items of one tenant running at once
    long_chars: int = 4000  # an item reading more is long: at most threads - 1 of them run
    # How much lower a long item's thread runs (nice +10: about a tenth of the CPU beside a busy
    # thread at the gateway's priority); 0: the same priority.
    long_nice: int = 10
    tenant_queued: int = 128  # items of one tenant waiting; one more is refused (429)
    queued: int = 256  # items waiting in all; one more is refused (503)

    def __post_init__(self) -> None:
        low = (self.threads, self.tenant_running, self.long_chars, self.tenant_queued, self.queued)
        if min(low) < 1:
            raise ValueError(
                "threads, tenant_running, long_chars, tenant_queued and queued must be >= 1"
            )
        if not 0 <= self.long_nice <= 19:
            raise ValueError("long_nice must be between 0 and 19")


@dataclass(slots=True)
class SchedulerCounts:
    """What the scheduler did, for /metrics (`sekimori_screen_work_*`)."""

    done: int = 0  # items that ran to the end (or failed on their own)
    dropped: int = 0  # waiters gone before the item started: never run
    abandoned: int = 0  # waiters gone while it ran: stopped at its next piece
    refused_tenant: int = 0  # a tenant over its queue share (429)
    refused_gateway: int = 0  # the whole queue full (503)


@dataclass(eq=False, slots=True)
class _Item:
    tenant: str
    cost: int
    long: bool
    start: float  # start tag (virtual time)
    fn: Callable[[Ticket], Any]
    future: asyncio.Future[Any]
    ticket: Ticket = field(default_factory=Ticket)
    running: bool = False


class Work(Generic[T]):
    """A queued or running work item, as `Scheduler.submit` returns it."""

    __slots__ = ("item",)

    def __init__(self, item: _Item) -> None:
        self.item = item


@dataclass(slots=True)
class _Tenant:
    queue: deque[_Item] = field(default_factory=deque)
    running: int = 0
    finish: float = 0.0  # finish tag of its last item


class Scheduler:
    """`await scheduler.run(tenant, cost, fn)` runs `fn(ticket)` in a thread, fairly."""

    def __init__(self, limits: SchedulerLimits, pool: ThreadPoolExecutor) -> None:
        self.limits = limits
        self.pool = pool
        # Long items run on threads of their own at a lower CPU priority, so that a short item
        # runnable at the same time gets the cores first (Linux: a nice value is per thread).
        self.long_pool = ThreadPoolExecutor(
            max(1, limits.threads - 1),
            thread_name_prefix="sekimori-screen-long",
            initializer=_lower_priority,
            initargs=(limits.long_nice,),
        )
        self.counts = SchedulerCounts()
        self._tenants: dict[str, _Tenant] = {}
        self._queued = 0
        self._running = 0
        self._long = 0
        self._vtime = 0.0
        self._item_s = 0.05  # running average of an item's time in a thread

    @property
    def queued(self) -> int:
        return self._queued

    @property
    def running(self) -> int:
        return self._running

    def close(self) -> None:
        self.long_pool.shutdown(wait=False, cancel_futures=True)

    def retry_after_s(self, waiting: int) -> int:
        """Seconds until about `waiting` items will have been served by every thread."""
        estimate = waiting * self._item_s / self.limits.threads
        return max(1, min(RETRY_AFTER_MAX_S, math.ceil(estimate)))

    def submit(self, tenant: str, cost: int, fn: Callable[[Ticket], T]) -> Work[T]:
        """Queues `fn` for `tenant`, or raises `Overloaded` at once (nothing is queued then)."""
        state = self._tenants.get(tenant)
        if state is None:
            state = self._tenants[tenant] = _Tenant()
        limits = self.limits
        if len(state.queue) >= limits.tenant_queued:
            self.counts.refused_tenant += 1
            raise Overloaded("tenant", self.retry_after_s(len(state.queue)), limits.tenant_queued)
        if self._queued >= limits.queued:
            self.counts.refused_gateway += 1
            raise Overloaded("gateway", self.retry_after_s(self._queued), limits.queued)
        loop = asyncio.get_running_loop()
        start = max(self._vtime, state.finish)
        long = cost > limits.long_chars
        item = _Item(tenant, cost + ITEM_COST, long, start, fn, loop.create_future())
        state.finish = start + item.cost
        state.queue.append(item)
        self._queued += 1
        self._dispatch()
        return Work(item)

    async def result(self, work: Work[T]) -> T:
        """The work's result; a waiter that is cancelled (timed out, client gone) withdraws it."""
        try:
            result: T = await work.item.future
        except asyncio.CancelledError:
            self.withdraw(work)
            raise
        return result

    async def run(self, tenant: str, cost: int, fn: Callable[[Ticket], T]) -> T:
        return await self.result(self.submit(tenant, cost, fn))

    def withdraw(self, work: Work[Any]) -> None:
        """Nobody wants this work any more: dropped if it waits, asked to stop if it runs."""
        item = work.item
        state = self._tenants.get(item.tenant)
        if state is not None and not item.future.done():
            item.future.cancel()
        if state is not None:
            self._forget(item, state)

    def _forget(self, item: _Item, state: _Tenant) -> None:
        if item.ticket.abandoned:
            return  # already forgotten
        item.ticket.abandoned = True
        if item in state.queue:
            state.queue.remove(item)
            self._queued -= 1
            self.counts.dropped += 1
            self._prune(item.tenant, state)
        elif item.running:
            self.counts.abandoned += 1

    def _prune(self, name: str, state: _Tenant) -> None:
        # Idle tenants keep no state, so the table stays as small as the tenants now active (a
        # tenant back from idle starts at the current virtual time, as fair queueing has it).
        if not state.queue and not state.running:
            del self._tenants[name]

    def _next(self) -> _Tenant | None:
        best: _Tenant | None = None
        # The last thread is kept for short items (with one thread, there is none to keep).
        long_ok = self._long < max(1, self.limits.threads - 1)
        for state in self._tenants.values():
            if not state.queue or state.running >= self.limits.tenant_running:
                continue
            if state.queue[0].long and not long_ok:
                continue
            if best is None or state.queue[0].start < best.queue[0].start:
                best = state
        return best

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._running < self.limits.threads:
            state = self._next()
            if state is None:
                return
            item = state.queue.popleft()
            self._queued -= 1
            self._running += 1
            self._long += item.long
            item.running = True
            state.running += 1
            self._vtime = max(self._vtime, item.start)
            pool = self.long_pool if item.long else self.pool
            work = pool.submit(_timed, item.fn, item.ticket)
            work.add_done_callback(self._reporter(loop, item))

    def _reporter(
        self, loop: asyncio.AbstractEventLoop, item: _Item
    ) -> Callable[[Future[tuple[Any, float]]], None]:
        """A thread's done-callback: hands the finished item back to the event loop."""

        def report(done: Future[tuple[Any, float]]) -> None:
            # A loop already closed (the gateway stopping) has nobody left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._finished, item, done)

        return report

    def _finished(self, item: _Item, done: Future[tuple[Any, float]]) -> None:
        self._running -= 1
        self._long -= item.long
        item.running = False
        state = self._tenants[item.tenant]
        state.running -= 1
        exc = done.exception()
        # An abandoned item was counted when its waiter left; a cancelled waiter wants nothing.
        if not isinstance(exc, Abandoned) and not item.future.done():
            self.counts.done += 1
            if exc is not None:
                item.future.set_exception(exc)
            else:
                result, seconds = done.result()
                self._item_s += _EWMA * (seconds - self._item_s)
                item.future.set_result(result)
        self._prune(item.tenant, state)
        self._dispatch()


def _lower_priority(nice: int) -> None:
    """Runs in each long-item thread as it starts: `nice` lower priority, where the OS gives
    each thread its own (Linux); elsewhere a no-op (a pid there is the whole process)."""
    if sys.platform != "linux" or not nice:
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)


def _timed(fn: Callable[[Ticket], T], ticket: Ticket) -> tuple[T, float]:
    t0 = time.perf_counter()
    ticket.check()
    return fn(ticket), time.perf_counter() - t0
