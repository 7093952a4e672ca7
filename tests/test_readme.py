"""The newcomer's run: README.md's quick start and tour, executed exactly as written.

The shell blocks of the two sections are taken from README.md unchanged and run by bash, one
after the other as in one terminal, in the repository root with a fresh HOME (so a fresh
`~/.sekimori`: keys, audit trail, the classifier's encoder built at first start) against the real
gateway and the embedded model. The run must reach a screened answer, a refusal in Japanese and
one in English, and audit lines for the refusals and the card number's redaction. It takes
minutes (installs, builds the encoder, and the embedded model answers on the CPU), so it is
marked slow.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from sekimori import __version__
from tests.docs.blocks import private_network

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PORT = 8787  # the README's own address


def section_blocks(markdown: str, heading: str) -> list[str]:
    """The ```sh blocks of the `## heading ...` section, in order."""
    parts = re.split(r"^## ", markdown, flags=re.M)
    section = next(p for p in parts if p.startswith(heading))
    return re.findall(r"^```sh\n(.*?)^```", section, flags=re.M | re.S)


def readme_run_blocks(markdown: str) -> list[str]:
    """The blocks this test runs, in order: the quick start's first and the tour's."""
    return [
        section_blocks(markdown, "Quick start")[0],
        section_blocks(markdown, "Try the policy")[0],
    ]


def test_the_readme_sections_hold_the_blocks_this_test_runs() -> None:
    text = README.read_text(encoding="utf-8")
    quick = section_blocks(text, "Quick start")
    tour = section_blocks(text, "Try the policy")
    assert len(quick) == 2 and quick[1].startswith("bash scripts/test")
    assert "keys create" in quick[0] and "serve &" in quick[0]
    assert len(tour) == 1 and "keys create --tenant acme-jp" in tour[0]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_quick_start_and_the_tour_work_as_written(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / "bin" / "sekimori").exists():
        pytest.skip("the README's commands use .venv in the checkout (bash scripts/test makes it)")
    text = README.read_text(encoding="utf-8")
    # Everything but `bash scripts/test`, the suite this test is part of.
    script = "".join(readme_run_blocks(text))
    command = ["bash", "-c", script]
    if not _port_free(PORT):
        # Another gateway holds the README's port: run in a private network namespace instead
        # (pip then waits ~50 s for the package index it cannot reach, and uses the local ones).
        prefix = private_network()
        if prefix is None:
            pytest.skip(f"port {PORT}, which the README uses, is taken on this machine")
        command = [*prefix, "bash", "-c", "ip link set lo up\n" + script]
    copied = ROOT / "policy.yaml"
    had_copy = copied.exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKIMORI_")}
    env |= {"HOME": str(tmp_path), "LANG": "C.UTF-8"}
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            # Only bounds a hang: installs, the encoder's first build and the embedded model's
            # answers on the CPU took 234 s at load ~16, and far longer at nice 19 behind others.
            timeout=3600,
            check=False,
        )
    finally:
        if not had_copy:
            copied.unlink(missing_ok=True)
    out, said = done.stdout, done.stderr[-6000:]
    # The quick start: a banner saying what runs, and an answer from the embedded model. Looked
    # for in the whole of stderr: the lines logged after it (more on a loaded machine) can push
    # the quick start's banner out of the tail shown on failure.
    everything = done.stderr
    assert f"sekimori {__version__} gateway" in everything and "built-in default" in everything, (
        said
    )
    assert "SCREENING IS OFF" not in everything
    quick = out.split("HTTP/1.1 ", 1)[0]
    assert re.search(r'"object": ?"chat\.completion"', quick), out[-3000:] + said
    # The tour: four answers; the bioweapon requests refused, each in its own language; the
    # others answered.
    answers = out.split("HTTP/1.1 ")[1:]
    assert len(answers) == 4, out[-3000:] + said
    assert "x-sekimori-decision: block" in answers[0] and "申し訳ありません" in answers[0]
    assert "x-sekimori-decision: block" in answers[1] and "I'm sorry, but I can't" in answers[1]
    for refused in answers[:2]:
        assert "x-sekimori-blocked: input" in refused and "weapons.bio" in refused, refused
    for answer in answers[2:]:
        # Passed the prompt screen and went to the model. Its answer is screened too; on an
        # overloaded machine that check can time out, and the answer is then withheld (closed).
        assert answer.startswith("200") and "x-sekimori-blocked: input" not in answer, answer
    # The card number was found (and redacted before the model saw it), as the audit trail says,
    # and the trail has a line for each refusal.
    assert "x-sekimori-categories: data.pii" in answers[3].split("\r\n\r\n", 1)[0]
    audit = out.split("HTTP/1.1 ")[-1].split("\n", 1)[-1]
    assert "pii card" in audit, out[-3000:]
    assert len(re.findall(r"\bblock\b.*weapons\.bio", audit)) >= 2, audit
