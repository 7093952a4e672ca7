"""The policy engine: verdicts + one tenant's policy -> a Decision with readable reasons.

A pure function: no I/O, no clock unless `today` is left out (exceptions can expire).
Order of precedence, strictest first:

1. access rules: a model denied to the tenant's jurisdiction/organisation blocks outright;
   a denied category blocks when its score reaches the threshold;
2. catastrophic categories block unless an explicit, unexpired exception says otherwise
   (the exception is named in the reasons, so it is audited with the decision);
3. a benign intent (allow-list by example) clears the categories it `covers` (the moderate
   tier when it lists none), never a catastrophic one;
4. every other category above its threshold takes the tenant's action; custom categories
   (`custom.<name>`) likewise; detected PII types take the tenant's PII action.

The strictest resulting action wins (allow < flag < redact < block).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sekimori.policy.model import (
    ALLOW_PREFIX,
    CUSTOM_PREFIX,
    SEVERITY,
    CategoryRule,
    ExampleSet,
    TenantPolicy,
)
from sekimori.taxonomy import BY_ID, SIGNAL_PII, Tier, in_tier
from sekimori.types import Action, Decision, Verdict


@dataclass(frozen=True, slots=True)
class _Hit:
    category: str
    action: Action
    score: float


def merge_scores(verdicts: Iterable[Verdict] | Mapping[str, float]) -> dict[str, float]:
    """One score per category: the highest any verdict gave it."""
    if isinstance(verdicts, Mapping):
        return {k: float(v) for k, v in verdicts.items()}
    scores: dict[str, float] = {}
    for verdict in verdicts:
        for cat, score in verdict.categories.items():
            if score > scores.get(cat, -1.0):
                scores[cat] = float(score)
    return scores


def _name(category: str) -> str:
    c = BY_ID.get(category)
    return f"{category} ({c.name_en})" if c else category


def decide(
    verdicts: Iterable[Verdict] | Mapping[str, float],
    policy: TenantPolicy,
    *,
    model: str,
    pii_types: Iterable[str] = (),
    today: date | None = None,
) -> Decision:
    """What to do with a request or answer, and why, for one tenant."""
    scores = merge_scores(verdicts)
    today = today or date.today()
    hits: list[_Hit] = []
    reasons: list[str] = []

    denied: dict[str, str] = {}  # category -> why
    for access in policy.access_rules:
        why = access.matches(policy.attributes)
        if why is None:
            continue
        if model in access.deny_models:
            reasons.append(
                f"model {model!r} is not available to {why} (access rule {access.name!r})"
            )
            hits.append(_Hit(f"access.{access.name}", Action.BLOCK, 1.0))
        for cat in access.deny_categories:
            denied.setdefault(cat, f"denied to {why} by access rule {access.name!r}")

    cleared = _cleared_by_intents(scores, policy.allow_intents, reasons)

    for cat, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        rule = _rule_for(cat, policy)
        if rule is None or score < rule.threshold:
            continue
        info = BY_ID.get(cat)
        shown = f"{_name(cat)} score {score:.2f} >= {rule.threshold:.2f}"
        if info is not None and info.tier is Tier.CATASTROPHIC:
            action = _catastrophic(cat, rule, policy, today, shown, reasons)
        elif cat in denied:
            action = Action.BLOCK
            reasons.append(f"{shown}: {denied[cat]}")
        elif cat in cleared:
            action = Action.ALLOW
            reasons.append(f"{shown}: cleared by benign intent {cleared[cat]!r}")
        else:
            action = rule.action
            reasons.append(f"{shown}: {action.value}")
        hits.append(_Hit(cat, action, score))

    _pii(pii_types, policy, hits, reasons)

    acting = [h for h in hits if h.action is not Action.ALLOW]
    if not acting:
        if not reasons:
            reasons.append("no category reached its threshold")
        return Decision(Action.ALLOW, (), tuple(reasons))
    final = max((h.action for h in acting), key=SEVERITY.__getitem__)
    ordered = sorted(acting, key=lambda h: (-SEVERITY[h.action], -h.score))
    categories = tuple(dict.fromkeys(h.category for h in ordered))
    return Decision(final, categories, tuple(reasons))


def _rule_for(category: str, policy: TenantPolicy) -> CategoryRule | None:
    if category.startswith(CUSTOM_PREFIX):
        custom = policy.custom.get(category[len(CUSTOM_PREFIX) :])
        return CategoryRule(custom.action, custom.threshold) if custom else None
    return policy.categories.get(category)


def _catastrophic(
    category: str,
    rule: CategoryRule,
    policy: TenantPolicy,
    today: date,
    shown: str,
    reasons: list[str],
) -> Action:
    exception = policy.exceptions.get(category)
    if exception is not None and exception.active(today):
        reasons.append(
            f"{shown}: catastrophic category under an audited exception "
            f"({exception.describe()}): {exception.action.value}"
        )
        return exception.action
    if exception is not None:
        reasons.append(
            f"{shown}: block (the exception approved by {exception.approved_by} expired on "
            f"{exception.expires})"
        )
    elif rule.action is not Action.BLOCK:
        reasons.append(
            f"{shown}: block (catastrophic categories block for every tenant; the policy's "
            f"{rule.action.value!r} needs an explicit exception)"
        )
    else:
        reasons.append(f"{shown}: block (catastrophic)")
    return Action.BLOCK


def _cleared_by_intents(
    scores: Mapping[str, float], intents: Mapping[str, ExampleSet], reasons: list[str]
) -> dict[str, str]:
    """Category -> the benign intent that clears it (never a catastrophic category)."""
    cleared: dict[str, str] = {}
    for name, intent in intents.items():
        score = scores.get(ALLOW_PREFIX + name, 0.0)
        if score < intent.threshold:
            continue
        reasons.append(
            f"benign intent {name!r} matched (score {score:.2f} >= {intent.threshold:.2f})"
        )
        # Without an explicit list only the moderate tier: clearing severe categories
        # (cyber.offense, crime.violent ...) must be the operator's stated choice.
        covered = intent.covers or in_tier(Tier.MODERATE)
        for cat in covered:
            info = BY_ID.get(cat)
            if info is None or info.tier is not Tier.CATASTROPHIC:
                cleared.setdefault(cat, name)
    return cleared


def _pii(
    pii_types: Iterable[str], policy: TenantPolicy, hits: list[_Hit], reasons: list[str]
) -> None:
    by_action: dict[Action, list[str]] = {}
    for kind in dict.fromkeys(pii_types):
        action = policy.pii.get(kind)
        if action is None or action is Action.ALLOW:
            continue
        by_action.setdefault(action, []).append(kind)
    for action, kinds in by_action.items():
        reasons.append(f"personal data or secrets found ({', '.join(kinds)}): {action.value}")
        hits.append(_Hit(SIGNAL_PII, action, 1.0))
