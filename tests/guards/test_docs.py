"""The policy examples in docs/guards.md and docs/policy.md load as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sekimori.policy import parse_policy
from sekimori.policy.model import GuardWhen, OnFailure

DOCS = Path(__file__).resolve().parents[2] / "docs"
_YAML = re.compile(r"```yaml\n(.*?)```", re.S)


def blocks(page: str) -> list[str]:
    return [b for b in _YAML.findall((DOCS / page).read_text(encoding="utf-8")) if "guards:" in b]


def test_the_deployment_policy_in_guards_md_loads() -> None:
    (policy,) = [b for b in blocks("guards.md") if "version: 1" in b]
    loaded = parse_policy(policy, source="docs/guards.md")
    assert loaded.guards["lg3"].kind == "llama_guard_3"
    acme = loaded.for_tenant("acme").guards
    assert [r.when for r in acme] == [
        GuardWhen.HOLD,
        GuardWhen.CATASTROPHIC_ABOVE,
        GuardWhen.ANSWERS,
    ]
    assert loaded.for_tenant("bank").guards[0].on_failure is OnFailure.PER_TIER


@pytest.mark.parametrize("block", blocks("policy.md"))
def test_the_guard_example_in_policy_md_loads(block: str) -> None:
    loaded = parse_policy("version: 1\n" + block, source="docs/policy.md")
    assert loaded.for_tenant("acme").guards[0].guard == "lg3"
