"""`sekimori local-model list|verify` as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"


def sekimori(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sekimori.cli", "local-model", *args],
        env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_list_names_models_licences_and_digests() -> None:
    done = sekimori("list")
    assert done.returncode == 0, done.stderr
    assert "smollm2-135m (default)" in done.stdout
    assert "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53" in done.stdout
    assert "Apache-2.0" in done.stdout
    assert "導入済み" in done.stdout or "未導入" in done.stdout


def test_verify_accepts_the_packaged_weights() -> None:
    done = sekimori("verify", "smollm2-135m")
    assert done.returncode == 0, done.stderr
    assert "smollm2-135m: sha256 OK / sha256 一致" in done.stdout


def test_verify_refuses_a_tampered_joined_file(tmp_path: Path) -> None:
    """A joined Qwen file in the cache that was altered is refused, with exit code 1."""
    done = sekimori("list")
    if "qwen2.5-coder-0.5b  [en, ja]  installed" not in done.stdout:
        pytest.skip("the local-ja extra is not installed")
    home = tmp_path / "home"
    try:
        first = sekimori("verify", "qwen2.5-coder-0.5b", env={"SEKIMORI_HOME": str(home)})
        assert first.returncode == 0, first.stderr
        (joined,) = (home / "models").iterdir()
        with joined.open("r+b") as fh:
            fh.seek(1000)
            byte = fh.read(1)[0]
            fh.seek(1000)
            fh.write(bytes([byte ^ 0xFF]))
        second = sekimori("verify", "qwen2.5-coder-0.5b", env={"SEKIMORI_HOME": str(home)})
        assert second.returncode == 1
        assert "does not match the pinned" in second.stderr
    finally:
        shutil.rmtree(home, ignore_errors=True)  # 491 MB: not left for pytest's kept temp dirs
