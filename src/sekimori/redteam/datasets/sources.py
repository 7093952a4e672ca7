"""Readers that turn the shared public datasets and the curated file into suite items.

Each reader maps the source's own labels onto taxonomy ids. Where a source's label is too coarse
(HarmBench's chemical_biological, XSTest's types, WildGuard's benign rows) a keyword rule picks the
category; the rule only sorts items already known to be harmful or benign, it never labels them.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

from sekimori.errors import ConfigError
from sekimori.paths import shared_data_dir
from sekimori.redteam.datasets.userfile import load_file
from sekimori.redteam.items import Expect, SuiteItem
from sekimori.taxonomy import category

CURATED = Path(__file__).with_name("curated.jsonl")

_WEAPON_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "weapons.nuclear",
        re.compile(r"nuclear|uranium|plutonium|radioactiv|radiolog|dirty bomb|enrich", re.I),
    ),
    (
        "weapons.bio",
        re.compile(
            r"virus|viral|pathogen|bacteri|anthrax|toxin|ricin|botulin|smallpox|plague|"
            r"bioweapon|biological|infect|e\. coli|salmonella",
            re.I,
        ),
    ),
    (
        "weapons.chem",
        re.compile(
            r"nerve agent|sarin|\bvx\b|mustard gas|chlorine gas|phosgene|tabun|chemical weapon|"
            r"toxic gas|poison gas|nerve gas|cyanide",
            re.I,
        ),
    ),
    (
        "weapons.conventional",
        re.compile(r"bomb|explosi|\bgun|firearm|rifle|grenade|ammunition|detonat|\bied\b", re.I),
    ),
    ("cyber.offense", re.compile(r"malware|hack|exploit|ransomware|ddos|phish|keylogger", re.I)),
    ("self_harm", re.compile(r"suicid|kill myself|self-harm|cutting myself|overdose", re.I)),
    ("privacy", re.compile(r"address of|home address|track someone|stalk|dox", re.I)),
    ("crime.nonviolent", re.compile(r"drug|cocaine|meth|heroin|steal|fraud|launder|scam", re.I)),
    ("crime.violent", re.compile(r"kill|murder|shoot|stab|assault|kidnap|terror|attack", re.I)),
)


def guess_category(text: str, default: str) -> str:
    """The first keyword rule that matches, else `default` (see the module docstring)."""
    for cat, pattern in _WEAPON_RULES:
        if pattern.search(text):
            return cat
    return default


def team_prompts() -> list[SuiteItem]:
    """The project's own `data/prompts/*.jsonl` (written by the team; the classifier trains on
    them, so results on these items are in-sample for the gateway's classifier)."""
    folder = Path(__file__).resolve().parents[4] / "data" / "prompts"
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise ConfigError(f"no team prompt files in {folder}", key="data/prompts")
    return [item for path in files for item in load_file(path)]


def data_file(*parts: str) -> Path:
    path = shared_data_dir().joinpath(*parts)
    if not path.is_file():
        raise ConfigError(
            f"dataset file missing: {path}; set SEKIMORI_SHARED_DATA to the shared data folder "
            "(共有データのフォルダを SEKIMORI_SHARED_DATA で指定してください)",
            key="SEKIMORI_SHARED_DATA",
        )
    return path


def _csv_rows(*parts: str) -> Iterator[dict[str, str]]:
    with data_file(*parts).open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def curated() -> list[SuiteItem]:
    """The project's hand-written EN/JA pairs (requests only, no operational content)."""
    items: list[SuiteItem] = []
    with CURATED.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            cat = category(row["category"]).id
            expect = Expect.REFUSE if row["label"] == "harmful" else Expect.COMPLY
            for lang, other in (("en", "ja"), ("ja", "en")):
                items.append(
                    SuiteItem(
                        id=f"{row['id']}-{lang}",
                        lang="ja" if lang == "ja" else "en",
                        text=row[lang],
                        category=cat,
                        expect=expect,
                        source="sekimori-curated",
                        kind=row["kind"],
                        alt_text=row[other],
                    )
                )
    return items


_HARMBENCH = {
    "cybercrime_intrusion": "cyber.offense",
    "illegal": "crime.nonviolent",
    "misinformation_disinformation": "deception",
    "harassment_bullying": "hate",
    "harmful": "crime.violent",
    "chemical_biological": "weapons.chem",
}


def harmbench() -> list[SuiteItem]:
    """HarmBench test split, standard behaviours (contextual ones need their long context)."""
    items = []
    for row in _csv_rows("harmbench", "harmbench_behaviors_text_test.csv"):
        sem = row["SemanticCategory"]
        if row["FunctionalCategory"] != "standard" or sem not in _HARMBENCH:
            continue
        text = row["Behavior"]
        default = _HARMBENCH[sem]
        cat = (
            guess_category(text, default) if sem in ("chemical_biological", "illegal") else default
        )
        items.append(
            SuiteItem(f"harmbench-{row['BehaviorID']}", "en", text, cat, Expect.REFUSE, "harmbench")
        )
    return items


_SST = {
    "Suicide, Self-Harm, and Eating Disorders": "self_harm",
    "Physical harm and Violence": "crime.violent",
    "Illegal and Highly Regulated items": "crime.nonviolent",
    "Scams and fraud": "crime.nonviolent",
    "Child safety": "sexual.minors",
}


def simplesafetytests() -> list[SuiteItem]:
    items = []
    for row in _csv_rows("simplesafetytests", "simplesafetytests.csv"):
        default = _SST[row["harm_area"]]
        text = row["prompts_final"]
        cat = guess_category(text, default) if default == "crime.nonviolent" else default
        items.append(SuiteItem(row["id"], "en", text, cat, Expect.REFUSE, "simplesafetytests"))
    return items


_WILDGUARD = {
    "private_information_individual": "privacy",
    "social_stereotypes_and_unfair_discrimination": "hate",
    "toxic_language_hate_speech": "hate",
    "fraud_assisting_illegal_activities": "crime.nonviolent",
    "cyberattack": "cyber.offense",
    "violence_and_physical_harm": "crime.violent",
    "defamation_encouraging_unethical_or_unsafe_actions": "deception",
    "causing_material_harm_by_disseminating_misinformation": "deception",
    "disseminating_false_or_misleading_information_encouraging_disinformation_campaigns": (
        "deception"
    ),
}


def wildguardtest() -> list[SuiteItem]:
    """WildGuardTest prompts: harmful rows in the mapped subcategories, and the benign rows
    (written to look risky, so they measure over-refusal). Crisis messages, organisational
    secrets and copyright are left out: their right answer is not a plain refusal or compliance."""
    path = data_file("wildguardtest-prompts-thirdparty", "wildguard_full_benchmark.json")
    items = []
    for n, row in enumerate(json.loads(path.read_text(encoding="utf-8")), start=1):
        sub = row["source"].removeprefix("wildguardmix_")
        text = row["text"]
        if row["label"] == "safe":
            cat = guess_category(text, "crime.violent")
            items.append(
                SuiteItem(
                    f"wildguard-{n}", "en", text, cat, Expect.COMPLY, "wildguardtest", "lookalike"
                )
            )
        elif sub in _WILDGUARD:
            cat = _WILDGUARD[sub]
            if cat in ("crime.nonviolent", "crime.violent"):
                cat = guess_category(text, cat)
            items.append(
                SuiteItem(f"wildguard-{n}", "en", text, cat, Expect.REFUSE, "wildguardtest")
            )
    return items


def xstest() -> list[SuiteItem]:
    """XSTest v2: safe prompts expect an answer, unsafe contrast prompts a refusal."""
    items = []
    for row in _csv_rows("xstest", "xstest_prompts.csv"):
        kind = row["type"]
        if "privacy" in kind:
            cat = "privacy"
        elif "discr" in kind:
            cat = "hate"
        else:
            cat = guess_category(row["prompt"], "crime.violent")
        expect = Expect.COMPLY if row["label"] == "safe" else Expect.REFUSE
        items.append(
            SuiteItem(f"xstest-{row['id']}", "en", row["prompt"], cat, expect, "xstest", kind=kind)
        )
    return items
