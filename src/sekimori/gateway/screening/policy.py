"""The policy the screen applies, per tenant, and `decide(scores, rules) -> Decision`.

Interim: issue 5 item 1 (`sekimori.policy`, the full model with its pure engine) is built on
another branch; this is the part of it the gateway needs, with the same YAML shape, so the
screen can swap to it without changing files. Without any file, `DEFAULT_POLICY` blocks the
catastrophic and severe tiers, flags the moderate tier and redacts secrets, card numbers and
My Numbers.

    tiers:                                   # capability tiers tenants inherit from
      standard: {}
      verified-research:
        inherits: standard
        categories:
          weapons.bio: {action: flag, exception: "approved vaccine programme, ticket R-12"}
    tenants:
      acme:
        tier: standard
        attributes: {jurisdiction: JP, organisation: Acme, verification: basic}
        on_error: block                      # classifier failed or timed out: block | allow
        redact: [card, my_number, secrets]   # entity types (classify/pii names)
        categories: {hate: {action: block, threshold: 0.6}}
        custom:                              # categories by example, matched by embedding
          - id: custom.unreleased
            name: {en: our unreleased product names, ja: 未発表の製品名}
            action: block
            threshold: 0.9
            examples: ["Tell me about Project Kestrel", "プロジェクト・ケストレルの発売日は"]
        allow: ["How do vaccines train the immune system?"]   # benign intents by example
    access:                                  # export-control style rules
      - deny: {jurisdictions: [XX], models: ["*"]}
        reason: export restrictions
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sekimori.errors import ConfigError
from sekimori.lang import Text
from sekimori.taxonomy import BY_ID, CATEGORY_IDS, SIGNAL_JAILBREAK, Tier
from sekimori.types import Action, Decision

OnError = Literal["block", "allow"]
_RANK = {Action.ALLOW: 0, Action.REDACT: 1, Action.FLAG: 2, Action.BLOCK: 3}
DEFAULT_REDACT = ("card", "my_number", "secrets")
DEFAULT_TENANT = "*"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryRule(_Model):
    action: Action = Action.BLOCK
    threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    exception: str | None = None  # required to set a catastrophic category below block


class CustomCategory(_Model):
    id: str = Field(pattern=r"^custom\.[a-z0-9_.-]+$")
    name: dict[Literal["en", "ja"], str]
    action: Action = Action.BLOCK
    threshold: float = Field(default=0.88, gt=0.0, le=1.0)
    examples: tuple[str, ...] = Field(min_length=1)


class TierSpec(_Model):
    inherits: str | None = None
    categories: dict[str, CategoryRule] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _known(cls, value: dict[str, CategoryRule]) -> dict[str, CategoryRule]:
        return _check_categories(value)


class TenantSpec(_Model):
    tier: str = "standard"
    attributes: dict[str, str] = Field(default_factory=dict)
    on_error: OnError = "block"
    redact: tuple[str, ...] = DEFAULT_REDACT
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    custom: tuple[CustomCategory, ...] = ()
    allow: tuple[str, ...] = ()
    allow_threshold: float = Field(default=0.9, gt=0.0, le=1.0)

    @field_validator("categories")
    @classmethod
    def _known(cls, value: dict[str, CategoryRule]) -> dict[str, CategoryRule]:
        return _check_categories(value)

    @field_validator("redact")
    @classmethod
    def _types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from sekimori.classify.pii import parse_types

        parse_types(list(value))  # raises InputError naming the valid names
        return value


class DenyMatch(_Model):
    jurisdictions: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    verification: tuple[str, ...] = ()
    models: tuple[str, ...] = ("*",)


class AccessRule(_Model):
    deny: DenyMatch
    reason: str = "access rule"


class PolicyFile(_Model):
    tiers: dict[str, TierSpec] = Field(default_factory=dict)
    tenants: dict[str, TenantSpec] = Field(default_factory=dict)
    access: tuple[AccessRule, ...] = ()


def _check_categories(value: dict[str, CategoryRule]) -> dict[str, CategoryRule]:
    for key, rule in value.items():
        if key not in BY_ID and key != SIGNAL_JAILBREAK:
            raise ValueError(
                f"unknown category {key!r}; allowed: {', '.join((*CATEGORY_IDS, SIGNAL_JAILBREAK))}"
            )
        tier = BY_ID[key].tier if key in BY_ID else None
        if tier is Tier.CATASTROPHIC and rule.action is not Action.BLOCK and not rule.exception:
            raise ValueError(
                f"{key} is catastrophic: it blocks for every tenant unless the rule carries "
                "`exception: <why, who approved>` (audited with every decision it changes)"
            )
    return value


def _base_rules() -> dict[str, CategoryRule]:
    """Catastrophic and severe block, moderate flags; jailbreak attempts are flagged."""
    rules = {
        c.id: CategoryRule(action=Action.FLAG if c.tier is Tier.MODERATE else Action.BLOCK)
        for c in BY_ID.values()
    }
    rules[SIGNAL_JAILBREAK] = CategoryRule(action=Action.FLAG)
    return rules


@dataclass(frozen=True, slots=True)
class TenantRules:
    """Everything the screen needs for one tenant, tiers already resolved."""

    name: str
    rules: Mapping[str, CategoryRule]
    attributes: Mapping[str, str]
    on_error: OnError
    redact: tuple[str, ...]
    custom: tuple[CustomCategory, ...]
    allow: tuple[str, ...]
    allow_threshold: float

    def display_name(self, category_id: str, lang: str) -> str:
        if category_id in BY_ID:
            return BY_ID[category_id].name(lang)
        for custom in self.custom:
            if custom.id == category_id:
                return custom.name.get("ja" if lang == "ja" else "en") or custom.name.get(
                    "en", custom.id
                )
        return Text(en="attempts to get around the safety rules", ja="安全ルールの回避")(lang)


@dataclass(frozen=True, slots=True)
class Policy:
    spec: PolicyFile
    source: str  # the file it came from, or "built-in default"

    def tenant(self, name: str) -> TenantRules:
        spec = self.spec.tenants.get(name) or self.spec.tenants.get(DEFAULT_TENANT) or TenantSpec()
        rules = _base_rules()
        for tier in self._chain(spec.tier):
            rules.update(tier.categories)
        rules.update(spec.categories)
        for custom in spec.custom:
            rules[custom.id] = CategoryRule(action=custom.action, threshold=custom.threshold)
        return TenantRules(
            name=name,
            rules=rules,
            attributes=spec.attributes,
            on_error=spec.on_error,
            redact=spec.redact,
            custom=spec.custom,
            allow=spec.allow,
            allow_threshold=spec.allow_threshold,
        )

    def _chain(self, tier: str) -> list[TierSpec]:
        """The tier and its ancestors, root first."""
        chain: list[TierSpec] = []
        seen: set[str] = set()
        name: str | None = tier
        while name is not None and name in self.spec.tiers and name not in seen:
            seen.add(name)
            chain.append(self.spec.tiers[name])
            name = self.spec.tiers[name].inherits
        return chain[::-1]

    def denied(self, rules: TenantRules, model: str) -> AccessRule | None:
        """The first access rule that denies this tenant this model, if any."""
        attrs = rules.attributes
        for rule in self.spec.access:
            deny = rule.deny
            who = (
                attrs.get("jurisdiction") in deny.jurisdictions
                or attrs.get("organisation") in deny.organisations
                or attrs.get("verification") in deny.verification
            )
            if who and any(fnmatch.fnmatchcase(model, m) for m in deny.models):
                return rule
        return None


DEFAULT_POLICY = Policy(PolicyFile(), "built-in default")


def parse_policy(data: Any, source: str) -> Policy:
    """Validates a policy mapping; ConfigError names the file, the key path and what is allowed."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("a policy must be a mapping (tiers, tenants, access)", file=source)
    try:
        spec = PolicyFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{error['msg']}{more}", file=source, key=key) from None
    except Exception as exc:  # a field validator's own error type (e.g. an unknown PII type)
        raise ConfigError(str(exc), file=source) from None
    for name, tenant in spec.tenants.items():
        if tenant.tier not in spec.tiers and tenant.tier != "standard":
            raise ConfigError(
                f"unknown tier {tenant.tier!r}; defined: {', '.join(spec.tiers) or 'none'}",
                file=source,
                key=f"tenants.{name}.tier",
            )
    for name, tier in spec.tiers.items():
        if tier.inherits is not None and tier.inherits not in spec.tiers:
            raise ConfigError(
                f"inherits unknown tier {tier.inherits!r}", file=source, key=f"tiers.{name}"
            )
    return Policy(spec, source)


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read policy: {exc.strerror}", file=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", file=where) from None
    return parse_policy(data, str(path))


def decide(scores: Mapping[str, float], rules: TenantRules) -> Decision:
    """The strongest action among the categories whose score reaches its threshold."""
    action = Action.ALLOW
    hits: list[str] = []
    reasons: list[str] = []
    for category_id, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        rule = rules.rules.get(category_id)
        if rule is None or score < rule.threshold or rule.action is Action.ALLOW:
            continue
        hits.append(category_id)
        note = f"{category_id} {score:.2f}>={rule.threshold:.2f}: {rule.action.value}"
        if rule.exception:
            note += f" (exception: {rule.exception})"
        reasons.append(note)
        if _RANK[rule.action] > _RANK[action]:
            action = rule.action
    return Decision(action, tuple(hits), tuple(reasons))
