"""An effect run: start the gateway in front of the fake upstream, send every set through it in
both upstream modes, and keep what the client saw."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from sekimori.evaluation.exchange import Fate, Outcome, send
from sekimori.evaluation.items import EffectItem
from sekimori.evaluation.realistic import realistic
from sekimori.evaluation.sets import load_sets, padded, stable_sample, wrapped
from sekimori.testing.compliant import AnswerPool

UPSTREAMS = ("neutral", "compliant")


@dataclass(frozen=True, slots=True)
class EffectSettings:
    sets: tuple[str, ...]
    root: Path  # the shared data folder
    limit: int | None = None  # items per set (stable sample)
    whole: tuple[str, ...] = ()  # sets sent whole despite the limit
    concurrency: int = 8
    stream: bool = False
    upstreams: tuple[str, ...] = UPSTREAMS
    timeout_s: float = 300.0
    pool: Path | None = None  # the compliant upstream's answer pool (None: its default)


@dataclass
class EffectRun:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    available: dict[str, int] = field(default_factory=dict)  # set -> items before any limit

    def of(self, set_name: str, upstream: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.set == set_name and o.upstream == upstream]


Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def with_given(outcome: Outcome, pool: AnswerPool) -> Outcome:
    """`outcome` naming the answer the compliant upstream gave (it picks as the fake does)."""
    item = outcome.item
    if outcome.upstream != "compliant" or outcome.fate is Fate.ERROR:
        return outcome
    if item.answer:
        return replace(outcome, given=item.origin, given_layout=item.label)
    picked = pool.pick(item.comply_label, item.chat_messages()[-1]["content"])
    return replace(outcome, given=picked.id, given_layout=picked.layout)


async def send_all(
    url: str,
    key: str,
    items: Sequence[EffectItem],
    upstream: str,
    settings: EffectSettings,
) -> list[Outcome]:
    """Every item, at most `settings.concurrency` in flight; results in item order."""
    gate = asyncio.Semaphore(settings.concurrency)
    limits = httpx.Limits(max_connections=settings.concurrency)
    async with httpx.AsyncClient(timeout=settings.timeout_s, limits=limits) as client:

        async def one(item: EffectItem) -> Outcome:
            async with gate:
                return await send(client, url, key, item, upstream, settings.stream)

        return list(await asyncio.gather(*(one(i) for i in items)))


def _stopped_bare(run: EffectRun) -> list[EffectItem]:
    """Held-out harmful items the prompt screen stopped (blocked or held) when sent bare."""
    return [
        o.item
        for o in run.of("heldout", "neutral")
        if o.item.harmful and (o.held or o.fate is Fate.BLOCKED)
    ]


async def register_scripts(upstream_url: str, items: Sequence[EffectItem]) -> None:
    """Store each item's given answer on the fake upstream, under the name its model refers to."""
    async with httpx.AsyncClient(timeout=30) as client:
        for item in {i.script: i for i in items}.values():
            resp = await client.post(
                f"{upstream_url}/_fake/scripts/{item.script}", content=item.answer.encode()
            )
            resp.raise_for_status()


async def run_sets(
    url: str, key: str, settings: EffectSettings, upstream_url: str, log: Log = _stderr
) -> EffectRun:
    """Send the sets to the gateway at `url` (the fake upstream behind it at `upstream_url`);
    derived sets after the held-out split."""
    run = EffectRun()
    started = time.monotonic()
    pool = AnswerPool.load(settings.pool)
    base = load_sets(settings.sets, settings.root, settings.limit, settings.whole)
    run.available = {name: loaded.available for name, loaded in base.items()}

    async def go(name: str, items: Sequence[EffectItem]) -> None:
        scripted = [i for i in items if i.answer]
        if scripted:
            await register_scripts(upstream_url, scripted)
        for upstream in settings.upstreams:
            if scripted and upstream != "compliant":
                continue  # a given answer needs the compliant upstream to give it
            t = time.monotonic()
            got = await send_all(url, key, items, upstream, settings)
            run.outcomes.extend(with_given(o, pool) for o in got)
            errors = sum(o.error != "" for o in got)
            log(
                f"{name} × {upstream}: {len(got)} sent, {errors} errors, "
                f"{time.monotonic() - t:.0f} s"
            )

    for name, loaded in base.items():
        items = loaded.items
        if not items:
            log(f"{name}: no items (skipped)")
            continue
        await go(name, items)
    if "realistic" in settings.sets:
        if "compliant" not in settings.upstreams:
            log("realistic: skipped (real answers are given by the compliant upstream)")
        else:
            every = [i for loaded in base.values() for i in loaded.items]
            await go("realistic", realistic(every, settings.root))
    held = [i for i in base["heldout"].items if i.harmful] if "heldout" in base else []
    if "padding" in settings.sets:
        limit = None if "padding" in settings.whole else settings.limit
        await go("padding", padded(stable_sample(held, limit)))
    if "wrappers" in settings.sets:
        if "neutral" not in settings.upstreams:
            log("wrappers: skipped (they wrap the items stopped bare before the neutral upstream)")
        else:
            await go("wrappers", wrapped(_stopped_bare(run)))
    run.seconds = time.monotonic() - started
    return run
