"""Policy: per-tenant rules and the pure engine `decide(verdicts, tenant_policy) -> Decision`.

load_policy(path) -> PolicySet      YAML, validated, errors name file:line and key path
default_policy() -> PolicySet       what applies with no configuration at all
decide(verdicts, tenant, model=...) the engine (pure)
rule_on(..., sure_at=...) -> Ruling   the same, with unsure blocks held for the answer
ExampleIndex(tenant, encoder)       custom categories / benign intents by example
"""

from sekimori.policy.defaults import BUILTIN_TIERS, default_policy
from sekimori.policy.engine import Ruling, decide, merge_scores, rule_on
from sekimori.policy.examples import ExampleIndex, example_scores
from sekimori.policy.load import configured_policy, load_policy, parse_policy
from sekimori.policy.model import (
    AccessRule,
    CatastrophicException,
    CategoryRule,
    ExampleSet,
    PolicySet,
    TenantAttributes,
    TenantLimits,
    TenantOverride,
    TenantPolicy,
)

__all__ = [
    "BUILTIN_TIERS",
    "AccessRule",
    "CatastrophicException",
    "CategoryRule",
    "ExampleIndex",
    "ExampleSet",
    "PolicySet",
    "Ruling",
    "TenantAttributes",
    "TenantLimits",
    "TenantOverride",
    "TenantPolicy",
    "configured_policy",
    "decide",
    "default_policy",
    "example_scores",
    "load_policy",
    "merge_scores",
    "parse_policy",
    "rule_on",
]
