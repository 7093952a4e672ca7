"""Where the repository and the team's shared data sets are, for training, evaluation and suites."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """`<repo root>/../shared/data`, or the folder named by env SEKIMORI_SHARED_DATA."""
    env = os.environ.get("SEKIMORI_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def watch_data_dir() -> Path:
    """`<repo root>/data/watch`: the team's decomposition chains and the simulator's scores."""
    return REPO_ROOT / "data" / "watch"
