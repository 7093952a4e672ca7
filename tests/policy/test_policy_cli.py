"""`sekimori policy check|decide` as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sekimori.cli", "policy", *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def test_check_the_example() -> None:
    done = cli("check", str(ROOT / "examples" / "policy.yaml"))
    assert done.returncode == 0, done.stderr
    assert "acme-jp" in done.stdout and "OK" in done.stdout


def test_check_reports_the_location(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("tenants:\n  a:\n    tier: gold\n", encoding="utf-8")
    done = cli("check", str(bad))
    assert done.returncode == 1
    assert f"{bad}:3: tenants.a.tier: unknown tier 'gold'" in done.stderr
    assert "Traceback" not in done.stderr


def test_decide_shows_action_and_reasons() -> None:
    done = cli(
        "decide",
        str(ROOT / "examples" / "policy.yaml"),
        "--tenant",
        "vaccine-lab",
        "--score",
        "weapons.bio=0.9",
        "--pii",
        "card",
    )
    assert done.returncode == 0, done.stderr
    assert "vaccine-lab (tier verified-research): redact" in done.stdout
    assert "audited exception" in done.stdout and "card" in done.stdout
    builtin = cli("decide", "--score", "hate=0.7")
    assert "default (tier standard): flag" in builtin.stdout
    bad = cli("decide", "--score", "hate=high")
    assert bad.returncode == 1 and "CATEGORY=SCORE" in bad.stderr


def test_decide_shows_holds_and_sure_blocks_at_a_sure_level() -> None:
    held = cli("decide", "--score", "weapons.bio=0.6", "--sure-at", "0.75")
    assert "default (tier standard): flag, held for the answer (weapons.bio)" in held.stdout
    sure = cli("decide", "--score", "hate=0.8", "--sure-at", "0.75")
    assert "default (tier standard): block" in sure.stdout
    assert "default (tier standard): block" in cli("decide", "--score", "weapons.bio=0.6").stdout
