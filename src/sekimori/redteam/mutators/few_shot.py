"""Few-shot priming: earlier chat turns in which the assistant complied, then the request."""

from __future__ import annotations

from sekimori.redteam.items import Probe, SuiteItem, Turn
from sekimori.redteam.mutators import MUTATORS
from sekimori.redteam.mutators._shots import shots

SHOTS = 3


@MUTATORS.register("few_shot")
def few_shot(item: SuiteItem) -> Probe:
    turns: list[Turn] = []
    for question, answer in shots(item, SHOTS):
        turns += [Turn("user", question), Turn("assistant", answer)]
    turns.append(Turn("user", item.text))
    return Probe(f"{item.id}~few_shot", item, "few_shot", {"shots": SHOTS}, tuple(turns))
