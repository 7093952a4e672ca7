"""The baseline: the item as written, so every attack has an unmutated reference."""

from __future__ import annotations

from sekimori.redteam.items import Probe, SuiteItem
from sekimori.redteam.mutators import MUTATORS, single_turn


@MUTATORS.register("direct")
def direct(item: SuiteItem) -> Probe:
    return single_turn(item, "direct", item.text)
