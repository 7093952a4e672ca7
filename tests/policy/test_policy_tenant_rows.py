"""The store's tenant rows over the policy file (`sekimori tenants`): a row's tier replaces the
file's and its limits go over the file's figure by figure; the file's other settings stay."""

from __future__ import annotations

from sekimori.limits import Quota
from sekimori.policy import TenantOverride, configured_policy, default_policy, parse_policy
from sekimori.types import Action

POLICY = """
tiers:
  research:
    inherits: standard
    categories: {crime.nonviolent: allow}
    limits: {rpm: 600, per_key: {rpm: 60}}
default_tenant:
  categories: {hate: block}
tenants:
  acme:
    tier: standard
    pii: {email: redact}
    limits: {tpm: 5000, keys: {3f2a9c0d1e4b: {rpm: 5}}}
"""


def test_a_row_replaces_the_tier_and_keeps_the_files_own_settings() -> None:
    before = parse_policy(POLICY, source="p.yaml")
    assert before.for_tenant("acme").categories["crime.nonviolent"].action is not Action.ALLOW
    rows = [TenantOverride("acme", tier="research", limits=Quota(tpm=100, concurrent=2))]
    acme = parse_policy(POLICY, source="p.yaml", tenants=rows).for_tenant("acme")
    assert acme.tier == "research"
    assert acme.categories["crime.nonviolent"].action is Action.ALLOW  # from the new tier
    assert "email" in acme.redact_types  # the file's own tenant settings stay
    assert "email" not in before.tiers["research"].redact_types
    # Figure by figure: the row's tpm and concurrent, the tier's rpm, the file's key limits.
    assert acme.limits.tenant == Quota(rpm=600, tpm=100, concurrent=2)
    assert acme.limits.for_key("3f2a9c0d1e4b") == Quota(rpm=5)
    assert acme.limits.for_key("000000000000") == Quota(rpm=60)


def test_a_tenant_the_file_does_not_name_starts_from_default_tenant() -> None:
    rows = [
        TenantOverride("walkin", key_limits=Quota(rpm=3)),
        TenantOverride("quiet"),  # a row with nothing to override: the file's policy as it is
    ]
    policy = parse_policy(POLICY, source="p.yaml", tenants=rows)
    walkin = policy.for_tenant("walkin")
    assert walkin.name == "walkin" and walkin.tier == "standard"
    assert walkin.categories["hate"].action is Action.BLOCK  # default_tenant's own setting
    assert walkin.limits.for_key("000000000000") == Quota(rpm=3)
    assert "quiet" not in policy.tenants and policy.notes == ()


def test_an_unknown_tier_keeps_the_files_tier_and_says_so() -> None:
    rows = [TenantOverride("acme", tier="platinum", limits=Quota(rpm=7))]
    policy = parse_policy(POLICY, source="p.yaml", tenants=rows)
    acme = policy.for_tenant("acme")
    assert acme.tier == "standard" and acme.limits.tenant == Quota(rpm=7, tpm=5000)
    (note,) = policy.notes
    assert "tenant acme" in note and "'platinum'" in note and "p.yaml" in note
    assert "research" in note and "ティア" in note


def test_rows_apply_without_a_policy_file_too() -> None:
    assert configured_policy(None, None) == default_policy()
    assert configured_policy(None, None, [TenantOverride("quiet")]) == default_policy()
    rows = [TenantOverride("acme", tier="enterprise", limits=Quota(rpm=1))]
    policy = configured_policy(None, None, rows)
    assert policy.for_tenant("acme").tier == "enterprise"
    assert policy.for_tenant("acme").limits.tenant == Quota(rpm=1)
    assert policy.for_tenant("other").limits.empty
    assert {"standard", "enterprise"} <= set(policy.tiers)
    assert "research" in parse_policy(POLICY).tiers
