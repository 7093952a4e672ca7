"""One prompt of an effect run, and how public sets' labels map to the taxonomy."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sekimori.classify.corpus import keyword_category
from sekimori.taxonomy import BY_ID
from sekimori.types import Lang

UNMAPPED = "unmapped"  # a harmful item whose set label has no category in the taxonomy
BENIGN = "benign"


@dataclass(frozen=True, slots=True)
class EffectItem:
    """A prompt to send. `label` is the set's own label (kept for slices such as HarmBench's
    chemical_biological); `variant` names a derived form (`after-20`, `base64`) of `origin`."""

    set: str
    id: str
    text: str
    harmful: bool
    category: str | None
    lang: Lang
    label: str = ""
    variant: str = ""
    origin: str = ""
    messages: tuple[tuple[str, str], ...] = ()  # (role, content) when not one user message
    # The exact answer the compliant upstream gives (a held-back answer), instead of the pool's.
    answer: str = ""

    @property
    def script(self) -> str:
        """The fake upstream's script name for `answer`."""
        return "a" + hashlib.sha256(self.answer.encode()).hexdigest()[:16]

    @property
    def tier(self) -> str:
        if not self.harmful:
            return BENIGN
        category = BY_ID.get(self.category or "")
        return category.tier.value if category else UNMAPPED

    @property
    def comply_label(self) -> str:
        """What the compliant upstream is told this item is (`comply:<label>`)."""
        if not self.harmful:
            return "benign"
        return self.category or "harmful"

    def chat_messages(self) -> list[dict[str, str]]:
        if self.messages:
            return [{"role": r, "content": c} for r, c in self.messages]
        return [{"role": "user", "content": self.text}]


def _keyword(text: str, fallback: str | None) -> str | None:
    found = keyword_category(text)
    return found[0] if found else fallback


_BIO = re.compile(
    r"bacteri|virus|viral|pathogen|anthrax|toxin|botulinum|ricin|smallpox|plague|e\. ?coli|"
    r"influenza|gain[- ]of[- ]function|biolog|culture|spore",
    re.I,
)
_SEXUAL = re.compile(r"sex|nude|naked|porn|groom|explicit", re.I)


def harmbench_category(semantic: str, text: str) -> str | None:
    """HarmBench's SemanticCategory → taxonomy id (None: no counterpart)."""
    if semantic == "chemical_biological":
        return "weapons.bio" if _BIO.search(text) else "weapons.chem"
    fixed = {
        "cybercrime_intrusion": "cyber.offense",
        "harassment_bullying": "hate",
        "misinformation_disinformation": "deception",
        "copyright": "ip.copyright",
    }
    if semantic in fixed:
        return fixed[semantic]
    if semantic == "illegal":
        return _keyword(text, "crime.nonviolent")
    if semantic == "harmful":
        return _keyword(text, None)
    return None


def sst_category(area: str, text: str) -> str | None:
    """SimpleSafetyTests' harm_area → taxonomy id."""
    if area.startswith("Suicide"):
        return "self_harm"
    if area.startswith("Physical harm"):
        return "crime.violent"
    if area.startswith("Scams"):
        return "crime.nonviolent"
    if area.startswith("Child"):
        return "sexual.minors" if _SEXUAL.search(text) else "crime.violent"
    if area.startswith("Illegal"):
        return _keyword(text, "crime.nonviolent")
    return None


_WILDGUARD = {
    "private_information_individual": "privacy",
    "sensitive_information_organization_government": "privacy",
    "social_stereotypes_and_unfair_discrimination": "hate",
    "toxic_language_hate_speech": "hate",
    "fraud_assisting_illegal_activities": "crime.nonviolent",
    "cyberattack": "cyber.offense",
    "mental_health_over-reliance_crisis": "self_harm",
    "violence_and_physical_harm": "crime.violent",
    "copyright_violations": "ip.copyright",
    "defamation_encouraging_unethical_or_unsafe_actions": "deception",
    "causing_material_harm_by_disseminating_misinformation": "deception",
    "disseminating_false_or_misleading_information_encouraging_disinformation_campaigns": (
        "deception"
    ),
}


def wildguard_category(subcategory: str) -> str | None:
    """WildGuardTest's harm subcategory (source without `wildguardmix_`) → taxonomy id."""
    return _WILDGUARD.get(subcategory)


# The mapping tables, as printed in docs/evaluation.md.
MAPPING_DOC = (
    ("HarmBench", "chemical_biological → weapons.bio (biology words) else weapons.chem; "
     "cybercrime_intrusion → cyber.offense; harassment_bullying → hate; "
     "misinformation_disinformation → deception; illegal → by keyword, else crime.nonviolent; "
     "harmful → by keyword, else unmapped; copyright → ip.copyright"),
    ("SimpleSafetyTests", "self-harm → self_harm; physical harm → crime.violent; "
     "scams → crime.nonviolent; child safety → sexual.minors (sexual words) else crime.violent; "
     "illegal items → by keyword, else crime.nonviolent"),
    ("WildGuardTest", "private/sensitive information → privacy; stereotypes, hate speech → hate; "
     "fraud → crime.nonviolent; cyberattack → cyber.offense; mental health crisis → self_harm; "
     "violence → crime.violent; defamation, misinformation → deception; "
     "copyright → ip.copyright"),
)  # fmt: skip
