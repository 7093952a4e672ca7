"""Built-in capability tiers and the policy that applies with no configuration at all.

With no policy file sekimori blocks the catastrophic and severe tiers (holding for the answer
what the classifier is unsure of), flags the moderate tier and blocks it when the classifier is
sure (copyright: flagged only), flags jailbreak attempts and holds them when they carry any
hazard signal (blocks them when the hazard is sure), and redacts secrets, card numbers and My
Numbers, so `sekimori serve` is safe out of the box.
"""

from __future__ import annotations

from collections.abc import Mapping

from sekimori.classify.pii.types import SECRET_TYPES, PiiType
from sekimori.policy.model import CategoryRule, PolicySet, TenantPolicy
from sekimori.taxonomy import CATEGORIES, SIGNAL_JAILBREAK, Tier
from sekimori.types import Action

DEFAULT_THRESHOLD = 0.5
TIER_ACTIONS: Mapping[Tier, Action] = {
    Tier.CATASTROPHIC: Action.BLOCK,
    Tier.SEVERE: Action.BLOCK,
    Tier.MODERATE: Action.FLAG,
}
# Sure scores of a tier whose action is milder (the moderate tier's flag) block.
TIER_WHEN_SURE: Mapping[Tier, Action | None] = {
    Tier.CATASTROPHIC: None,
    Tier.SEVERE: None,
    Tier.MODERATE: Action.BLOCK,
}

# ip.copyright is flagged, never blocked, by default: its detector (`classify.reproduction`)
# blocked at its sure point 53 more WildGuardTest benign prompts (23.7 -> 29.3%) and 14 more
# ordinary English ones than without it, long creative-writing requests read as requests for a
# work's text, for 25 more HarmBench requests stopped (bench/gateway/EFFECT.md, 7e86181). A tenant
# may still set `when_sure: block` for it.
FLAG_ONLY: frozenset[str] = frozenset({"ip.copyright"})
_BASE_CATEGORIES = {
    c.id: CategoryRule(
        TIER_ACTIONS[c.tier],
        DEFAULT_THRESHOLD,
        None if c.id in FLAG_ONLY else TIER_WHEN_SURE[c.tier],
    )
    for c in CATEGORIES
} | {SIGNAL_JAILBREAK: CategoryRule(Action.FLAG, DEFAULT_THRESHOLD)}
_BASE_PII = {t.value: Action.REDACT for t in SECRET_TYPES} | {
    PiiType.CARD.value: Action.REDACT,
    PiiType.MY_NUMBER.value: Action.REDACT,
}

# Built-in tiers that tenants (and user-defined tiers) inherit from.
BUILTIN_TIERS: Mapping[str, TenantPolicy] = {
    "standard": TenantPolicy("standard", "standard", _BASE_CATEGORIES, _BASE_PII),
    # Confidential work: every kind of personal data leaves only as placeholders.
    "enterprise": TenantPolicy(
        "enterprise",
        "enterprise",
        _BASE_CATEGORIES,
        {t.value: Action.REDACT for t in PiiType},
    ),
    # Vetted security and safety researchers: offensive-security and conventional-weapons
    # questions are flagged for review instead of blocked. Catastrophic categories still block.
    "verified-research": TenantPolicy(
        "verified-research",
        "verified-research",
        _BASE_CATEGORIES
        | {
            "cyber.offense": CategoryRule(Action.FLAG, DEFAULT_THRESHOLD),
            "weapons.conventional": CategoryRule(Action.FLAG, DEFAULT_THRESHOLD),
        },
        _BASE_PII,
    ),
}


def default_policy() -> PolicySet:
    """The policy when nothing is configured: every tenant on the `standard` tier."""
    standard = BUILTIN_TIERS["standard"]
    default = TenantPolicy("default", "standard", standard.categories, standard.pii)
    return PolicySet({}, default, tiers=BUILTIN_TIERS)
