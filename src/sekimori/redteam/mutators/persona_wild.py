"""Role-play attack: a jailbreak prompt collected in the wild, with the request in its slot."""

from __future__ import annotations

from sekimori.redteam.items import Probe, SuiteItem
from sekimori.redteam.mutators import MUTATORS, pick, single_turn
from sekimori.redteam.mutators._templates import fill, in_the_wild


@MUTATORS.register("persona_wild")
def persona_wild(item: SuiteItem) -> Probe:
    templates = in_the_wild()
    name, template = templates[pick([n for n, _ in templates], item, "persona_wild")]
    return single_turn(item, "persona_wild", fill(template, item.text), template=name)
