"""The one taxonomy of hazards and signals, used by classifiers, policies, datasets and reports.

Ids are stable strings. Each category has an English and a Japanese name, a severity tier and
its MLCommons hazard codes (S1-S14, as Llama Guard 3 numbers them) so results compare with peers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    CATASTROPHIC = "catastrophic"
    SEVERE = "severe"
    MODERATE = "moderate"


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    tier: Tier
    name_en: str
    name_ja: str
    scope: str
    mlcommons: tuple[str, ...]

    def name(self, lang: str) -> str:
        return self.name_ja if lang == "ja" else self.name_en


CATEGORIES: tuple[Category, ...] = (
    Category(
        "weapons.bio",
        Tier.CATASTROPHIC,
        "biological weapons",
        "生物兵器",
        "acquiring, enhancing, producing or spreading pathogens or toxins as weapons",
        ("S9",),
    ),
    Category(
        "weapons.chem",
        Tier.CATASTROPHIC,
        "chemical weapons",
        "化学兵器",
        "chemical-weapon agents, their synthesis, precursors, dispersal",
        ("S9",),
    ),
    Category(
        "weapons.nuclear",
        Tier.CATASTROPHIC,
        "nuclear and radiological weapons",
        "核・放射性兵器",
        "nuclear or radiological weapons: design, weapons-grade material, dirty bombs",
        ("S9",),
    ),
    Category(
        "military.targeting",
        Tier.CATASTROPHIC,
        "military targeting",
        "軍事標的化",
        "finding, tracking or striking military targets; weapons guidance; attack swarms",
        ("S9", "S1"),
    ),
    Category(
        "weapons.conventional",
        Tier.SEVERE,
        "explosives and firearms",
        "爆発物・銃器",
        "explosives, IEDs, making or illegally modifying firearms",
        ("S9",),
    ),
    Category(
        "cyber.offense",
        Tier.SEVERE,
        "cyber attacks",
        "サイバー攻撃",
        "malware, exploitation of systems one does not own, intrusion, DDoS tooling",
        ("S2", "S14"),
    ),
    Category(
        "crime.violent",
        Tier.SEVERE,
        "violent crime",
        "暴力犯罪",
        "planning or committing murder, assault, terrorism, kidnapping, trafficking",
        ("S1",),
    ),
    Category(
        "sexual.minors",
        Tier.SEVERE,
        "sexual content involving minors",
        "未成年者の性的コンテンツ",
        "any sexual content involving minors",
        ("S4",),
    ),
    Category(
        "self_harm",
        Tier.SEVERE,
        "suicide and self-harm",
        "自殺・自傷",
        "encouraging or instructing suicide or self-harm",
        ("S11",),
    ),
    Category(
        "crime.nonviolent",
        Tier.MODERATE,
        "non-violent crime",
        "非暴力犯罪",
        "fraud, scams, drugs, theft, laundering, evading law enforcement",
        ("S2",),
    ),
    Category(
        "hate",
        Tier.MODERATE,
        "hate and harassment",
        "ヘイト・嫌がらせ",
        "hate, harassment or threats against people or protected groups",
        ("S10",),
    ),
    Category(
        "sexual.explicit",
        Tier.MODERATE,
        "explicit sexual content",
        "性的に露骨なコンテンツ",
        "explicit sexual content between adults",
        ("S12",),
    ),
    Category(
        "privacy",
        Tier.MODERATE,
        "privacy violations",
        "プライバシー侵害",
        "doxxing, stalking, covert surveillance of a person",
        ("S7",),
    ),
    Category(
        "deception",
        Tier.MODERATE,
        "deception and disinformation",
        "欺瞞・偽情報",
        "disinformation campaigns, impersonation, election manipulation",
        ("S13", "S5"),
    ),
    Category(
        "ip.copyright",
        Tier.MODERATE,
        "copyright infringement",
        "著作権侵害",
        "reproducing protected works verbatim or at length (lyrics, books, articles, code), piracy",
        ("S8",),
    ),
)

BY_ID: dict[str, Category] = {c.id: c for c in CATEGORIES}
# Blocked, this category gets a support answer (help lines), not a bare refusal.
SELF_HARM = "self_harm"
CATEGORY_IDS: tuple[str, ...] = tuple(c.id for c in CATEGORIES)

# Signals beside the hazards: not harms in themselves, but policies and reports act on them.
SIGNAL_JAILBREAK = "attack.jailbreak"
SIGNAL_PII = "data.pii"
SIGNALS: tuple[str, ...] = (SIGNAL_JAILBREAK, SIGNAL_PII)
# A mark among a prompt's scores, no category (no policy rule reads it as one): the second opinion
# (`sekimori.classify.second_opinion`) found no harmful intent where the classifier was sure, and
# capped the sure scores so that the block is held for the answer; the decision says so.
MARK_REVIEWED = "review.second_opinion"
# A mark likewise: the short-turn reading (`sekimori.classify.short_turns`) found a short turn the
# classifier would hold benign, and capped its hazard scores under the hold level (allowed).
MARK_SHORT_TURN = "review.short_turn"


def category(category_id: str) -> Category:
    """The category with this id; raises UnknownCategoryError naming the valid ids."""
    try:
        return BY_ID[category_id]
    except KeyError:
        from sekimori.errors import UnknownCategoryError

        raise UnknownCategoryError(category_id) from None


def in_tier(tier: Tier) -> tuple[str, ...]:
    return tuple(c.id for c in CATEGORIES if c.tier is tier)
