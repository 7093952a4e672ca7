"""Adapters for published guard models, one a file, registered in `GUARDS`.

`make_guard(settings)` builds the adapter `settings.kind` names. See docs/guards.md.
"""

from __future__ import annotations

from sekimori.guards import (  # noqa: F401  (each registers itself)
    granite_guardian,
    llama_guard,
    qwen3guard,
    shieldgemma,
    wildguard,
)
from sekimori.guards.base import GUARDS, Guard, GuardLabel, GuardStatus, GuardVerdict, Target
from sekimori.settings import GuardSettings


def make_guard(settings: GuardSettings) -> Guard:
    return GUARDS.get(settings.kind)(settings)


__all__ = [
    "GUARDS",
    "Guard",
    "GuardLabel",
    "GuardSettings",
    "GuardStatus",
    "GuardVerdict",
    "Target",
    "make_guard",
]
