"""`sekimori tenants` in this process on a real SQLite data directory: what it prints and how
it refuses (English and Japanese, no traceback)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sekimori.cli import main


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Ran]:
    monkeypatch.setenv("SEKIMORI_HOME", str(tmp_path))
    monkeypatch.delenv("SEKIMORI_STORE_URL", raising=False)

    def run(*args: str) -> Ran:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own refusals
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def test_a_tenants_life(cli: Callable[..., Ran]) -> None:
    added = cli("tenants", "add", "acme", "--display-name", "Acme 株式会社", "--rpm", "60")
    assert added.code == 0 and "added tenant acme (active)" in added.out and "追加" in added.out
    assert cli("tenants", "add", "beta", "--suspended", "--key-tpm", "900").code == 0
    listing = cli("tenants", "list").out.splitlines()
    assert listing[1].split() == ["acme", "active", "(policy)", "rpm", "60", "-"]
    assert listing[2].split() == ["beta", "suspended", "(policy)", "-", "tpm", "900"]

    changed = cli("tenants", "set", "acme", "--tier", "enterprise", "--rpm", "none", "--tpm", "5")
    assert changed.code == 0, changed.err
    assert "tier enterprise, limits tpm 5" in changed.out and "更新" in changed.out
    assert "not checked" not in changed.out  # a built-in tier
    custom = cli("tenants", "set", "acme", "--tier", "research")
    assert "not checked: no policy in the settings" in custom.out  # no --config given
    assert "suspended" in cli("tenants", "suspend", "acme").out
    key = cli("keys", "create", "--tenant", "acme").out.splitlines()[0].split()[2]
    shown = cli("tenants", "show", "acme").out
    assert "Acme 株式会社" in shown and "suspended" in shown and key in shown
    assert "active again" in cli("tenants", "resume", "acme").out
    assert cli("tenants", "set", "acme", "--tier", "none").out.count("tier (policy)") == 1

    refused = cli("tenants", "remove", "acme")
    assert refused.code == 1 and "revoke them first" in refused.err and key in refused.err
    assert "有効なキー" in refused.err and "Traceback" not in refused.err
    assert cli("keys", "revoke", key).code == 0
    assert cli("tenants", "remove", "acme").code == 0
    assert cli("tenants", "list").out.splitlines()[1:] == listing[2:]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("tenants", "add", "acme"), "already in the store"),
        (("tenants", "set", "ghost", "--rpm", "1"), "no tenant 'ghost'"),
        (("tenants", "show", "ghost"), "テナントがありません"),
        (("tenants", "set", "acme"), "nothing to change"),
        (("tenants", "add", "bad name"), "must be 1-64 letters"),
        (("tenants", "add", "bad\n"), "must be 1-64 letters"),  # `$` alone would pass it
        (("keys", "create", "--tenant", "acme\n"), "must be 1-64 letters"),
        (("tenants", "set", "acme", "--rpm", "-1"), "not a whole number >= 0 or 'none'"),
        (("tenants", "set", "acme", "--status", "gone"), "invalid choice"),
        (("tenants", "add", "x", "--display-name", "a\nb"), "no control characters"),
        (("tenants", "set", "acme", "--tier", "a.b"), "ティア名は英数字"),
    ],
)
def test_mistakes_are_named(cli: Callable[..., Ran], args: tuple[str, ...], expected: str) -> None:
    assert cli("tenants", "add", "acme").code == 0
    ran = cli(*args)
    assert ran.code != 0 and expected in ran.err and "Traceback" not in ran.err


def test_a_tier_is_checked_against_the_configured_policy(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    (tmp_path / "policy.yaml").write_text(
        "tiers:\n  research: {inherits: standard}\n", encoding="utf-8"
    )
    config = tmp_path / "sekimori.yaml"
    config.write_text(f"policy_file: {tmp_path / 'policy.yaml'}\n", encoding="utf-8")
    unknown = cli("tenants", "add", "acme", "--tier", "platinum", "--config", str(config))
    assert unknown.code == 1 and "tier 'platinum' is not defined in" in unknown.err
    assert "research" in unknown.err and "ティア" in unknown.err
    assert cli("tenants", "add", "acme", "--tier", "research", "--config", str(config)).code == 0


def test_a_key_for_a_suspended_tenant_is_made_with_a_warning(cli: Callable[..., Ran]) -> None:
    """Suspension refuses a tenant's requests, not its keys: the key is made (an operator may
    prepare keys before resuming) and the warning says it is refused until then."""
    plain = cli("keys", "create", "--tenant", "acme")  # no rows at all: nothing to say
    assert plain.code == 0 and plain.err == ""
    assert cli("tenants", "add", "acme", "--suspended").code == 0
    made = cli("keys", "create", "--tenant", "acme")
    assert made.code == 0 and made.out.splitlines()[-1].startswith("sk-sek-")
    assert "warning: tenant acme is suspended: this key is refused (403 tenant_suspended)" in (
        made.err
    )
    assert "sekimori tenants resume acme" in made.err and "停止中" in made.err
    assert made.out.splitlines()[-1] not in made.err  # the key goes to stdout only
    assert cli("tenants", "resume", "acme").code == 0
    assert cli("keys", "create", "--tenant", "acme").err == ""
    # A tenant without a row is valid (the policy file alone); with rows about, a note.
    typo = cli("keys", "create", "--tenant", "acmee")
    assert typo.code == 0 and typo.out.splitlines()[-1].startswith("sk-sek-")
    assert "note: tenant acmee has no row in the store (rows: acme)" in typo.err
    assert "登録されていません" in typo.err and "warning" not in typo.err
    keys = cli("keys", "list").out
    assert keys.count(" acme ") == 3 and keys.count(" acmee ") == 1
