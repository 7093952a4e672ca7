"""Many-shot jailbreaking (Anil et al. 2024): a long faux dialogue inside one prompt."""

from __future__ import annotations

from sekimori.redteam.items import Probe, SuiteItem
from sekimori.redteam.mutators import MUTATORS, single_turn
from sekimori.redteam.mutators._shots import shots

SHOTS = 32
_ROLES = {"en": ("User", "Assistant"), "ja": ("ユーザー", "アシスタント")}


@MUTATORS.register("many_shot")
def many_shot(item: SuiteItem) -> Probe:
    user, assistant = _ROLES[item.lang]
    lines = [f"{user}: {q}\n{assistant}: {a}" for q, a in shots(item, SHOTS)]
    lines.append(f"{user}: {item.text}\n{assistant}:")
    return single_turn(item, "many_shot", "\n\n".join(lines), shots=SHOTS)
