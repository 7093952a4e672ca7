"""Rate limits and quotas at the gateway: admit a request before it is screened or forwarded,
count its tokens once it is answered.

The figures come from the policy (`limits:` per tier, tenant and key, `docs/limits.md`); where
they are counted from the settings (`limits.url`: Redis shared by replicas, or this process).
A refused request gets 429 with Retry-After and the OpenAI error body (`rate_limit_exceeded`,
or `insufficient_quota` for the day and month token quotas); every answer carries
`x-ratelimit-*` headers for the tightest limit that applies. When Redis is down, the tenant's
`when_unavailable` decides: `local` counts in this process (said in the audit record), `closed`
refuses with 503.

The watch's sanctions are applied here too (`sekimori.watch.actions`): a suspended key gets 403
`key_suspended`, a throttled key is counted against the policy's `watch.throttle` as well (its
own scope, so 429 with Retry-After beyond it), a held key is marked for the chat handler.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from sekimori.errors import ConfigError
from sekimori.gateway.chat import Exchange
from sekimori.gateway.errors import HttpError
from sekimori.gateway.metrics import Metrics
from sekimori.limits import (
    Admission,
    Lease,
    LimitStore,
    LimitsUnavailable,
    Measure,
    Remaining,
    Scope,
    StoreOptions,
    open_limit_store,
)
from sekimori.limits.estimate import estimate_tokens
from sekimori.limits.memory import MemoryLimitStore
from sekimori.policy import PolicySet, TenantOverride, configured_policy
from sekimori.settings import Settings
from sekimori.store.sanctions import SanctionRow
from sekimori.types import WatchAction
from sekimori.watch.actions import Sanctions, quota_of
from sekimori.watch.detectors import DETECTORS

log = logging.getLogger("sekimori.gateway")

_WHAT = {
    Measure.RPM: ("requests per minute", "1分あたりのリクエスト数"),
    Measure.TPM: ("tokens per minute", "1分あたりのトークン数"),
    Measure.CONCURRENT: ("concurrent requests", "同時リクエスト数"),
    Measure.TOKENS_PER_DAY: ("tokens per day (UTC)", "1日あたりのトークン数"),
    Measure.TOKENS_PER_MONTH: ("tokens per month (UTC)", "1か月あたりのトークン数"),
}
_LOCAL_NOTE = (
    "rate limits: shared store unavailable, counted in this process (when_unavailable: local)"
)


@dataclass(frozen=True, slots=True)
class Grant:
    """An admitted request: the store that counted it (Redis, or the local fallback)."""

    store: LimitStore
    lease: Lease


class Limiter:
    def __init__(
        self,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
        sanctions: Sanctions | None = None,
    ) -> None:
        self._settings = settings
        self._metrics = metrics or Metrics()
        self.sanctions = sanctions
        limits = settings.limits
        try:
            self.store = open_limit_store(
                limits.url, StoreOptions(limits.prefix, limits.lease_s, limits.timeout_s)
            )
        except ConfigError as exc:  # name the settings file too
            file = str(settings.config_file) if settings.config_file else None
            raise ConfigError(str(exc), file=file) from None
        shared = limits.url is not None
        self.local: LimitStore = MemoryLimitStore() if shared else self.store
        self._tenants: tuple[TenantOverride, ...] = ()  # the store's rows over the file
        self._loading = threading.Lock()  # a reload and a tenant change, one after the other
        self.policy = self._load()

    def _load(self) -> PolicySet:
        return configured_policy(self._settings.policy_file, self._settings.policy, self._tenants)

    def use_tenants(self, tenants: tuple[TenantOverride, ...]) -> PolicySet:
        """The limits rebuilt with the store's tenant rows over the policy file; a bad policy
        file raises and the old limits stay, the rows kept for the next reload."""
        with self._loading:
            self._tenants = tenants
            policy = self._load()
            self.policy = policy
        return policy

    def reload(self) -> str:
        """Re-reads the policy's limits; a bad file raises and the old limits stay."""
        with self._loading:
            self.policy = self._load()
        return self.policy.source

    @property
    def policy(self) -> PolicySet:
        return self._policy

    @policy.setter
    def policy(self, policy: PolicySet) -> None:
        _check_detectors(policy)
        self._policy = policy
        # With no limits anywhere, admitting costs nothing at all.
        self.active = has_limits(policy)

    async def admit(self, ex: Exchange) -> Grant | None:
        """Counts the request or raises HttpError (429, or 503 when failing closed; 403 for a
        key the watch suspended)."""
        tenant, key_id = ex.principal.tenant, ex.principal.key_id
        sanction = None if self.sanctions is None else self.sanctions.get(key_id, time.time())
        throttle = None if sanction is None else self._sanction(sanction, ex)
        if not self.active and throttle is None:
            return None
        limits = self._policy.for_tenant(tenant).limits
        scopes = [
            s
            for s in (
                Scope(f"tenant:{tenant}", limits.tenant),
                Scope(f"key:{key_id}", limits.for_key(key_id)),
                *([] if throttle is None else [throttle]),
            )
            if not s.quota.empty
        ]
        if not scopes:
            return None
        store = self.store
        try:
            admission = await store.acquire(scopes, ex.ids.gateway)
        except LimitsUnavailable as exc:
            if limits.when_unavailable == "closed":
                ex.notes.append("rate limits: shared store unavailable, refused (closed)")
                self._metrics.rate_limited.inc("store_unavailable")
                log.error("%s; tenant %s fails closed", exc, tenant)
                raise HttpError(
                    503,
                    "rate limits cannot be checked right now; retry shortly / "
                    "レート制限を確認できません。しばらくして再試行してください",
                    code="rate_limits_unavailable",
                    type="server_error",
                    headers=[(b"retry-after", b"1")],
                ) from None
            log.warning("%s; counting tenant %s in this process", exc, tenant)
            ex.notes.append(_LOCAL_NOTE)
            self._metrics.limits_local.inc()
            store = self.local
            admission = await store.acquire(scopes, ex.ids.gateway)
        headers = _headers(admission)
        if admission.lease is None:
            self._metrics.rate_limited.inc((admission.refused or Measure.RPM).value)
            raise _refusal(admission, headers, ex)
        ex.headers.extend(headers)
        return Grant(store, admission.lease)

    def _sanction(self, sanction: SanctionRow, ex: Exchange) -> Scope | None:
        """Applies a watch sanction: raises for a suspended key, marks a held one, and returns
        a throttled key's extra scope."""
        key_id = ex.principal.key_id
        until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(sanction.until))
        if sanction.action == WatchAction.SUSPEND:
            ex.notes.append(f"watch: key suspended ({sanction.detector}) until {until}")
            self._metrics.rate_limited.inc("watch_suspended")
            raise HttpError(
                403,
                f"this API key is suspended until {until}: {sanction.reason_en} / "
                f"このAPIキーは {until} まで停止されています：{sanction.reason_ja}",
                code="key_suspended",
                type="permission_error",
            )
        if sanction.action == WatchAction.HOLD:
            ex.watch_hold = f"watch: key held for review ({sanction.detector}) until {until}"
            return None
        ex.notes.append(f"watch: key throttled ({sanction.detector}) until {until}")
        return Scope(f"watch:{key_id}", quota_of(sanction))

    async def settle(self, grant: Grant, ex: Exchange) -> None:
        """Adds the request's tokens and ends its concurrency lease; never raises."""
        try:
            await grant.store.commit(grant.lease, used_tokens(ex))
        except LimitsUnavailable as exc:
            # Its tokens go uncounted; its lease lapses after limits.lease_s.
            log.warning("%s; tokens of request %s not counted", exc, ex.ids.gateway)

    async def aclose(self) -> None:
        await self.store.aclose()
        if self.local is not self.store:
            await self.local.aclose()


def has_limits(policy: PolicySet) -> bool:
    """Whether any tenant, tier or key of `policy` has a rate limit or quota."""
    tenants = [policy.default_tenant, *policy.tenants.values()]
    return any(not t.limits.empty for t in tenants)


def _check_detectors(policy: PolicySet) -> None:
    """Every detector a policy names under `watch.actions` exists (else the policy is refused)."""
    known = DETECTORS.names()
    for tenant in (policy.default_tenant, *policy.tenants.values()):
        for name in tenant.watch.actions:
            if name not in known:
                raise ConfigError(
                    f"tenant {tenant.name}: watch.actions names no detector {name!r}; known: "
                    f"{', '.join(known)} / 不明な検知器です",
                    file=policy.source,
                    key=f"watch.actions.{name}",
                )


def used_tokens(ex: Exchange) -> int:
    """The request's tokens: the upstream's `usage` where it reported it, else an estimate
    (`limits/estimate.py`) of the prompt and of the answer as far as it went. Nothing when the
    upstream was not asked or failed."""
    if ex.blocked_at == "input" or ex.status not in (200, 499) or not ex.upstream:
        return 0
    prompt = ex.prompt_tokens
    if prompt is None:
        prompt = estimate_tokens(m.content for m in ex.request.messages)
    completion = ex.completion_tokens
    if completion is None:
        completion = estimate_tokens(ex.answer)
    return prompt + completion


def _duration(seconds: float) -> bytes:
    return f"{seconds:.3f}s".encode()


def _headers(admission: Admission) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for kind, left in (("requests", admission.requests), ("tokens", admission.tokens)):
        if isinstance(left, Remaining):
            out += [
                (f"x-ratelimit-limit-{kind}".encode(), str(left.limit).encode()),
                (f"x-ratelimit-remaining-{kind}".encode(), str(left.remaining).encode()),
                (f"x-ratelimit-reset-{kind}".encode(), _duration(left.reset)),
            ]
    return out


def _refusal(admission: Admission, headers: list[tuple[bytes, bytes]], ex: Exchange) -> HttpError:
    measure = admission.refused or Measure.RPM
    wait = max(1, math.ceil(admission.retry_after))
    en, ja = _WHAT[measure]
    scope = admission.refused_scope
    ex.notes.append(f"rate limit: {measure.value} of {scope} reached")
    quota = measure.code == "insufficient_quota"
    message = (
        f"{'quota' if quota else 'rate limit'} reached for {scope} on {en}; "
        f"retry in {wait} s / {ja}の上限に達しました。{wait}秒後に再試行してください"
    )
    kind = "tokens" if measure is Measure.TPM else "requests"
    return HttpError(
        429,
        message,
        code=measure.code,
        type="insufficient_quota" if quota else kind,
        headers=[
            (b"retry-after", str(wait).encode()),
            (b"retry-after-ms", str(math.ceil(admission.retry_after * 1000)).encode()),
            *headers,
        ],
    )
