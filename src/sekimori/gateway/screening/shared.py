"""Prompt verdicts shared by replicas through Redis: a text one replica scored is not scored again
by another (a system prompt every client sends, a conversation whose turns land on several).

What is shared is the classifiers' verdict on one text (category scores), which the policy then
decides on, as with the in-process cache (`cache.py`), so a policy reload keeps it. An entry is
found by a keyed hash, HMAC(secret, generation, tenant, the text's sha256), and holds no text:
- per tenant: one tenant's entries are never read for another, so nobody learns from a fast
  answer that another tenant sent a text, and nothing one tenant's requests cause is used for
  another's;
- per generation (`generation`): the scorer's settings, the package version and the models'
  metadata, so replicas with another model (a rolling upgrade) neither read nor write the same
  entries;
- signed: each value carries an HMAC over its key and contents, so one written or moved by
  anyone without the secret (a Redis shared with other software) is ignored, not believed.
The secret is derived from the audit key (`audit.key`), which every replica must share anyway
(docs/store.md). Entries expire after `ttl_s`.

Redis is a help, never a need: a lookup or write that fails or takes longer than `timeout_s`
is skipped (the text is scored here), and Redis is left alone for a second after a failure, so
a dead Redis costs one timeout a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sekimori
from sekimori.errors import ConfigError
from sekimori.settings import Settings, SharedCacheSettings
from sekimori.types import Verdict

log = logging.getLogger("sekimori.gateway")
PAUSE_AFTER_FAILURE_S = 1.0
_MAC_BYTES = 16
_MODEL_META = ("prompt/model.json", "answers/answers.json", "answers/fast.json")


@dataclass(slots=True)
class SharedStats:
    hits: int = 0
    misses: int = 0
    errors: int = 0  # lookups or writes skipped: Redis failed, was slow, or is paused
    rejected: int = 0  # values whose signature did not hold


def generation(settings: Settings) -> bytes:
    """What a verdict depends on besides its text: the screen's settings (scorer, options, the
    cascade's judge), the package version and the committed models' metadata files."""
    digest = hashlib.sha256(sekimori.__version__.encode())
    screen = settings.screen.model_dump(mode="json", exclude={"shared_cache"})
    digest.update(json.dumps(screen, sort_keys=True, default=str).encode())
    models = Path(sekimori.__file__).parent / "classify" / "models"
    for name in _MODEL_META:
        path = models / name
        if path.is_file():
            digest.update(name.encode() + b"\x00" + path.read_bytes())
    return digest.digest()


class SharedVerdicts:
    def __init__(self, options: SharedCacheSettings, url: str, secret: bytes, gen: bytes) -> None:
        try:
            import redis.asyncio as aioredis
            from redis.exceptions import RedisError

            self._client: Any = aioredis.Redis.from_url(
                url, socket_timeout=options.timeout_s, socket_connect_timeout=options.timeout_s
            )
        except ValueError as exc:
            raise ConfigError(f"invalid Redis URL: {exc}", key="screen.shared_cache.url") from None
        # asyncio.wait_for raises TimeoutError (the builtin, since Python 3.11)
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self._secret = hmac.new(secret, b"sekimori shared verdicts\x00" + gen, "sha256").digest()
        self._prefix = options.prefix
        self._ttl_s = options.ttl_s
        self._timeout_s = options.timeout_s
        self._paused_until = 0.0
        self._writes: set[asyncio.Task[None]] = set()
        self.stats = SharedStats()

    def key(self, tenant: str, digest: bytes) -> str:
        mac = hmac.new(self._secret, tenant.encode() + b"\x00" + digest, "sha256")
        return self._prefix + mac.hexdigest()[:40]

    def _sign(self, key: str, body: bytes) -> bytes:
        return hmac.new(self._secret, key.encode() + b"\x00" + body, "sha256").digest()[:_MAC_BYTES]

    def _usable(self) -> bool:
        if time.monotonic() < self._paused_until:
            self.stats.errors += 1
            return False
        return True

    def _failed(self, what: str, exc: BaseException) -> None:
        self.stats.errors += 1
        if time.monotonic() >= self._paused_until:
            detail = str(exc) or type(exc).__name__
            log.warning("shared verdict cache: %s failed (%s); scoring here", what, detail)
        self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S

    async def get(self, tenant: str, digests: Sequence[bytes]) -> dict[bytes, Verdict]:
        """The verdicts Redis holds for `digests` (one round trip); {} when it cannot say."""
        if not digests or not self._usable():
            return {}
        keys = [self.key(tenant, d) for d in digests]
        try:
            values = await asyncio.wait_for(self._client.mget(keys), self._timeout_s)
        except self._errors as exc:
            self._failed("lookup", exc)
            return {}
        found: dict[bytes, Verdict] = {}
        for digest, key, value in zip(digests, keys, values, strict=True):
            verdict = None if value is None else self._open(key, bytes(value))
            if verdict is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
                found[digest] = verdict
        return found

    def _open(self, key: str, value: bytes) -> Verdict | None:
        mac, body = value[:_MAC_BYTES], value[_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._sign(key, body)):
            self.stats.rejected += 1
            return None
        data = json.loads(body)
        certain = data.get("certain")  # absent: stored by a replica before `Verdict.certain`
        return Verdict(
            harmful=bool(data["harmful"]),
            score=float(data["score"]),
            categories=_categories(data),
            top=data["top"],
            lang=str(data["lang"]),
            source=str(data["source"]),
            certain=None
            if certain is None
            else Verdict(bool(certain["harmful"]), float(certain["score"]), _categories(certain)),
        )

    def put(self, tenant: str, verdicts: Mapping[bytes, Verdict]) -> None:
        """Stores `verdicts` in the background: the request does not wait for Redis."""
        if not verdicts or not self._usable():
            return
        task = asyncio.ensure_future(self._put(tenant, dict(verdicts)))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _put(self, tenant: str, verdicts: Mapping[bytes, Verdict]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for digest, v in verdicts.items():
            key = self.key(tenant, digest)
            body = json.dumps(
                {
                    "harmful": v.harmful,
                    "score": v.score,
                    "categories": dict(v.categories),
                    "top": v.top,
                    "lang": v.lang,
                    "source": v.source,
                    "certain": None
                    if v.certain is None
                    else {
                        "harmful": v.certain.harmful,
                        "score": v.certain.score,
                        "categories": dict(v.certain.categories),
                    },
                },
                separators=(",", ":"),
            ).encode()
            pipe.set(key, self._sign(key, body) + body, ex=self._ttl_s)
        try:
            await asyncio.wait_for(pipe.execute(), self._timeout_s)
        except self._errors as exc:
            self._failed("write", exc)

    async def aclose(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self._client.aclose()


def _categories(data: Mapping[str, Any]) -> dict[str, float]:
    return {str(c): float(s) for c, s in data["categories"].items()}
