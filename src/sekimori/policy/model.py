"""The resolved policy: what the engine reads. Built by `load.py` from YAML, or by `defaults.py`.

Everything here is immutable and already validated: category ids exist, thresholds are in
[0, 1], tiers are resolved into each tenant, and exceptions carry who approved them and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

from sekimori.limits.quota import Quota
from sekimori.settings import GuardSettings
from sekimori.types import STRENGTH, Action, WatchAction

# The strongest action wins when several rules apply (the one order, in types.py).
SEVERITY = STRENGTH

CUSTOM_PREFIX = "custom."
ALLOW_PREFIX = "allow."


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """What to do when a category's score reaches `threshold`."""

    action: Action
    threshold: float = 0.5
    # The action once the classifier is sure (its score at or above the screen's sure level),
    # when stricter than `action`: the default policy flags the moderate tier and blocks it
    # when sure. None: `action` whatever the certainty.
    when_sure: Action | None = None
    # The input screen's sure point for this category alone (policy scale), in place of the
    # scorer's `sure_at`: a score between the threshold and it is unsure (held, not blocked).
    # None: the scorer's. Never on a catastrophic category (the loader refuses it); answers are
    # ruled on the answer judge's own sure level, never this one.
    input_sure_at: float | None = None


@dataclass(frozen=True, slots=True)
class CatastrophicException:
    """An operator's explicit, audited permission to treat a catastrophic category differently.

    Without one, catastrophic categories block for every tenant whatever else the policy says.
    """

    category: str
    action: Action
    reason: str
    approved_by: str
    expires: date | None = None

    def active(self, today: date) -> bool:
        return self.expires is None or today <= self.expires

    def describe(self) -> str:
        until = f", until {self.expires.isoformat()}" if self.expires else ""
        return f"approved by {self.approved_by}{until}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ExampleSet:
    """A custom category or a benign intent, defined by example prompts (any language).

    The engine receives its similarity score as a verdict category named `custom.<name>` or
    `allow.<name>` (see `examples.ExampleIndex`).
    """

    name: str
    examples: tuple[str, ...]
    threshold: float
    action: Action = Action.BLOCK  # custom categories only
    covers: tuple[str, ...] = ()  # allow intents only: what it may clear (empty: moderate tier)


class GuardWhen(StrEnum):
    """When a guard model is asked (`sekimori.policy.guarding`)."""

    HOLD = "hold"  # the input is held (an unsure block the tenant defers)
    CATASTROPHIC_ABOVE = "catastrophic_above"  # a catastrophic-tier score reaches `above`
    ALWAYS = "always"  # every request
    ANSWERS = "answers"  # every complete answer


class OnFailure(StrEnum):
    """What a guard that is down, slow or unreadable means for the request."""

    CLOSED = "closed"  # block
    OPEN = "open"  # go on as if no guard had been asked (flagged, with the failure audited)
    PER_TIER = "per_tier"  # closed when a catastrophic-tier score reaches `above`, else open


@dataclass(frozen=True, slots=True)
class GuardRule:
    guard: str  # a name under the policy's `guards:`
    when: GuardWhen
    above: float = 0.3
    budget_ms: int = 800
    on_failure: OnFailure = OnFailure.PER_TIER
    # A safe verdict releases a held input (never one held on a catastrophic category).
    clears_hold: bool = False


@dataclass(frozen=True, slots=True)
class TenantAttributes:
    jurisdiction: str | None = None
    organisation: str | None = None
    verification: str | None = None


@dataclass(frozen=True, slots=True)
class AccessRule:
    """Denies models and/or categories to tenants that match any of the listed attributes.

    A tenant matches when its jurisdiction, organisation or verification level is listed.
    """

    name: str
    jurisdictions: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    verification: frozenset[str] = frozenset()
    deny_models: frozenset[str] = frozenset()
    deny_categories: frozenset[str] = frozenset()

    def matches(self, who: TenantAttributes) -> str | None:
        """The attribute that makes the rule apply, in words; None when it does not apply."""
        if who.jurisdiction and who.jurisdiction.upper() in self.jurisdictions:
            return f"jurisdiction {who.jurisdiction.upper()}"
        if who.organisation and who.organisation in self.organisations:
            return f"organisation {who.organisation}"
        if who.verification and who.verification in self.verification:
            return f"verification level {who.verification}"
        return None


Oversize = Literal["reject", "block"]


@dataclass(frozen=True, slots=True)
class TenantLimits:
    """Rate limits and quotas (`sekimori.limits`): for the tenant's whole traffic, for each of its
    keys, and for single keys by id (over `per_key`). Empty quotas limit nothing."""

    tenant: Quota = field(default_factory=Quota)
    per_key: Quota = field(default_factory=Quota)
    keys: Mapping[str, Quota] = field(default_factory=dict)
    # The shared limit store (Redis) is down: `local` counts in this process instead (each
    # replica alone, so up to replicas x the limit), `closed` refuses with 503.
    when_unavailable: Literal["local", "closed"] = "local"

    def for_key(self, key_id: str) -> Quota:
        own = self.keys.get(key_id)
        return self.per_key if own is None else own.over(self.per_key)

    @property
    def empty(self) -> bool:
        return self.tenant.empty and self.per_key.empty and all(q.empty for q in self.keys.values())


@dataclass(frozen=True, slots=True)
class WatchRules:
    """What the gateway does when a watch detector flags one of the tenant's keys
    (`docs/watch.md`): per detector, an action; a throttled key gets `throttle` (over its own
    limits, the tighter counts); throttles, suspensions and holds last `for_s` seconds."""

    actions: Mapping[str, WatchAction] = field(default_factory=dict)  # absent: as proposed
    throttle: Quota = field(default_factory=lambda: Quota(rpm=10))
    for_s: float = 3_600.0
    webhook: str | None = None  # each alert is POSTed here as JSON

    def action(self, detector: str, proposed: WatchAction) -> WatchAction:
        return self.actions.get(detector, proposed)


@dataclass(frozen=True, slots=True)
class TenantPolicy:
    """Everything the engine needs for one tenant, tiers already applied."""

    name: str
    tier: str
    categories: Mapping[str, CategoryRule]
    pii: Mapping[str, Action]  # PII type (sekimori.classify.pii.PiiType value) -> action
    custom: Mapping[str, ExampleSet] = field(default_factory=dict)
    allow_intents: Mapping[str, ExampleSet] = field(default_factory=dict)
    exceptions: Mapping[str, CatastrophicException] = field(default_factory=dict)
    attributes: TenantAttributes = TenantAttributes()
    access_rules: tuple[AccessRule, ...] = ()
    on_error: Action = Action.BLOCK
    # A prompt that blocks only on hazard scores the classifier is unsure of (at or above the
    # tier's hold point, below its sure point) is HELD, not refused at the input: it goes
    # upstream and nothing of the answer is released until the answer screen has judged it
    # whole (`uncertain_input: defer`, the default; `block` refuses it at the input).
    defer_uncertain: bool = True
    # A jailbreak wrapper (attack.jailbreak at or above its threshold) with any hazard category
    # at or above its threshold: this action at least, held when every such hazard is unsure
    # (`wrapped_hazard`).
    wrapped_hazard: Action = Action.BLOCK
    # An answer to a prompt the input screen held or flagged for a hazard: the answer judge's
    # unsure harmful verdict takes the category's `when_sure` action, as if sure (two unsure
    # readings, the prompt's and the answer's, agree; `corroborate_answers`, on by default).
    corroborate_answers: bool = True
    guards: tuple[GuardRule, ...] = ()  # guard models to ask, in order (`policy.guarding`)
    # A request with more text than the gateway screens (`screen.options.max_chars`): `reject`
    # answers 413 (an error the client can act on), `block` a refusal; never forwarded unscreened.
    oversize: Oversize = "reject"
    limits: TenantLimits = TenantLimits()
    watch: WatchRules = WatchRules()

    @property
    def redact_types(self) -> frozenset[str]:
        """The PII types to replace by placeholders before text leaves the gateway."""
        return frozenset(t for t, a in self.pii.items() if a is Action.REDACT)


@dataclass(frozen=True, slots=True)
class TenantOverride:
    """A tenant's row in the store (`sekimori tenants`) as the policy applies it: over the policy
    file, its tier replaced (None: the file's) and its limits figure by figure."""

    name: str
    tier: str | None = None
    limits: Quota = field(default_factory=Quota)  # the tenant's whole traffic
    key_limits: Quota = field(default_factory=Quota)  # each of its keys

    @property
    def empty(self) -> bool:
        return self.tier is None and self.limits.empty and self.key_limits.empty


@dataclass(frozen=True, slots=True)
class PolicySet:
    """All tenants of one policy file (and of the store's tenant rows over it); unknown tenants
    get `default_tenant`."""

    tenants: Mapping[str, TenantPolicy]
    default_tenant: TenantPolicy
    source: str = "<built-in default>"
    guards: Mapping[str, GuardSettings] = field(default_factory=dict)  # name -> endpoint
    tiers: Mapping[str, TenantPolicy] = field(default_factory=dict)  # built-in and defined
    # What could not be applied from the store's rows (a tier the file does not define), to log.
    notes: tuple[str, ...] = ()

    def for_tenant(self, name: str) -> TenantPolicy:
        return self.tenants.get(name, self.default_tenant)
