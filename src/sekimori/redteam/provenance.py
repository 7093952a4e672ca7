"""What produced a red-team run (REVIEW.md item 10): the sekimori version, the git revision of
the working tree when there is one, the sha256 of the classifier and answer-judge artefacts this
installation carries, and the target's sampling settings. Stored in the run's metadata, so every
summary.json and report names them."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import sekimori
from sekimori.paths import REPO_ROOT
from sekimori.redteam.targets import TargetSettings

_MODELS = Path(sekimori.__file__).resolve().parent / "classify" / "models"
ARTEFACTS = {"prompt_classifier": _MODELS / "prompt", "answer_judge": _MODELS / "answers"}


def artefact_sha256(folder: Path) -> str | None:
    """One digest over the folder's model files (names and contents; model cards left out)."""
    files = sorted(p for p in folder.glob("*") if p.is_file() and p.suffix != ".md")
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def git_revision(root: Path = REPO_ROOT) -> str | None:
    """The commit checked out at `root` (`+dirty`: with uncommitted changes); None outside git."""
    if not (root / ".git").exists():
        return None
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("+dirty" if dirty else "")


def provenance(settings: TargetSettings) -> dict[str, Any]:
    return {
        "sekimori_version": sekimori.__version__,
        "git_revision": git_revision(),
        "artefacts_sha256": {name: artefact_sha256(path) for name, path in ARTEFACTS.items()},
        "sampling": {
            "model": settings.model,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "upstream": settings.upstream or None,
        },
    }
