"""Load for the replica and fault tests: chat requests spread over gateways running the
`keywords` test screen (every 5th request blocked, the next flagged, the rest allowed), each with
its own client request id so that the audit can be matched against what clients were told."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

BLOCK_WORD, FLAG_WORD = "forbidden-word", "suspicious-word"


def keywords_config(upstream_url: str, *, store_url: str | None = None, extra: str = "") -> str:
    """Gateway settings (YAML) with the keywords screen, a 50 ms audit flush and `extra`."""
    store = f'store: {{url: "{store_url}"}}\n' if store_url else ""
    return (
        f"upstreams: {{fake: {{url: {upstream_url}}}}}\n"
        "screen:\n"
        "  name: keywords\n"
        f"  options: {{block: [{BLOCK_WORD}], flag: [{FLAG_WORD}]}}\n"
        "audit: {flush_interval_ms: 50}\n" + store + extra
    )


@dataclass(slots=True)
class Load:
    """What clients were told: client request id -> the x-sekimori-decision they got; and the
    requests that got no answer (connection cut, 5xx) when `tolerate` let them."""

    answered: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    slowest: float = 0.0  # seconds, the longest any answered request took


def word(i: int) -> str:
    return {0: BLOCK_WORD, 1: FLAG_WORD}.get(i % 5, "plain")


async def fire(
    urls: list[str],
    key: str,
    n: int,
    *,
    until: asyncio.Event | None = None,
    clients: int = 16,
    tolerate: bool = False,
    prefix: str = "q",
) -> Load:
    """`n` requests over the gateways, `clients` at once. With `until`, at least `n` and on
    until it is set, then a few more from each client (so a fault that `until` marks the end of
    falls inside the load however fast the machine). Without `tolerate` any failure raises."""
    load = Load()
    numbers = iter(range(10**9))
    auth = {"Authorization": f"Bearer {key}"}
    # The timeout only bounds a hang: an answer that waits out a partition (TCP user timeout
    # 10 s, then a connect timeout) at nice 19 on a loaded machine can take well over 30 s.
    async with httpx.AsyncClient(timeout=180, headers=auth) as client:

        async def one(i: int) -> None:
            ident = f"{prefix}{i}"
            body = {"model": "echo", "messages": [{"role": "user", "content": f"a {word(i)}"}]}
            started = time.monotonic()
            try:
                r = await client.post(
                    urls[i % len(urls)] + "/v1/chat/completions",
                    json=body,
                    headers={"x-request-id": ident},
                )
            except httpx.TransportError:
                if not tolerate:
                    raise
                load.failed.append(ident)
                return
            if r.status_code != 200:
                assert tolerate, r.text
                load.failed.append(ident)
                return
            load.answered[ident] = r.headers["x-sekimori-decision"]
            load.slowest = max(load.slowest, time.monotonic() - started)

        async def client_loop() -> None:
            while (i := next(numbers)) < n or (until is not None and not until.is_set()):
                await one(i)
            for _ in range(3 if until is not None else 0):
                await one(next(numbers))

        await asyncio.gather(*(client_loop() for _ in range(clients)))
    return load
