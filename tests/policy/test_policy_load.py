"""Loading policy YAML: the example file, inheritance, and errors that say where and what."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sekimori.errors import ConfigError
from sekimori.policy import decide, load_policy, parse_policy
from sekimori.types import Action

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policy.yaml"


def test_example_policy_loads_and_resolves_tiers() -> None:
    policy = load_policy(EXAMPLE)
    acme = policy.for_tenant("acme-jp")
    assert acme.tier == "enterprise"
    assert (
        acme.categories["hate"].action is Action.BLOCK and acme.categories["hate"].threshold == 0.7
    )
    assert "person" in acme.redact_types  # enterprise redacts all personal data
    assert set(acme.custom) == {"unreleased_products", "competitor_pricing"}
    assert policy.for_tenant("someone-else").tier == "standard"
    lab = policy.for_tenant("vaccine-lab")
    d = decide({"weapons.bio": 0.9}, lab, model="m", today=date(2026, 6, 1))
    assert d.action is Action.FLAG and any("CISO" in r for r in d.reasons)
    trial = policy.for_tenant("trial-user")
    assert decide({}, trial, model="frontier-large").action is Action.BLOCK
    assert decide({"cyber.offense": 0.6}, trial, model="small").action is Action.BLOCK


def test_user_tier_inherits_and_overrides() -> None:
    policy = parse_policy(
        """
tiers:
  base2: {inherits: verified-research, categories: {hate: block}}
  top: {inherits: base2, pii: {secrets: block}}
tenants:
  t: {tier: top}
"""
    )
    t = policy.for_tenant("t")
    assert t.categories["cyber.offense"].action is Action.FLAG  # from verified-research
    assert t.categories["hate"].action is Action.BLOCK  # from base2
    assert t.pii["jwt"] is Action.BLOCK and t.pii["card"] is Action.REDACT


def test_empty_file_is_the_default_policy() -> None:
    policy = parse_policy("")
    assert decide({"hate": 0.9}, policy.for_tenant("x"), model="m").action is Action.FLAG


BAD = [
    (
        "tenants:\n  acme:\n    categories:\n      weapons.bio: {action: maybe}\n",
        ":4",
        'tenants.acme.categories["weapons.bio"].action',
        "'allow', 'flag', 'redact' or 'block'",
    ),
    (
        "tenants:\n  acme:\n    categories:\n      weapons.laser: block\n",
        ":4",
        'tenants.acme.categories["weapons.laser"]',
        "unknown category 'weapons.laser'; allowed: weapons.bio",
    ),
    ("tenants:\n  acme:\n    tier: gold\n", ":3", "tenants.acme.tier", "known tiers: enterprise"),
    ("tenant:\n  acme: {}\n", ":1", "tenant", "unknown key"),
    (
        "tenants:\n  a:\n    categories:\n      hate: {action: block, threshold: 1.5}\n",
        ":4",
        "tenants.a.categories.hate.threshold",
        "less than or equal to 1",
    ),
    (
        "tenants:\n  a:\n    exceptions:\n      - category: hate\n        action: allow\n"
        "        reason: because we said so\n        approved_by: me\n",
        ":4",
        "tenants.a.exceptions[0].category",
        "exceptions are for catastrophic categories",
    ),
    (
        "tenants:\n  a:\n    exceptions:\n      - category: weapons.bio\n        action: allow\n",
        ":4",
        "tenants.a.exceptions[0].reason",
        "required key is missing",
    ),
    (
        "allow_intents:\n  x:\n    examples: [hi]\n    covers: [weapons.nuclear]\n",
        ":4",
        "allow_intents.x.covers[0]",
        "cannot clear the catastrophic category",
    ),
    ("tiers:\n  standard: {}\n", ":2", "tiers.standard", "built-in tier cannot be redefined"),
    ("tiers:\n  a: {inherits: b}\n  b: {inherits: a}\n", ":", "tiers.", "cycle"),
    ("tiers:\n  a: {inherits: nope}\n", ":2", "tiers.a.inherits", "unknown tier 'nope'"),
    ("tenants:\n  a:\n    pii: {cards: redact}\n", ":3", "tenants.a.pii.cards", "unknown PII type"),
    (
        "access_rules:\n  - name: r\n    deny_models: [m]\n",
        ":2",
        "access_rules[0]",
        "needs jurisdictions, organisations or verification",
    ),
    (
        "tiers:\n  a:\n    uncertain_input: maybe\n",
        ":3",
        "tiers.a.uncertain_input",
        "must be 'defer' or 'block'",
    ),
    ("tenants: [1, 2\n", ":2", "", "not valid YAML"),
    ("- a\n- b\n", "", "", "must be a mapping"),
]


@pytest.mark.parametrize(("text", "line", "key", "message"), BAD)
def test_errors_name_file_line_key_and_what_is_allowed(
    text: str, line: str, key: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    shown = str(err.value)
    assert shown.startswith(f"{path}{line}"), shown
    assert key in shown and message in shown, shown


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.yaml")


def test_capitalised_tenant_names_keep_their_place_in_the_key_path(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("tenants:\n  Acme:\n    on_error: maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p\.yaml:3: tenants\.Acme\.on_error: must be"):
        load_policy(path)


def test_uncertain_input_is_inherited_from_the_tier_and_defers_by_default() -> None:
    policy = parse_policy(
        "tiers:\n  careful: {uncertain_input: block}\n"
        "tenants:\n  a: {tier: careful}\n  b: {}\n  c: {tier: careful, uncertain_input: defer}\n"
    )
    deferring = {t: policy.for_tenant(t).defer_uncertain for t in ("a", "b", "c", "walk-in")}
    assert deferring == {"a": False, "b": True, "c": True, "walk-in": True}


def test_oversize_is_inherited_from_the_tier_and_rejects_by_default() -> None:
    policy = parse_policy(
        "tiers:\n  lenient: {oversize: block}\n"
        "tenants:\n  a: {tier: lenient}\n  b: {}\n  c: {tier: lenient, oversize: reject}\n"
    )
    chosen = {t: policy.for_tenant(t).oversize for t in ("a", "b", "c", "walk-in")}
    assert chosen == {"a": "block", "b": "reject", "c": "reject", "walk-in": "reject"}
    with pytest.raises(ConfigError, match=r"tenants\.a\.oversize"):
        parse_policy("tenants:\n  a: {oversize: truncate}\n")
