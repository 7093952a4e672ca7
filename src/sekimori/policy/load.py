"""Loading a policy file: YAML -> validated `PolicySet`, or a ConfigError that says where.

Every error names the file, the line, the key path (`tenants.acme.categories["weapons.bio"]`)
and what is allowed there. Nothing is half-loaded: a bad file raises and the caller keeps the
policy it had.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sekimori.classify.pii.types import SECRET_TYPES, PiiType
from sekimori.errors import ConfigError
from sekimori.limits.quota import Quota
from sekimori.policy.defaults import BUILTIN_TIERS, default_policy
from sekimori.policy.model import (
    CUSTOM_PREFIX,
    AccessRule,
    CatastrophicException,
    CategoryRule,
    ExampleSet,
    GuardRule,
    GuardWhen,
    OnFailure,
    Oversize,
    PolicySet,
    TenantAttributes,
    TenantLimits,
    TenantOverride,
    TenantPolicy,
    WatchRules,
)
from sekimori.settings import GuardSettings
from sekimori.taxonomy import BY_ID, SIGNAL_JAILBREAK, Tier
from sekimori.types import Action, WatchAction

Score = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")]
Count = Annotated[int, Field(ge=0)]
KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]  # as `sekimori keys list` shows it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleIn(_Strict):
    action: Action
    threshold: Score = 0.5
    when_sure: Action | None = None
    input_sure_at: Score | None = None  # the category's own input sure point (policy scale)


class ExceptionIn(_Strict):
    category: str
    action: Action
    reason: Annotated[str, Field(min_length=10)]
    approved_by: Annotated[str, Field(min_length=1)]
    expires: date | None = None


class CustomIn(_Strict):
    examples: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    threshold: Score = 0.8
    action: Action = Action.BLOCK


class IntentIn(_Strict):
    examples: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    threshold: Score = 0.85
    covers: list[str] = []


class AttributesIn(_Strict):
    jurisdiction: str | None = None
    organisation: str | None = None
    verification: str | None = None


class AccessRuleIn(_Strict):
    name: Name
    jurisdictions: list[str] = []
    organisations: list[str] = []
    verification: list[str] = []
    deny_models: list[str] = []
    deny_categories: list[str] = []


class GuardRuleIn(_Strict):
    guard: Name
    when: GuardWhen
    above: Score = 0.3
    budget_ms: Annotated[int, Field(gt=0, le=60_000)] = 800
    on_failure: OnFailure = OnFailure.PER_TIER
    clears_hold: bool = False


class QuotaIn(_Strict):
    rpm: Count | None = None
    tpm: Count | None = None
    concurrent: Count | None = None
    tokens_per_day: Count | None = None
    tokens_per_month: Count | None = None

    def quota(self) -> Quota:
        return Quota(
            self.rpm, self.tpm, self.concurrent, self.tokens_per_day, self.tokens_per_month
        )


class TierLimitsIn(QuotaIn):
    per_key: QuotaIn = QuotaIn()
    when_unavailable: Literal["local", "closed"] | None = None


class LimitsIn(TierLimitsIn):
    keys: dict[KeyId, QuotaIn] = {}


def _limits(spec: TierLimitsIn | None, base: TenantLimits) -> TenantLimits:
    """`spec` over the inherited limits, figure by figure."""
    if spec is None:
        return base
    keys = {k: q.quota() for k, q in spec.keys.items()} if isinstance(spec, LimitsIn) else {}
    return TenantLimits(
        spec.quota().over(base.tenant),
        spec.per_key.quota().over(base.per_key),
        keys,
        spec.when_unavailable or base.when_unavailable,
    )


class WatchIn(_Strict):
    actions: dict[Name, WatchAction] = {}
    throttle: QuotaIn | None = None
    for_s: Annotated[float, Field(gt=0, le=366 * 86_400)] | None = None
    webhook: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None


def _watch(spec: WatchIn | None, base: WatchRules) -> WatchRules:
    """`spec` over the inherited rules: actions detector by detector, the rest as set."""
    if spec is None:
        return base
    return WatchRules(
        {**base.actions, **spec.actions},
        base.throttle if spec.throttle is None else spec.throttle.quota(),
        base.for_s if spec.for_s is None else spec.for_s,
        spec.webhook or base.webhook,
    )


class TierIn(_Strict):
    inherits: str = "standard"
    guards: list[GuardRuleIn] | None = None
    categories: dict[str, RuleIn | Action] = {}
    pii: dict[str, Action] = {}
    on_error: Literal[Action.BLOCK, Action.ALLOW] | None = None
    uncertain_input: Literal["defer", "block"] | None = None
    wrapped_hazard: Action | None = None
    corroborate_answers: bool | None = None
    oversize: Oversize | None = None
    limits: TierLimitsIn | None = None
    watch: WatchIn | None = None


class TenantIn(_Strict):
    tier: str = "standard"
    guards: list[GuardRuleIn] | None = None
    attributes: AttributesIn = AttributesIn()
    categories: dict[str, RuleIn | Action] = {}
    pii: dict[str, Action] = {}
    custom_categories: dict[Name, CustomIn] = {}
    allow_intents: dict[Name, IntentIn] = {}
    exceptions: list[ExceptionIn] = []
    on_error: Literal[Action.BLOCK, Action.ALLOW] | None = None
    uncertain_input: Literal["defer", "block"] | None = None
    wrapped_hazard: Action | None = None
    corroborate_answers: bool | None = None
    oversize: Oversize | None = None
    limits: LimitsIn | None = None
    watch: WatchIn | None = None


class PolicyIn(_Strict):
    version: Literal[1] = 1
    guards: dict[Name, GuardSettings] = {}
    tiers: dict[Name, TierIn] = {}
    custom_categories: dict[Name, CustomIn] = {}
    allow_intents: dict[Name, IntentIn] = {}
    access_rules: list[AccessRuleIn] = []
    default_tenant: TenantIn = TenantIn()
    tenants: dict[Name, TenantIn] = {}


def _defer(setting: str | None, inherited: bool) -> bool:
    return inherited if setting is None else setting == "defer"


def _or(setting: bool | None, inherited: bool) -> bool:
    return inherited if setting is None else setting


_PII_NAMES = ["secrets", "all", *(t.value for t in PiiType)]


def load_policy(path: str | Path, tenants: Sequence[TenantOverride] = ()) -> PolicySet:
    """Reads and validates a policy file; raises ConfigError naming file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the policy file: {exc.strerror}", file=str(path)) from None
    return parse_policy(text, source=str(path), tenants=tenants)


def configured_policy(
    policy_file: Path | None,
    inline: Mapping[str, Any] | None,
    tenants: Sequence[TenantOverride] = (),
) -> PolicySet:
    """The policy the settings name: `policy_file`, else the inline `policy:` mapping, else the
    built-in default; the store's tenant rows (`tenants`) over it."""
    if policy_file is not None:
        return load_policy(policy_file, tenants)
    if inline is not None:
        text = yaml.safe_dump(dict(inline))
        return parse_policy(text, source="settings: policy", tenants=tenants)
    if any(not t.empty for t in tenants):
        return parse_policy("", source=default_policy().source, tenants=tenants)
    return default_policy()


def parse_policy(
    text: str, *, source: str = "<policy>", tenants: Sequence[TenantOverride] = ()
) -> PolicySet:
    """`text` validated and resolved; `tenants` (the store's rows) over it: a row's tier and
    limits replace the file's for that tenant. A row naming a tier the file does not define
    keeps the file's tier, said in `PolicySet.notes` (a row never makes the file fail)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", file=where) from None
    lines: dict[tuple[object, ...], int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            "the policy must be a mapping with keys such as tenants:, tiers:", file=source
        )
    try:
        parsed = PolicyIn.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        err = errors[0]
        # "[key]" marks an error in a mapping's key (a bad key id): the key itself is the place.
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p) and p != "[key]")
        # A union (rule mapping or bare action) reports once per member: count places, not members.
        places = {_before_union(e["loc"]) for e in errors}
        more = f" (and {len(places) - 1} more)" if len(places) > 1 else ""
        raise ConfigError(
            f"{_explain(err)}{more}", file=_where(source, lines, loc), key=_key(loc)
        ) from None
    return _Resolver(parsed, source, lines).resolve(tenants)


def _is_union_tag(part: object) -> bool:
    # pydantic adds the union member's name (e.g. "RuleIn", "str-enum[Action]") to locations.
    # Only these: tenant and tier names are user text and may look like anything else.
    return isinstance(part, str) and (
        part == "RuleIn" or part.startswith(("str-enum[", "enum[", "literal[", "nullable["))
    )


def _before_union(loc: Sequence[object]) -> tuple[object, ...]:
    for i, part in enumerate(loc):
        if _is_union_tag(part):
            return tuple(loc[:i])
    return tuple(loc)


def _explain(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see examples/policy.yaml for the allowed keys)"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    if kind in ("enum", "literal_error") or "Input should be" in msg:
        return msg.replace("Input should be", "must be")
    return msg


def _index_lines(
    node: yaml.Node, path: tuple[object, ...], out: dict[tuple[object, ...], int]
) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, key.value)
            out[sub] = key.start_mark.line + 1
            _index_lines(value, sub, out)
            out[sub] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), out)


def _where(source: str, lines: Mapping[tuple[object, ...], int], loc: Sequence[object]) -> str:
    for n in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:n]))
        if line is not None:
            return f"{source}:{line}"
    return source


def _key(loc: Sequence[object]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in str(part):
            out += f'["{part}"]'
        else:
            out += f".{part}" if out else str(part)
    return out


class _Resolver:
    """Semantic checks (ids exist, tiers resolve) and construction of the TenantPolicy objects."""

    def __init__(self, parsed: PolicyIn, source: str, lines: Mapping[tuple[object, ...], int]):
        self.p = parsed
        self.source = source
        self.lines = lines
        self.tiers: dict[str, TenantPolicy] = dict(BUILTIN_TIERS)

    def fail(self, loc: Sequence[object], message: str) -> ConfigError:
        return ConfigError(message, file=_where(self.source, self.lines, loc), key=_key(loc))

    def resolve(self, overrides: Sequence[TenantOverride] = ()) -> PolicySet:
        self._check_guards()
        for name in self.p.tiers:
            if name in BUILTIN_TIERS:
                raise self.fail(
                    ("tiers", name),
                    "a built-in tier cannot be redefined; define a new tier with "
                    f"`inherits: {name}`",
                )
        for name in self.p.tiers:
            self._tier(name, ())
        rules = tuple(self._access_rule(i, r) for i, r in enumerate(self.p.access_rules))
        shared_custom = self._examples(("custom_categories",), self.p.custom_categories)
        shared_intents = self._examples(("allow_intents",), self.p.allow_intents)
        tenants = {
            name: self._tenant(("tenants", name), name, t, rules, shared_custom, shared_intents)
            for name, t in self.p.tenants.items()
        }
        default = self._tenant(
            ("default_tenant",),
            "default",
            self.p.default_tenant,
            rules,
            shared_custom,
            shared_intents,
        )
        notes: list[str] = []
        for row in overrides:
            if row.empty:
                continue  # the file's policy as it is (a display name, a status)
            # A tenant the file does not name starts from its default_tenant, as it would.
            named = row.name in self.p.tenants
            loc: tuple[object, ...] = ("tenants", row.name) if named else ("default_tenant",)
            spec = self.p.tenants[row.name] if named else self.p.default_tenant
            if row.tier is not None and row.tier not in self.tiers:
                notes.append(
                    f"tenant {row.name}: the store names tier {row.tier!r}, which {self.source} "
                    f"does not define (known: {', '.join(sorted(self.tiers))}); the file's tier "
                    f"{spec.tier!r} applies / 未定義のティアのため無視しました"
                )
            elif row.tier is not None:
                spec = spec.model_copy(update={"tier": row.tier})
            tenant = self._tenant(loc, row.name, spec, rules, shared_custom, shared_intents)
            limits = tenant.limits
            tenants[row.name] = replace(
                tenant,
                limits=replace(
                    limits,
                    tenant=row.limits.over(limits.tenant),
                    per_key=row.key_limits.over(limits.per_key),
                ),
            )
        return PolicySet(
            tenants, default, self.source, dict(self.p.guards), dict(self.tiers), tuple(notes)
        )

    def _check_guards(self) -> None:
        """Every guard's kind is registered and its adapter takes its options."""
        from sekimori.guards import GUARDS

        for name, guard in self.p.guards.items():
            if guard.kind not in GUARDS:
                raise self.fail(
                    ("guards", name, "kind"),
                    f"unknown guard kind {guard.kind!r}; known: {', '.join(GUARDS.names())}",
                )
            try:  # the adapter checks its own options (risks, policies); no request is sent
                GUARDS.get(guard.kind)(guard)
            except ConfigError as exc:
                key = (exc.key or "").rpartition(".")[2]
                raise self.fail(("guards", name, key), str(exc).partition(": ")[2]) from None

    def _guards(
        self,
        loc: tuple[object, ...],
        rules: list[GuardRuleIn] | None,
        inherited: tuple[GuardRule, ...],
    ) -> tuple[GuardRule, ...]:
        if rules is None:
            return inherited
        out = []
        for i, r in enumerate(rules):
            if r.guard not in self.p.guards:
                known = ", ".join(self.p.guards) or "none (define them under the top-level guards:)"
                raise self.fail((*loc, i, "guard"), f"unknown guard {r.guard!r}; known: {known}")
            out.append(
                GuardRule(r.guard, r.when, r.above, r.budget_ms, r.on_failure, r.clears_hold)
            )
        return tuple(out)

    def _tier(self, name: str, chain: tuple[str, ...]) -> TenantPolicy:
        if name in self.tiers:
            return self.tiers[name]
        spec = self.p.tiers.get(name)
        loc = ("tiers", name)
        if spec is None:
            known = ", ".join(sorted({*BUILTIN_TIERS, *self.p.tiers}))
            raise self.fail(
                (*loc[:1], chain[-1], "inherits") if chain else loc,
                f"unknown tier {name!r}; known tiers: {known}",
            )
        if name in chain:
            raise self.fail(
                (*loc, "inherits"), f"tiers inherit in a cycle: {' -> '.join((*chain, name))}"
            )
        parent = self._tier(spec.inherits, (*chain, name))
        tier = TenantPolicy(
            name,
            name,
            self._categories((*loc, "categories"), parent.categories, spec.categories, frozenset()),
            self._pii((*loc, "pii"), parent.pii, spec.pii),
            on_error=spec.on_error or parent.on_error,
            defer_uncertain=_defer(spec.uncertain_input, parent.defer_uncertain),
            wrapped_hazard=spec.wrapped_hazard or parent.wrapped_hazard,
            corroborate_answers=_or(spec.corroborate_answers, parent.corroborate_answers),
            guards=self._guards((*loc, "guards"), spec.guards, parent.guards),
            oversize=spec.oversize or parent.oversize,
            limits=_limits(spec.limits, parent.limits),
            watch=_watch(spec.watch, parent.watch),
        )
        self.tiers[name] = tier
        return tier

    def _categories(
        self,
        loc: tuple[object, ...],
        base: Mapping[str, CategoryRule],
        overrides: Mapping[str, RuleIn | Action],
        custom: frozenset[str],
    ) -> dict[str, CategoryRule]:
        out = dict(base)
        for cat, value in overrides.items():
            self._check_category((*loc, cat), cat, custom, allow_custom=False)
            if isinstance(value, RuleIn):
                info = BY_ID.get(cat)
                if value.input_sure_at is not None and (
                    info is None or info.tier is Tier.CATASTROPHIC
                ):
                    raise self.fail(
                        (*loc, cat, "input_sure_at"),
                        f"input_sure_at is for hazard categories outside the catastrophic tier, "
                        f"not {cat!r} (a catastrophic score the classifier is sure of always "
                        f"blocks) / input_sure_at は壊滅的段階以外の危険カテゴリにのみ設定できます",
                    )
                out[cat] = CategoryRule(
                    value.action, value.threshold, value.when_sure, value.input_sure_at
                )
            else:  # a bare action is that action whatever the certainty (as before tiers)
                out[cat] = CategoryRule(value, out[cat].threshold if cat in out else 0.5)
        return out

    def _check_category(
        self, loc: tuple[object, ...], cat: str, custom: frozenset[str], *, allow_custom: bool
    ) -> None:
        if cat in BY_ID or cat == SIGNAL_JAILBREAK:
            return
        if allow_custom and cat.startswith(CUSTOM_PREFIX) and cat[len(CUSTOM_PREFIX) :] in custom:
            return
        allowed = ", ".join([*BY_ID, SIGNAL_JAILBREAK])
        extra = " or custom.<name> of a defined custom category" if allow_custom else ""
        raise self.fail(loc, f"unknown category {cat!r}; allowed: {allowed}{extra}")

    def _pii(
        self, loc: tuple[object, ...], base: Mapping[str, Action], overrides: Mapping[str, Action]
    ) -> dict[str, Action]:
        out = dict(base)
        for name, action in overrides.items():
            if name == "secrets":
                out |= {t.value: action for t in SECRET_TYPES}
            elif name == "all":
                out |= {t.value: action for t in PiiType}
            elif name in _PII_NAMES:
                out[name] = action
            else:
                raise self.fail(
                    (*loc, name), f"unknown PII type {name!r}; allowed: {', '.join(_PII_NAMES)}"
                )
        return out

    def _examples(
        self,
        loc: tuple[object, ...],
        specs: Mapping[str, CustomIn] | Mapping[str, IntentIn],
    ) -> dict[str, ExampleSet]:
        out: dict[str, ExampleSet] = {}
        for name, spec in specs.items():
            if isinstance(spec, CustomIn):
                out[name] = ExampleSet(
                    name, tuple(spec.examples), spec.threshold, action=spec.action
                )
            else:
                for i, cat in enumerate(spec.covers):
                    self._check_category(
                        (*loc, name, "covers", i), cat, frozenset(), allow_custom=False
                    )
                    if BY_ID.get(cat) is not None and BY_ID[cat].tier is Tier.CATASTROPHIC:
                        raise self.fail(
                            (*loc, name, "covers", i),
                            f"an allow-list cannot clear the catastrophic category {cat!r}; "
                            "use an audited exception on the tenant instead",
                        )
                out[name] = ExampleSet(
                    name, tuple(spec.examples), spec.threshold, covers=tuple(spec.covers)
                )
        return out

    def _access_rule(self, i: int, r: AccessRuleIn) -> AccessRule:
        for j, cat in enumerate(r.deny_categories):
            if not cat.startswith(CUSTOM_PREFIX):
                self._check_category(
                    ("access_rules", i, "deny_categories", j), cat, frozenset(), allow_custom=False
                )
        if not (r.jurisdictions or r.organisations or r.verification):
            raise self.fail(
                ("access_rules", i),
                "an access rule needs jurisdictions, organisations or verification to match",
            )
        if not (r.deny_models or r.deny_categories):
            raise self.fail(
                ("access_rules", i), "an access rule needs deny_models or deny_categories"
            )
        return AccessRule(
            r.name,
            frozenset(j.upper() for j in r.jurisdictions),
            frozenset(r.organisations),
            frozenset(r.verification),
            frozenset(r.deny_models),
            frozenset(r.deny_categories),
        )

    def _tenant(
        self,
        loc: tuple[object, ...],
        name: str,
        t: TenantIn,
        rules: tuple[AccessRule, ...],
        shared_custom: Mapping[str, ExampleSet],
        shared_intents: Mapping[str, ExampleSet],
    ) -> TenantPolicy:
        if t.tier not in self.tiers:
            known = ", ".join(sorted(self.tiers))
            raise self.fail((*loc, "tier"), f"unknown tier {t.tier!r}; known tiers: {known}")
        tier = self.tiers[t.tier]
        custom = dict(shared_custom) | self._examples(
            (*loc, "custom_categories"), t.custom_categories
        )
        intents = dict(shared_intents) | self._examples((*loc, "allow_intents"), t.allow_intents)
        exceptions: dict[str, CatastrophicException] = {}
        for i, e in enumerate(t.exceptions):
            info = BY_ID.get(e.category)
            if info is None or info.tier is not Tier.CATASTROPHIC:
                cats = ", ".join(c for c in BY_ID if BY_ID[c].tier is Tier.CATASTROPHIC)
                raise self.fail(
                    (*loc, "exceptions", i, "category"),
                    f"exceptions are for catastrophic categories ({cats}); set other categories "
                    "under categories:",
                )
            exceptions[e.category] = CatastrophicException(
                e.category, e.action, e.reason, e.approved_by, e.expires
            )
        a = t.attributes
        return TenantPolicy(
            name,
            t.tier,
            self._categories(
                (*loc, "categories"), tier.categories, t.categories, frozenset(custom)
            ),
            self._pii((*loc, "pii"), tier.pii, t.pii),
            custom,
            intents,
            exceptions,
            TenantAttributes(a.jurisdiction, a.organisation, a.verification),
            rules,
            t.on_error or tier.on_error,
            _defer(t.uncertain_input, tier.defer_uncertain),
            t.wrapped_hazard or tier.wrapped_hazard,
            _or(t.corroborate_answers, tier.corroborate_answers),
            self._guards((*loc, "guards"), t.guards, tier.guards),
            t.oversize or tier.oversize,
            limits=_limits(t.limits, tier.limits),
            watch=_watch(t.watch, tier.watch),
        )
