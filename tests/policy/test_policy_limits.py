"""`limits:` in the policy: tiers, tenants and keys, validated with file, line and key."""

from __future__ import annotations

import pytest

from sekimori.errors import ConfigError
from sekimori.limits import Quota
from sekimori.policy import parse_policy

POLICY = """
tiers:
  paid:
    inherits: standard
    limits: {rpm: 600, tpm: 100000, per_key: {rpm: 60}, when_unavailable: closed}
tenants:
  acme:
    tier: paid
    limits:
      tpm: 5000
      tokens_per_month: 1000000
      keys:
        3f2a9c0d1e4b: {rpm: 5, concurrent: 2}
  free: {}
"""


def test_tenant_limits_override_their_tiers_figure_by_figure() -> None:
    policy = parse_policy(POLICY, source="p.yaml")
    acme = policy.for_tenant("acme").limits
    assert acme.tenant == Quota(rpm=600, tpm=5000, tokens_per_month=1_000_000)
    assert acme.when_unavailable == "closed"
    assert acme.for_key("000000000000") == Quota(rpm=60)
    assert acme.for_key("3f2a9c0d1e4b") == Quota(rpm=5, concurrent=2)
    assert policy.for_tenant("free").limits.empty
    assert policy.for_tenant("someone").limits.when_unavailable == "local"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "tenants:\n  a:\n    limits: {rmp: 5}\n",
            r"p\.yaml:3: tenants\.a\.limits\.rmp: unknown key",
        ),
        (
            "tenants:\n  a:\n    limits: {rpm: -1}\n",
            r"p\.yaml:3: tenants\.a\.limits\.rpm: must be greater than or equal to 0",
        ),
        (
            "tenants:\n  a:\n    limits:\n      keys: {sk-sek-abc: {rpm: 1}}\n",
            r"p\.yaml:4: tenants\.a\.limits\.keys\.sk-sek-abc: String should match pattern",
        ),
        (
            "tiers:\n  t:\n    limits: {keys: {3f2a9c0d1e4b: {rpm: 1}}}\n",
            r"p\.yaml:3: tiers\.t\.limits\.keys: unknown key",
        ),
        (
            "tenants:\n  a:\n    limits: {when_unavailable: open}\n",
            r"tenants\.a\.limits\.when_unavailable: must be 'local' or 'closed'",
        ),
    ],
)
def test_bad_limits_are_rejected_with_where(text: str, where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        parse_policy(text, source="p.yaml")
